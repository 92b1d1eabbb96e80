"""council.core.prepared: a select built once per engine and run with new ids gives exactly the
rows Piccolo's own query gives, and anything it cannot replay faithfully is refused up front."""

from __future__ import annotations

import pytest

from council.cases.tables import Case, CaseEvent, Pledge, Task
from council.core.prepared import prepared


def _tasks(case_id):
    return Task.select(*Task.all_columns(), Task.organisation.name.as_alias("organisation_name")).where(
        Task.case == case_id).order_by(Task.id)


def _case(case_id):
    return Case.select().where(Case.id == case_id).first()


def _pledges(case_id):
    return Pledge.select(Pledge.id, Pledge.amount, Pledge.unit.estate.name.as_alias("estate_name")).where(
        Pledge.case == case_id).order_by(Pledge.id)


def _events_between(case_id, after_id):
    return CaseEvent.select(CaseEvent.id, CaseEvent.kind, CaseEvent.at).where(
        (CaseEvent.case == case_id) & (CaseEvent.id > after_id)).order_by(CaseEvent.id)


@pytest.mark.parametrize("build", [_tasks, _case, _pledges])
async def test_same_rows_as_piccolo_for_every_case(build):
    ids = [r["id"] for r in await Case.select(Case.id).order_by(Case.id)] + [-5, 10**9]
    p = prepared(build)
    for case_id in ids:
        assert await p(case_id) == await build(case_id), case_id


async def test_two_parameters_keep_their_places():
    p = prepared(_events_between)
    case_id = (await CaseEvent.select(CaseEvent.case).first())["case"]
    all_events = await _events_between(case_id, 0)
    assert all_events
    for after in (0, all_events[0]["id"], all_events[-1]["id"]):
        assert await p(case_id, after) == await _events_between(case_id, after)


async def test_built_once_per_engine():
    calls = []

    def build(case_id):
        calls.append(case_id)
        return _case(case_id)

    p = prepared(build)
    first = (await Case.select(Case.id).first())["id"]
    for _ in range(5):
        assert (await p(first))["id"] == first
    assert len(calls) == 1


@pytest.mark.parametrize("build, why", [
    (lambda case_id: Case.select().where(Case.id == case_id).output(load_json=True), "output"),
    (lambda case_id: Case.count().where(Case.id == case_id), "only selects"),
    (lambda case_id: Case.select().where(Case.title == str(case_id)), "every parameter"),
    (lambda case_id, other: Case.select().where(Case.id == case_id), "every parameter"),
])
async def test_what_cannot_be_replayed_is_refused(build, why):
    with pytest.raises(TypeError, match=why):
        await prepared(build)(1, 2) if build.__code__.co_argcount == 2 else await prepared(build)(1)
