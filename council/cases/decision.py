"""Where a proposal's decision comes from (民事民决). Pure: no web or database imports.

Civil Code Art. 278: the owners decide their common matters by voting, under the thresholds of
para. 2. So the decide step of a proposal takes its result from the residents' vote only:

- the vote must be a vote of the same station, linked to this proposal, and closed; the result
  is copied from the vote's frozen result — nobody types "passed" or "failed";
- when several closed votes were held on the proposal (a failed vote sends it back to discuss,
  and a new vote follows), only the newest one decides;
- a reference is a vote's number in this system: free text or another site's address is not a vote;
- the vote can be skipped only for a matter that needs no residents' vote, declared so, with a
  reason, and never while a vote on the proposal is under way; the case then says 未经表决
  (not put to a vote) wherever its decision is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def N_(msgid: str) -> str:
    return msgid


UNVOTED = "unvoted"  # the case's vote_result when the decide step was skipped
RESULTS = (("passed", N_("Passed")), ("failed", N_("Failed")), (UNVOTED, N_("Not put to a vote")))

NOT_A_VOTE = N_("Choose a vote of this system by its number: a decision cannot point to free text or another site.")
BY_HAND = N_("The result is copied from the closed vote: it cannot be entered by hand (Civil Code Art. 278: "
             "the owners decide by voting).")
OTHER_CASE = N_("This vote was not held on this proposal at its station: only a vote linked to the proposal decides it.")
NOT_CLOSED = N_("This vote is not closed yet: the decision takes the vote's result once it is closed.")
SUPERSEDED = N_("A newer vote was held on this proposal: its result decides, not this one.")
SKIP_NEEDS_DECLARATION = N_("The residents' vote can be skipped only for a matter that needs no residents' vote "
                            "(not a common decision of the owners under Civil Code Art. 278): declare it and give the "
                            "reason.")
SKIP_VOTE_UNDER_WAY = N_("A vote on this proposal is under way: close it, and its result decides.")

_REF = re.compile(r"^\s*(?:/votes/)?(\d{1,12})\s*$")


class DecisionRefused(Exception):
    def __init__(self, message: str, field: str = "vote"):
        super().__init__(message)
        self.message = message
        self.field = field


def vote_id_of(ref: object) -> int:
    """A vote number (or this system's own /votes/N) → its id; anything else is refused."""
    if isinstance(ref, bool):
        raise DecisionRefused(NOT_A_VOTE)
    if isinstance(ref, int):
        return ref
    m = _REF.match(str(ref or ""))
    if not m:
        raise DecisionRefused(NOT_A_VOTE)
    return int(m.group(1))


@dataclass(frozen=True)
class VoteFacts:
    id: int
    station: int
    case: int | None
    state: str  # draft / open / closed
    passed: bool | None


def result_from_vote(case_id: int, station_id: int, vote: VoteFacts | None, newest_closed: int | None) -> str:
    """"passed" or "failed", copied from the vote, or DecisionRefused saying which rule stops it."""
    if vote is None:
        raise DecisionRefused(NOT_A_VOTE)
    if vote.case != case_id or vote.station != station_id:
        raise DecisionRefused(OTHER_CASE)
    if vote.state != "closed" or vote.passed is None:
        raise DecisionRefused(NOT_CLOSED)
    if newest_closed is not None and newest_closed != vote.id:
        raise DecisionRefused(SUPERSEDED)
    return "passed" if vote.passed else "failed"


def skip_refusal(no_vote_needed: bool, vote_under_way: bool) -> str | None:
    """Why the decide step may not be skipped now (the reason itself is the state machine's check)."""
    if vote_under_way:
        return SKIP_VOTE_UNDER_WAY
    if not no_vote_needed:
        return SKIP_NEEDS_DECLARATION
    return None
