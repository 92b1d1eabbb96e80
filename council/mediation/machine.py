"""The dispute file's steps (pure: no web or database imports).

registered → consent (the parties are told their rights and duties and asked whether they agree
to mediate) → mediating (sessions) → settled / not settled (with a referral) / withdrawn /
terminated. A party's clear refusal is recorded against that party and blocks the start (mediation is
voluntary, Art. 17); closing the file as refused is the mediator's own move (refuse, with the
reason), checked by council.mediation.rules.refusal_close_refusal. Escalation to the street or district keeps the file, its number and its history: it is
a change of level, not of step.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.cases.statemachine import Machine, Move, MoveRefused
from council.mediation.rules import start_refusal

OPEN_STATES = frozenset({"registered", "consent", "mediating"})
CLOSED_STATES = frozenset({"settled", "not_settled", "withdrawn", "terminated", "refused"})


@dataclass(frozen=True)
class DisputeFacts:
    applicants: int = 0
    respondents: int = 0
    consent_missing: int = 0  # parties not (yet) agreeing
    consent_refused: int = 0
    notice_missing: int = 0  # parties not yet told / not acknowledged their rights and duties
    agreement_effective: bool = False
    referral: str = ""  # not settled: where the parties were sent
    mediators: int = 0  # mediators on the file (Art. 19: the committee appoints who mediates)


def _parties(f: DisputeFacts) -> str | None:
    if f.applicants < 1 or f.respondents < 1:
        return "Record at least one applicant and one respondent first."
    return None


def _can_mediate(f: DisputeFacts) -> str | None:
    no_mediator = start_refusal(f.mediators)
    if no_mediator:
        return no_mediator
    if f.consent_refused:
        return "A party refuses mediation: it cannot go ahead."
    if f.consent_missing:
        return "Every party must agree to mediation first."
    if f.notice_missing:
        return "Every party must be told their rights and duties, and acknowledge them, first."
    return None


def _refused(f: DisputeFacts) -> str | None:
    return None if f.consent_refused else "No party has refused mediation."


def _settled(f: DisputeFacts) -> str | None:
    return None if f.agreement_effective else "The agreement has not taken effect yet."


def _referral(f: DisputeFacts) -> str | None:
    return None if f.referral else "Say where the parties were referred."


MOVES = (
    Move("seek_consent", frozenset({"registered"}), "consent", guard=_parties),
    Move("start", frozenset({"consent"}), "mediating", guard=lambda f: _parties(f) or _can_mediate(f)),
    Move("refuse", frozenset({"registered", "consent"}), "refused", needs_reason=True, guard=_refused),
    Move("settle", frozenset({"mediating"}), "settled", guard=_settled),
    Move("not_settle", frozenset({"mediating"}), "not_settled", needs_reason=True, guard=_referral),
    Move("withdraw", frozenset({"registered", "consent", "mediating"}), "withdrawn", needs_reason=True),
    Move("terminate", frozenset({"consent", "mediating"}), "terminated", needs_reason=True),
)
STATES = ("registered", "consent", "mediating", "settled", "not_settled", "withdrawn", "terminated", "refused")
MACHINE: Machine[DisputeFacts] = Machine(STATES, MOVES)

__all__ = ["MACHINE", "DisputeFacts", "MoveRefused", "OPEN_STATES", "CLOSED_STATES"]
