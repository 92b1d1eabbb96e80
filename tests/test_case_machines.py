"""Every allowed and every forbidden move of the proposal steps and the request loop."""

import itertools

import pytest

from council.cases import proposal_steps as P
from council.cases import request_loop as R
from council.cases.statemachine import MoveRefused

READY = P.ProposalFacts(preferred_option=True, task_count=2, funding_decided=True, vote_result="passed",
                        rating_result="satisfied", no_vote_needed=True)

# (state, move) -> target, with every guard satisfied and a reason given. Everything else is refused.
PROPOSAL_ALLOWED = {
    ("propose", "accept"): "discuss",
    ("propose", "reject"): "rejected",
    ("propose", "answer"): "answered",
    ("discuss", "choose_option"): "act",
    ("act", "complete_plan"): "fund",
    ("fund", "decide_funding"): "decide",
    ("decide", "record_vote"): "evaluate",
    ("evaluate", "record_evaluation"): "closed",
    ("discuss", "skip"): "act",
    ("act", "skip"): "fund",
    ("fund", "skip"): "decide",
    ("decide", "skip_vote"): "evaluate",
    ("evaluate", "skip"): "closed",
}


@pytest.mark.parametrize("state,action", list(itertools.product(P.STATES, P.MACHINE.moves)))
def test_every_proposal_move(state, action):
    expected = PROPOSAL_ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(MoveRefused):
            P.move(state, action, READY, reason="because")
    else:
        assert P.move(state, action, READY, reason="because") == expected


@pytest.mark.parametrize("action", ["reject", "answer", "skip"])
def test_reasons_are_required(action):
    state = "propose" if action != "skip" else "discuss"
    with pytest.raises(MoveRefused, match="reason"):
        P.move(state, action, READY, reason="   ")


def test_no_decide_without_plan_or_funding():
    no_plan = P.ProposalFacts(preferred_option=True, task_count=0, funding_decided=True)
    no_money = P.ProposalFacts(preferred_option=True, task_count=1, funding_decided=False)
    for facts in (no_plan, no_money):
        with pytest.raises(MoveRefused):
            P.move("fund", "decide_funding", facts)
        with pytest.raises(MoveRefused):
            P.move("fund", "skip", facts, reason="no time")  # skipping cannot bypass the guard
    with pytest.raises(MoveRefused, match="task"):
        P.move("act", "complete_plan", no_plan)
    with pytest.raises(MoveRefused, match="option"):
        P.move("discuss", "choose_option", P.ProposalFacts())


def test_vote_and_evaluation_routes():
    failed = P.ProposalFacts(task_count=1, funding_decided=True, vote_result="failed")
    assert P.move("decide", "record_vote", failed) == "discuss"
    with pytest.raises(MoveRefused):
        P.move("decide", "record_vote", P.ProposalFacts(task_count=1, funding_decided=True))
    assert P.move("evaluate", "record_evaluation", P.ProposalFacts(rating_result="unsatisfied")) == "discuss"
    with pytest.raises(MoveRefused):
        P.move("evaluate", "record_evaluation", P.ProposalFacts())


def test_the_vote_is_skipped_only_for_a_matter_that_needs_none():
    base = dict(preferred_option=True, task_count=1, funding_decided=True)
    with pytest.raises(MoveRefused, match="needs no residents' vote"):
        P.move("decide", "skip_vote", P.ProposalFacts(**base), reason="no time")
    with pytest.raises(MoveRefused, match="under way"):
        P.move("decide", "skip_vote", P.ProposalFacts(**base, no_vote_needed=True, vote_under_way=True), reason="x")
    with pytest.raises(MoveRefused, match="reason"):
        P.move("decide", "skip_vote", P.ProposalFacts(**base, no_vote_needed=True), reason=" ")
    assert P.move("decide", "skip_vote", P.ProposalFacts(**base, no_vote_needed=True), reason="x") == "evaluate"
    with pytest.raises(MoveRefused):  # the plain skip no longer leaves decide
        P.move("decide", "skip", P.ProposalFacts(**base, no_vote_needed=True), reason="x")


def test_allowed_lists_only_moves_that_succeed():
    assert set(P.MACHINE.allowed("propose", READY)) == {"accept", "reject", "answer"}
    assert P.MACHINE.allowed("closed", READY) == []
    assert "decide_funding" not in P.MACHINE.allowed("fund", P.ProposalFacts(task_count=1))


REQ_READY = R.RequestFacts(has_organisation=True, has_report=True, rating="satisfied")
REQUEST_ALLOWED = {
    ("registered", "dispatch"): "dispatched",
    ("dispatched", "accept"): "handling",
    ("dispatched", "send_back"): "registered",
    ("handling", "send_back"): "registered",
    ("handling", "report"): "reported",
    ("reported", "reject_report"): "handling",
    ("reported", "close"): "closed",
    ("closed", "rate"): "rated",
    ("registered", "convert"): "converted",
    ("dispatched", "convert"): "converted",
    ("handling", "convert"): "converted",
}


@pytest.mark.parametrize("state,action", list(itertools.product(R.STATES, R.MACHINE.moves)))
def test_every_request_move(state, action):
    expected = REQUEST_ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(MoveRefused):
            R.move(state, action, REQ_READY, reason="because")
    else:
        assert R.move(state, action, REQ_READY, reason="because") == expected


def test_request_guards_and_reopening():
    with pytest.raises(MoveRefused):
        R.move("registered", "dispatch", R.RequestFacts())
    with pytest.raises(MoveRefused):
        R.move("handling", "report", R.RequestFacts(has_organisation=True))
    with pytest.raises(MoveRefused):
        R.move("dispatched", "send_back", REQ_READY, reason="")
    assert R.move("closed", "rate", R.RequestFacts(rating="unsatisfied")) == "registered"
    assert R.move("closed", "rate", R.RequestFacts(rating="basically_satisfied")) == "rated"
    with pytest.raises(MoveRefused):
        R.move("closed", "rate", R.RequestFacts())
    with pytest.raises(MoveRefused, match="Unknown"):
        R.move("registered", "teleport", REQ_READY)
