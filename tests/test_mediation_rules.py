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

FULL = DisputeFacts(applicants=1, respondents=1)


def test_steps():
    assert MACHINE.apply("registered", "seek_consent", FULL) == "consent"
    with pytest.raises(MoveRefused):
        MACHINE.apply("registered", "seek_consent", DisputeFacts(applicants=1))
    with pytest.raises(MoveRefused):
        MACHINE.apply("consent", "start", DisputeFacts(applicants=1, respondents=1, consent_missing=1))
    with pytest.raises(MoveRefused):
        MACHINE.apply("consent", "start", DisputeFacts(applicants=1, respondents=1, notice_missing=1))
    assert MACHINE.apply("consent", "start", FULL) == "mediating"
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
