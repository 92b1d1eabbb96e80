"""One meaning of overdue (council.cases.overdue), at its boundaries."""

import datetime as dt

from council.cases.overdue import case_overdue, task_overdue

TODAY = dt.date(2026, 12, 2)
YESTERDAY = TODAY - dt.timedelta(days=1)


def test_a_request_is_overdue_only_after_its_deadline_and_while_in_the_loop():
    assert case_overdue("request", "dispatched", YESTERDAY, TODAY)
    assert not case_overdue("request", "dispatched", TODAY, TODAY)  # due today is not late yet
    assert not case_overdue("request", "dispatched", None, TODAY)
    for state in ("registered", "handling", "reported"):
        assert case_overdue("request", state, YESTERDAY, TODAY)
    for state in ("closed", "rated", "converted"):
        assert not case_overdue("request", state, YESTERDAY, TODAY)
    assert not case_overdue("proposal", "act", YESTERDAY, TODAY)
    assert not case_overdue("dispute", "mediating", YESTERDAY, TODAY)


def test_a_task_is_overdue_until_done_or_cancelled():
    assert task_overdue("open", YESTERDAY, TODAY) and task_overdue("in_progress", YESTERDAY, TODAY)
    assert not task_overdue("open", TODAY, TODAY)
    assert not task_overdue("done", YESTERDAY, TODAY)
    assert not task_overdue("cancelled", YESTERDAY, TODAY)
    assert not task_overdue("open", None, TODAY)
