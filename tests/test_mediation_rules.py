"""The mediation rules, to the boundaries: agreement effectiveness, judicial confirmation
(eligibility, the 30-day window across month and year ends), obligation states, the file's steps,
the 30-day flag and file numbers. Pure: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from council.cases.workcalendar import WorkCalendar
from council.mediation import rules
from council.mediation.machine import MACHINE, DisputeFacts, MoveRefused
from council.mediation.rules import PartySignature as PS, Performance as P

D = dt.date


# ---------------------------------------------------------------- effectiveness (Art. 28/29)

def written(parties, mediator=D(2026, 3, 2), seal=D(2026, 3, 2)):
    return rules.effectiveness("written", reached_on=D(2026, 3, 1), parties=parties,
                               mediator_signed_on=mediator, sealed_on=seal)


def test_effective_on_the_day_the_last_signature_or_seal_is_done():
    e = written([PS(1, "王", D(2026, 3, 1)), PS(2, "李", D(2026, 3, 4))], seal=D(2026, 3, 3))
    assert e.effective and e.effective_on == D(2026, 3, 4) and e.missing == ()
    e = written([PS(1, "王", D(2026, 3, 1)), PS(2, "李", D(2026, 3, 1))], seal=D(2026, 3, 5))
    assert e.effective_on == D(2026, 3, 5)


@pytest.mark.parametrize("parties,mediator,seal,missing", [
    ([PS(1, "王", D(2026, 3, 1)), PS(2, "李", None)], D(2026, 3, 1), D(2026, 3, 1), [("party", 2, "李")]),
    ([PS(1, "王", D(2026, 3, 1))], None, D(2026, 3, 1), [("mediator",)]),
    ([PS(1, "王", D(2026, 3, 1))], D(2026, 3, 1), None, [("seal",)]),
    ([PS(1, "王", None), PS(2, "李", None)], None, None, [("party", 1, "王"), ("party", 2, "李"), ("mediator",), ("seal",)]),
    ([], D(2026, 3, 1), D(2026, 3, 1), [("parties",)]),
])
def test_missing_signatures_are_named(parties, mediator, seal, missing):
    e = written(parties, mediator, seal)
    assert not e.effective and e.effective_on is None and list(e.missing) == missing


def test_oral_agreement_takes_effect_when_reached():
    e = rules.effectiveness("oral", reached_on=D(2026, 5, 6), parties=[PS(1, "王", None)],
                            mediator_signed_on=None, sealed_on=None)
    assert e.effective and e.effective_on == D(2026, 5, 6)
    assert not rules.effectiveness("oral", reached_on=None, parties=[], mediator_signed_on=None, sealed_on=None).effective


# ---------------------------------------------------------------- judicial confirmation (Art. 33)

@pytest.mark.parametrize("effective,last", [
    (D(2026, 1, 31), D(2026, 3, 2)),    # across February (28 days)
    (D(2028, 1, 31), D(2028, 3, 1)),    # leap year
    (D(2026, 12, 15), D(2027, 1, 14)),  # across the year end
    (D(2026, 12, 31), D(2027, 1, 30)),
    (D(2026, 4, 30), D(2026, 5, 30)),
])
def test_thirty_days_after_taking_effect_the_day_itself_not_counted(effective, last):
    assert rules.confirmation_deadline(effective) == last


def test_window_ending_on_a_day_off_runs_to_the_next_working_day():
    cal = WorkCalendar(holidays=frozenset({D(2027, 2, 1)}))
    off = lambda d: not cal.is_working_day(d)  # noqa: E731
    # 2027-01-30 is a Saturday; Monday 1 Feb is a holiday: open until Tuesday 2 Feb.
    assert rules.confirmation_deadline(D(2026, 12, 31), off) == D(2027, 2, 2)
    # A make-up working Saturday counts as a working day.
    cal2 = WorkCalendar(makeup_days=frozenset({D(2027, 1, 30)}))
    assert rules.confirmation_deadline(D(2026, 12, 31), lambda d: not cal2.is_working_day(d)) == D(2027, 1, 30)


def test_window_states_at_the_boundaries():
    last = D(2026, 3, 2)
    assert rules.window_state(last, D(2026, 3, 2), applied=False) == "closing"  # last day: still open
    assert rules.window_state(last, D(2026, 3, 3), applied=False) == "closed"
    assert rules.window_state(last, last - dt.timedelta(days=6), applied=False) == "closing"
    assert rules.window_state(last, last - dt.timedelta(days=7), applied=False) == "open"
    assert rules.window_state(last, D(2026, 4, 1), applied=True) == "applied"


@pytest.mark.parametrize("matter,form,effective,ok", [
    ("none", "written", True, True),
    ("marriage", "written", True, False),
    ("adoption", "written", True, False),
    ("personal_status", "written", True, False),
    ("none", "oral", True, False),
    ("none", "written", False, False),
])
def test_eligibility(matter, form, effective, ok):
    assert (rules.eligibility(form=form, status_matter=matter, effective=effective) is None) is ok


# ---------------------------------------------------------------- obligations (Art. 31)

def state(amount, due, perf, today):
    return rules.obligation_state(amount=amount, due=due, performances=perf, today=today)


def test_obligation_states():
    due = D(2026, 6, 30)
    assert state(Decimal("1000"), due, [], D(2026, 6, 30)).state == "pending"  # the due day itself is not late
    assert state(Decimal("1000"), due, [], D(2026, 7, 1)).state == "overdue"
    s = state(Decimal("1000"), due, [P(D(2026, 6, 1), Decimal("400"))], D(2026, 6, 10))
    assert s.state == "partly_performed" and s.performed_amount == Decimal("400")
    s = state(Decimal("1000"), due, [P(D(2026, 6, 1), Decimal("400"))], D(2026, 7, 1))
    assert s.state == "overdue" and s.partly
    s = state(Decimal("1000.50"), due, [P(D(2026, 6, 1), Decimal("400")), P(D(2026, 6, 5), Decimal("600.50"))], D(2026, 8, 1))
    assert s.state == "performed" and s.performed_on == D(2026, 6, 5) and not s.late
    s = state(Decimal("1000"), due, [P(D(2026, 7, 3), Decimal("1000"))], D(2026, 8, 1))
    assert s.state == "performed" and s.late
    # Without money: performed when recorded complete.
    assert state(None, due, [P(D(2026, 6, 2))], D(2026, 6, 3)).state == "partly_performed"
    assert state(None, due, [P(D(2026, 6, 2), complete=True)], D(2026, 9, 3)).state == "performed"
    assert state(None, None, [], D(2030, 1, 1)).state == "pending"  # no due date: never overdue


# ---------------------------------------------------------------- the file's steps

FULL = DisputeFacts(applicants=1, respondents=1, mediators=1)


def test_steps():
    assert MACHINE.apply("registered", "seek_consent", FULL) == "consent"
    with pytest.raises(MoveRefused):
        MACHINE.apply("registered", "seek_consent", DisputeFacts(applicants=1))
    with pytest.raises(MoveRefused):
        MACHINE.apply("consent", "start", DisputeFacts(applicants=1, respondents=1, consent_missing=1))
    with pytest.raises(MoveRefused):
        MACHINE.apply("consent", "start", DisputeFacts(applicants=1, respondents=1, notice_missing=1))
    assert MACHINE.apply("consent", "start", FULL) == "mediating"
    # No mediator on the file: mediation cannot start, whatever else is ready.
    with pytest.raises(MoveRefused) as e:
        MACHINE.apply("consent", "start", DisputeFacts(applicants=1, respondents=1, mediators=0))
    assert "mediator" in e.value.message
    assert "start" not in MACHINE.allowed("consent", DisputeFacts(applicants=1, respondents=1))
    with pytest.raises(MoveRefused):
        MACHINE.apply("consent", "refuse", FULL, reason="x")  # nobody refused
    assert MACHINE.apply("consent", "refuse", DisputeFacts(1, 1, 1, 1), reason="不愿调解") == "refused"
    with pytest.raises(MoveRefused):
        MACHINE.apply("mediating", "settle", FULL)
    assert MACHINE.apply("mediating", "settle", DisputeFacts(1, 1, agreement_effective=True)) == "settled"
    with pytest.raises(MoveRefused):
        MACHINE.apply("mediating", "not_settle", FULL, reason="分歧大")  # no referral
    assert MACHINE.apply("mediating", "not_settle", DisputeFacts(1, 1, referral="court"), reason="分歧大") == "not_settled"
    with pytest.raises(MoveRefused):
        MACHINE.apply("mediating", "withdraw", FULL)  # needs a reason
    assert MACHINE.apply("mediating", "terminate", FULL, reason="一方要求终止") == "terminated"
    with pytest.raises(MoveRefused):
        MACHINE.apply("settled", "withdraw", FULL, reason="x")


def test_escalation_levels():
    assert rules.next_level("community") == "street"
    assert rules.next_level("street") == "district"
    assert rules.next_level("district") is None


def test_open_more_than_thirty_days():
    opened = D(2026, 3, 1)
    assert not rules.open_too_long(opened, D(2026, 3, 31), closed=False)  # 30 days
    assert rules.open_too_long(opened, D(2026, 4, 1), closed=False)  # 31 days
    assert not rules.open_too_long(opened, D(2026, 6, 1), closed=True)
    assert rules.open_too_long(D(2026, 12, 15), D(2027, 1, 15), closed=False)


def test_file_number_format():
    assert rules.format_file_number("振兴路", 2026, 15) == "（2026）振兴路人调字第 15 号"
    with pytest.raises(ValueError):
        rules.format_file_number("振兴路", 2026, 0)


# ---------------------------------------------------------------- issue 13: who, and time running one way

def test_start_needs_one_mediator():
    assert rules.start_refusal(0) is not None
    assert rules.start_refusal(1) is None and rules.start_refusal(3) is None


def test_mediator_signature_counts_only_from_the_files_mediator_or_the_secretary_on_their_behalf():
    sig = rules.mediator_signature_refusal
    # the file's mediator records their own signature
    assert sig(signer=7, recorder=7, recorder_role="mediator", file_mediators=[7, 8], on_behalf=False) is None
    # a mediator who is not on the file cannot sign for it, nor can anyone sign "as" them
    assert "Only a mediator of this file" in sig(signer=9, recorder=9, recorder_role="mediator", file_mediators=[7],
                                                 on_behalf=False)
    assert "Only a mediator of this file" in sig(signer=9, recorder=1, recorder_role="secretary", file_mediators=[7],
                                                 on_behalf=True)
    # another mediator of the file cannot type in a colleague's signature
    assert sig(signer=7, recorder=8, recorder_role="mediator", file_mediators=[7, 8], on_behalf=True) is not None
    # the secretary may, saying so; without saying so it is refused
    assert sig(signer=7, recorder=1, recorder_role="secretary", file_mediators=[7], on_behalf=True) is None
    assert "behalf" in sig(signer=7, recorder=1, recorder_role="secretary", file_mediators=[7], on_behalf=False)
    # a file with no mediator, or no signer named
    assert sig(signer=7, recorder=7, recorder_role="mediator", file_mediators=[], on_behalf=False) is not None
    assert sig(signer=None, recorder=1, recorder_role="secretary", file_mediators=[7], on_behalf=True) is not None


def test_effect_requires_the_mediator_line():
    eff = written([PS(1, "甲", D(2026, 3, 2)), PS(2, "乙", D(2026, 3, 2))], mediator=None)
    assert not eff.effective and ("mediator",) in eff.missing


def test_closing_as_refused_is_the_files_mediators_confirmed_move():
    close = rules.refusal_close_refusal
    assert close(actor=7, file_mediators=[7], confirmed=True) is None
    assert "Confirm" in close(actor=7, file_mediators=[7], confirmed=False)
    assert "Only a mediator" in close(actor=1, file_mediators=[7], confirmed=True)
    assert "Only a mediator" in close(actor=None, file_mediators=[7], confirmed=True)
    withdraw = rules.refusal_withdrawal_refusal
    assert withdraw(state="consent", consent="refused") is None
    assert withdraw(state="registered", consent="refused") is None
    assert withdraw(state="refused", consent="refused") is not None  # closed: the refusal stays
    assert withdraw(state="consent", consent="given") is not None


def test_time_runs_one_way():
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    assert rules.session_record_refusal(start, start - dt.timedelta(seconds=1)) is not None
    assert rules.session_record_refusal(start, start) is None  # at its start, it has begun
    assert rules.future_refusal(D(2026, 3, 3), D(2026, 3, 2)) is not None
    assert rules.future_refusal(D(2026, 3, 2), D(2026, 3, 2)) is None
    assert rules.first_agreement_session([D(2026, 3, 5), D(2026, 3, 2)]) == D(2026, 3, 2)
    assert rules.first_agreement_session([]) is None
    refuse = rules.agreement_date_refusal
    assert "session" in refuse(D(2026, 3, 1), opened_on=D(2026, 2, 1), session_day=D(2026, 3, 2))
    assert refuse(D(2026, 3, 2), opened_on=D(2026, 2, 1), session_day=D(2026, 3, 2)) is None
    assert "registered" in refuse(D(2026, 1, 31), opened_on=D(2026, 2, 1), session_day=None)
    assert refuse(D(2026, 2, 1), opened_on=D(2026, 2, 1), session_day=None) is None
    assert refuse(None, opened_on=D(2026, 2, 1), session_day=D(2026, 3, 2)) is None


def test_court_decision_period_15_days_plus_10_if_extended():
    accepted = D(2026, 12, 20)
    assert rules.decision_deadline(accepted, extended=False) == D(2027, 1, 4)  # the acceptance day not counted
    assert rules.decision_deadline(accepted, extended=True) == D(2027, 1, 14)
    due = D(2027, 1, 4)
    assert rules.decision_state(due, D(2026, 12, 31), ruled=False) == "waiting"  # 4 days left
    assert rules.decision_state(due, D(2027, 1, 1), ruled=False) == "due_soon"  # 3 days left
    assert rules.decision_state(due, D(2027, 1, 4), ruled=False) == "due_soon"  # the last day
    assert rules.decision_state(due, D(2027, 1, 5), ruled=False) == "overdue"  # ran out
    assert rules.decision_state(due, D(2027, 1, 5), ruled=True) == "ruled"
    assert rules.application_refusal(joint=False) is not None and rules.application_refusal(joint=True) is None
