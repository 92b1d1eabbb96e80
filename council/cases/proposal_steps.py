"""The six-step consultation method (睦邻协商六步法) for proposals. No web or database imports.

propose → discuss → act → fund → decide → evaluate → closed, with: reject or answer on the
spot at propose (with a reason); skip a step only with a recorded reason (the vote at `decide`
only for a matter that needs no residents' vote: council.cases.decision); no `decide`
without an action plan and a funding decision; a failed vote returns to `discuss`; an
unsatisfied evaluation reopens the case at `discuss`.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.cases.decision import skip_refusal
from council.cases.statemachine import Machine, Move

STEPS = ("propose", "discuss", "act", "fund", "decide", "evaluate")
ENDS = ("closed", "rejected", "answered")
STATES = STEPS + ENDS
NEXT = dict(zip(STEPS, STEPS[1:] + ("closed",)))


@dataclass(frozen=True)
class ProposalFacts:
    preferred_option: bool = False  # discuss: an option was chosen
    task_count: int = 0  # act: tasks in the action plan
    funding_decided: bool = False  # fund: funding covers the budget, or "no money needed" recorded
    vote_result: str | None = None  # decide: None (open or none), "passed", "failed"
    rating_result: str | None = None  # evaluate: None, "satisfied", "unsatisfied"
    # decide, skipping the vote (council.cases.decision): declared "needs no residents' vote"
    # at the move, and whether a vote on the proposal is open or drafted.
    no_vote_needed: bool = False
    vote_under_way: bool = False
    unfinished_tasks: int = 0  # tasks neither done nor cancelled with a reason


def _tasks_finished(f: ProposalFacts) -> str | None:
    if f.unfinished_tasks:
        return "The case cannot close while a task is neither done nor cancelled with a reason."
    return None


def _needs_plan_and_funding(f: ProposalFacts) -> str | None:
    if f.task_count == 0:
        return "A vote needs an action plan with at least one task."
    if not f.funding_decided:
        return "A vote needs a funding decision: funding that covers the budget, or no money needed."
    return None


MACHINE: Machine[ProposalFacts] = Machine(
    STATES,
    (
        Move("accept", frozenset({"propose"}), "discuss"),
        Move("reject", frozenset({"propose"}), "rejected", needs_reason=True),
        Move("answer", frozenset({"propose"}), "answered", needs_reason=True),
        Move("choose_option", frozenset({"discuss"}), "act",
             guard=lambda f: None if f.preferred_option else "Choose a preferred option first."),
        Move("complete_plan", frozenset({"act"}), "fund",
             guard=lambda f: None if f.task_count > 0 else "The action plan needs at least one task."),
        Move("decide_funding", frozenset({"fund"}), "decide",
             guard=lambda f: None if f.funding_decided else "The funding does not cover the budget yet."),
        Move("record_vote", frozenset({"decide"}), None,
             guard=lambda f: None if f.vote_result in ("passed", "failed") else "The vote has no result yet.",
             route=lambda state, f: "evaluate" if f.vote_result == "passed" else "discuss"),
        Move("record_evaluation", frozenset({"evaluate"}), None,
             guard=lambda f: None if f.rating_result in ("satisfied", "unsatisfied") else "No ratings yet.",
             route=lambda state, f: "closed" if f.rating_result == "satisfied" else "discuss"),
        # Skipping moves on one step; it never bypasses the entry guard of `decide`.
        Move("skip", frozenset({"discuss", "act", "fund", "evaluate"}), None, needs_reason=True,
             route=lambda state, f: NEXT[state]),
        # The vote is skipped only for a matter that needs none (Civil Code Art. 278 matters are
        # the owners' to decide); the case then says 未经表决.
        Move("skip_vote", frozenset({"decide"}), "evaluate", needs_reason=True,
             guard=lambda f: skip_refusal(f.no_vote_needed, f.vote_under_way)),
    ),
    entry_guards={"decide": _needs_plan_and_funding, **{end: _tasks_finished for end in ENDS}},
)


def move(state: str, action: str, facts: ProposalFacts, reason: str = "") -> str:
    return MACHINE.apply(state, action, facts, reason)
