"""The closed loop (闭环) for requests to departments. No web or database imports.

register → dispatch to an organisation → it accepts (handling) or sends back with a reason →
handle, with progress notes → report back → the secretary verifies and closes → the resident
rates. An unsatisfied rating reopens the case for dispatch again. A request that needs the
residents' decision is converted to a proposal (the request ends as `converted`).
"""

from __future__ import annotations

from dataclasses import dataclass

from council.cases.statemachine import Machine, Move

STATES = ("registered", "dispatched", "handling", "reported", "closed", "rated", "converted")
OPEN = frozenset({"registered", "dispatched", "handling", "reported"})


@dataclass(frozen=True)
class RequestFacts:
    has_organisation: bool = False  # dispatch needs a target organisation
    has_report: bool = False  # report back needs the handling result written
    rating: str | None = None  # satisfied / basically_satisfied / unsatisfied
    unfinished_tasks: int = 0  # tasks (e.g. a meeting's action items) neither done nor cancelled


def _rated(f: RequestFacts) -> str | None:
    return None if f.rating in ("satisfied", "basically_satisfied", "unsatisfied") else "Choose a rating."


MACHINE: Machine[RequestFacts] = Machine(
    STATES,
    (
        Move("dispatch", frozenset({"registered"}), "dispatched",
             guard=lambda f: None if f.has_organisation else "Choose the organisation to dispatch to."),
        Move("accept", frozenset({"dispatched"}), "handling"),
        Move("send_back", frozenset({"dispatched", "handling"}), "registered", needs_reason=True),
        Move("report", frozenset({"handling"}), "reported",
             guard=lambda f: None if f.has_report else "Write what was done before reporting back."),
        Move("reject_report", frozenset({"reported"}), "handling", needs_reason=True),
        Move("close", frozenset({"reported"}), "closed",
             guard=lambda f: None if not f.unfinished_tasks
             else "The case cannot close while a task is neither done nor cancelled with a reason."),
        Move("rate", frozenset({"closed"}), None, guard=_rated,
             route=lambda state, f: "registered" if f.rating == "unsatisfied" else "rated"),
        Move("convert", frozenset({"registered", "dispatched", "handling"}), "converted", needs_reason=True),
    ),
)


def move(state: str, action: str, facts: RequestFacts, reason: str = "") -> str:
    return MACHINE.apply(state, action, facts, reason)
