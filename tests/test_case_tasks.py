"""Tasks of a case (issue 13): a task cannot fall due before its case was registered, a task is
cancelled only with a reason (audited), and a case closes only when each of its tasks is done
or cancelled. Pure state machines first, then the use cases, then the API and the page."""

from __future__ import annotations

import datetime as dt

import pytest

from council.audit.tables import AuditEntry
from council.cases import proposal_steps, request_loop
from council.cases.statemachine import MoveRefused
from council.cases.tables import Case, CaseEvent, Task
from council.core.errors import Conflict, Forbidden, Invalid
from tests.support import post_form
from tests.test_cases_services import new_case, principal

def as_dict(value) -> dict:
    """JSON columns come back as text on SQLite and as objects on PostgreSQL."""
    import json

    return value if isinstance(value, dict) else json.loads(value)


CLOSE_MSG = "The case cannot close while a task is neither done nor cancelled with a reason."


# ---------------------------------------------------------------- pure rules

@pytest.mark.parametrize("state, action, facts", [
    ("evaluate", "record_evaluation", {"rating_result": "satisfied"}),
    ("evaluate", "skip", {}),
])
def test_proposal_cannot_close_with_an_unfinished_task(state, action, facts):
    with pytest.raises(MoveRefused) as e:
        proposal_steps.move(state, action, proposal_steps.ProposalFacts(unfinished_tasks=1, **facts), "理由")
    assert e.value.message == CLOSE_MSG
    assert proposal_steps.move(state, action, proposal_steps.ProposalFacts(unfinished_tasks=0, **facts), "理由") == "closed"


def test_unsatisfied_evaluation_still_goes_back_to_discuss_with_open_tasks():
    facts = proposal_steps.ProposalFacts(unfinished_tasks=3, rating_result="unsatisfied")
    assert proposal_steps.move("evaluate", "record_evaluation", facts) == "discuss"


def test_request_cannot_close_with_an_unfinished_task():
    with pytest.raises(MoveRefused) as e:
        request_loop.move("reported", "close", request_loop.RequestFacts(unfinished_tasks=1))
    assert e.value.message == CLOSE_MSG
    assert request_loop.move("reported", "close", request_loop.RequestFacts(unfinished_tasks=0)) == "closed"


# ---------------------------------------------------------------- use cases

async def test_task_due_before_registration_is_refused_on_the_day_before_only():
    from council.cases import proposals

    made = await new_case(kind="proposal")
    sec = await principal("secretary")
    row = await Case.select().where(Case.id == made["id"]).first()
    from council.cases.calendar_store import local_date

    registered = local_date(row["created_at"])
    with pytest.raises(Invalid) as e:
        await proposals.add_task(sec, made["id"], what="拓宽", due=registered - dt.timedelta(days=1))
    assert e.value.errors == {"due_date": "A task cannot be due before the case was registered."}
    assert await Task.count().where(Task.case == made["id"]) == 0
    assert not await CaseEvent.exists().where((CaseEvent.case == made["id"]) & (CaseEvent.kind == "task"))
    await proposals.add_task(sec, made["id"], what="拓宽", due=registered.isoformat())  # the same day is fine
    assert await Task.count().where(Task.case == made["id"]) == 1


async def test_cancel_needs_a_reason_and_the_case_owner_and_is_audited():
    from council.cases import proposals

    made = await new_case(kind="proposal")
    sec, liaison = await principal("secretary"), await principal("liaison")
    tid = await proposals.add_task(sec, made["id"], what="清理占道", organisation=liaison.organisation_id)
    with pytest.raises(Invalid) as e:
        await proposals.update_task(sec, made["id"], tid, status="cancelled", note="  ")
    assert e.value.errors == {"note": "Give the reason for cancelling this task."}
    with pytest.raises(Forbidden):  # the handling department may report progress, not drop the task
        await proposals.update_task(liaison, made["id"], tid, status="cancelled", note="不归我们管")
    task = await Task.select().where(Task.id == tid).first()
    assert task["status"] == "open" and task["cancel_reason"] == "" and task["version"] == 1
    await proposals.update_task(sec, made["id"], tid, status="cancelled", note="业主已自行清理")
    task = await Task.select().where(Task.id == tid).first()
    assert task["status"] == "cancelled" and task["cancel_reason"] == "业主已自行清理"
    ev = await CaseEvent.select().where((CaseEvent.case == made["id"]) & (CaseEvent.kind == "task_cancelled")).first()
    assert ev["text"] == "业主已自行清理" and as_dict(ev["data"])["from"] == "open"
    entry = await AuditEntry.select().where((AuditEntry.action == "case.task_cancelled")
                                            & (AuditEntry.entity_id == made["id"])).first()
    assert as_dict(entry["after"])["cancel_reason"] == "业主已自行清理" and as_dict(entry["before"])["status"] == "open"
    # Reopening clears the reason: the task holds the case open again.
    await proposals.update_task(sec, made["id"], tid, status="in_progress", note="又堆上了")
    task = await Task.select().where(Task.id == tid).first()
    assert task["status"] == "in_progress" and task["cancel_reason"] == ""


async def test_request_closes_only_once_its_tasks_are_done_or_cancelled():
    from council.cases import proposals, requests

    made = await new_case()
    sec, liaison = await principal("secretary"), await principal("liaison")
    cid = made["id"]
    await requests.move_request(sec, cid, "dispatch", organisation=liaison.organisation_id)
    await requests.move_request(liaison, cid, "accept")
    await requests.move_request(liaison, cid, "report", report="已处理")
    # A meeting's action item lands on the request as a task (council/meetings/minutes.py).
    t1 = (await Task.insert(Task(case=cid, what="回访居民", source="minutes:0")))[0]["id"]
    t2 = (await Task.insert(Task(case=cid, what="更换路灯", source="minutes:0")))[0]["id"]
    with pytest.raises(Conflict) as e:
        await requests.move_request(sec, cid, "close")
    assert e.value.message == CLOSE_MSG
    assert (await Case.select(Case.state).where(Case.id == cid).first())["state"] == "reported"
    await proposals.update_task(sec, cid, t1, status="done")
    with pytest.raises(Conflict):
        await requests.move_request(sec, cid, "close")
    await proposals.update_task(sec, cid, t2, status="cancelled", note="路灯已由供电所更换")
    closed = await requests.move_request(sec, cid, "close")
    assert closed["state"] == "closed"


async def test_minutes_action_item_due_before_registration_is_refused_at_approval():
    """The approval turns action items into tasks; an early date there is refused the same way,
    inside the approval's transaction (nothing of it is written)."""
    from council import db
    from council.meetings import minutes

    made = await new_case(kind="proposal")
    sec = await principal("secretary")
    snap = {"items": [{"case_id": made["id"], "actions": [
        {"id": "early", "what": "回访", "organisation": None, "person": "王", "due": "2020-01-01"}]}]}
    with pytest.raises(Conflict) as e:
        async with db.write():
            await minutes._tasks_from_actions(sec, 0, snap)
    assert made["number"] in str(e.value.params)
    assert await Task.count().where(Task.case == made["id"]) == 0
    from council.cases.calendar_store import today  # China Standard Time: the case's registration day

    snap["items"][0]["actions"][0]["due"] = today().isoformat()
    async with db.write():
        assert len(await minutes._tasks_from_actions(sec, 0, snap)) == 1


# ---------------------------------------------------------------- API and page

@pytest.fixture(scope="module")
async def token() -> dict[str, str]:
    from council.accounts import services
    from council.accounts.principal import SYSTEM

    return {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary', name='tasks-test')}"}


async def test_api_refuses_task_before_registration_and_cancel_without_reason(client, token):
    made = await new_case(kind="proposal")
    cid = made["id"]
    r = client.post(f"/api/v1/cases/{cid}/tasks", headers={**token, "Accept-Language": "zh-CN"},
                    json={"what": "拓宽", "due_date": "2020-01-01"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"]["due_date"] == "任务的完成期限不能早于案件登记日期。"
    assert await Task.count().where(Task.case == cid) == 0
    r = client.post(f"/api/v1/cases/{cid}/tasks", headers=token, json={"what": "拓宽"})
    tid = r.json()["id"]
    r = client.patch(f"/api/v1/cases/{cid}/tasks/{tid}", headers={**token, "Accept-Language": "en"},
                     json={"status": "cancelled", "note": "", "version": 1})
    assert r.status_code == 422 and "note" in r.json()["errors"]
    r = client.patch(f"/api/v1/cases/{cid}/tasks/{tid}", headers=token,
                     json={"status": "cancelled", "note": "方案改为整体改造", "version": 1})
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "方案改为整体改造"


async def test_page_marks_the_reason_field_and_shows_the_reason(as_user):
    from council.cases import proposals

    made = await new_case(kind="proposal")
    cid = made["id"]
    sec = await principal("secretary")
    await proposals.move_proposal(sec, cid, "accept")
    opt = await proposals.add_option(sec, cid, title="拓宽")
    await proposals.prefer_option(sec, cid, opt)
    await proposals.move_proposal(sec, cid, "choose_option")
    tid = await proposals.add_task(sec, cid, what="拆门")
    c = as_user("secretary")
    r = post_form(c, f"/cases/{cid}/do/task_status", {"task": str(tid), "task_version": "1", "status": "cancelled",
                                                       "note": ""}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and "取消任务须填写取消原因" in r.text
    assert (await Task.select(Task.status).where(Task.id == tid).first())["status"] == "open"
    r = post_form(c, f"/cases/{cid}/do/task_status", {"task": str(tid), "task_version": "1", "status": "cancelled",
                                                       "note": "居民改为申请整体改造"})
    assert r.status_code == 303
    page = c.get(f"/cases/{cid}").text
    assert "取消原因" in page and "居民改为申请整体改造" in page and "任务已取消" in page
