"""Shared by the case use cases: loading a case for a principal, and writing its timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases import policy
from council.cases.tables import BudgetLine, Case, CaseEvent, FundingSource, Option, Rating, Task
from council.core.errors import Conflict, Forbidden, NotFound, OutOfScope
from council.core.locking import expect_version
from council.core.prepared import prepared


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


_case = prepared(lambda case_id: Case.select().where(Case.id == case_id).first())


def view_of(row: dict) -> policy.CaseView:
    return policy.CaseView(station=row["station"], community=row["community"], kind=row["kind"],
                           reporter=row["reporter"], organisation=row["organisation"])


async def load_case(principal: Principal, case_id: int) -> dict:
    row = await _case(case_id)
    if row is None:
        raise NotFound()
    view = view_of(row)
    if principal.role == Role.department_liaison and not policy.can_view(principal, view):
        # A liaison may follow a proposal through its tasks: looked up only when needed.
        orgs = await Task.select(Task.organisation).where(Task.case == case_id)
        view = replace(view, task_organisations=frozenset(r["organisation"] for r in orgs if r["organisation"]))
    if not policy.can_view(principal, view):
        if (row["kind"] == "dispute" and not policy.can_read_disputes(principal)
                and principal.role in policy.STAFF and principal.sees_station(row["station"])):
            # Staff of the case's own station who may not open disputes (council.cases.policy) are
            # told where to turn instead. Anyone else gets the same 404 as for a missing case: a
            # resident or another station learns neither that the case exists nor its kind.
            raise Forbidden("Disputes are open only to the mediators and the secretariat: ask them for news of this one.")
        raise OutOfScope()
    return row


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def check_version(row: dict, version: Any) -> None:
    """Optimistic locking for moves: two people acting on one case cannot both win."""
    expect_version(row, version, "Someone else changed this case after you opened it. Reload to see their changes.")


async def set_state(principal: Principal, row: dict, values: dict, *, event: str, text: str = "",
                    data: dict | None = None, ip: str = "") -> dict:
    """Write the case's new values with a version check, a timeline event and an audit entry."""
    values = {**values, "updated_at": now()}
    if "closed_at" in values:
        from council.cases.calendar_store import month_key

        closed = values["closed_at"]
        values["closed_month"] = month_key(closed) if closed else None
        values["close_minutes"] = int((closed - row["created_at"]).total_seconds() // 60) if closed else None
    updated = await Case.update({**{getattr(Case, k): v for k, v in values.items()}, Case.version: row["version"] + 1}).where(
        (Case.id == row["id"]) & (Case.version == row["version"])
    ).returning(Case.id)
    if not updated:
        raise Conflict("Someone else changed this case after you opened it. Reload to see their changes.")
    after = {**row, **values, "version": row["version"] + 1}
    await add_event(principal, row["id"], event, from_state=row["state"], to_state=after["state"], text=text, data=data)
    before_diff, after_diff = audit.diff({k: row.get(k) for k in values}, values)
    await audit.record(principal, f"case.{event}", entity_type="case", entity_id=row["id"], before=before_diff,
                       after={**(after_diff or {}), **({"text": text} if text else {})}, station_id=row["station"], ip=ip)
    return after


async def add_event(principal: Principal, case_id: int, kind: str, *, from_state: str = "", to_state: str = "",
                    text: str = "", data: dict | None = None) -> None:
    await db.insert_row(CaseEvent, dict(
        case=case_id, at=now(), actor=principal.user_id or None, actor_label=principal.label, kind=kind,
        from_state=from_state, to_state=to_state, text=text, data=audit.jsonable(data),
    ))


async def proposal_facts(case_id: int, row: dict):
    """What the proposal's guards look at, read from its step data."""
    from council.cases.proposal_steps import ProposalFacts
    from council.cases.funding import coverage
    from council.cases.satisfaction import verdict
    from council.cases.vocabulary import TASK_FINISHED

    tasks = await _task_statuses(case_id)
    cov = coverage([r["amount"] for r in await _budget_amounts(case_id)],
                   [r["amount"] for r in await _fund_amounts(case_id)])
    return ProposalFacts(
        vote_under_way=await _vote_under_way(case_id) is not None,
        preferred_option=await _preferred_option(case_id) is not None,
        task_count=len(tasks),
        funding_decided=row["funding_not_needed"] or (cov.budget > 0 and cov.covered),
        vote_result=row["vote_result"] or None,
        rating_result=verdict([r["rating"] for r in await _ratings(case_id)]),
        unfinished_tasks=sum(1 for t in tasks if t["status"] not in TASK_FINISHED),
    )


def _vote_under_way_select(case_id):
    from council.votes.tables import Vote

    return Vote.select(Vote.id).where((Vote.case == case_id) & Vote.state.is_in(["draft", "open"])).first()


# proposal_facts runs on every proposal page and before every move: its reads are built once.
_task_statuses = prepared(lambda case_id: Task.select(Task.status).where(Task.case == case_id))
_budget_amounts = prepared(lambda case_id: BudgetLine.select(BudgetLine.amount).where(BudgetLine.case == case_id))
_fund_amounts = prepared(lambda case_id: FundingSource.select(FundingSource.amount).where(FundingSource.case == case_id))
_ratings = prepared(lambda case_id: Rating.select(Rating.rating).where(Rating.case == case_id))
_preferred_option = prepared(lambda case_id: Option.select(Option.id).where(
    (Option.case == case_id) & (Option.preferred == True)).first())  # noqa: E712
_vote_under_way = prepared(_vote_under_way_select)


async def unfinished_tasks(case_id: int) -> int:
    """Tasks that still hold the case open: neither done nor cancelled (with its reason)."""
    from council.cases.vocabulary import TASK_FINISHED

    return await Task.count().where((Task.case == case_id) & Task.status.not_in(list(TASK_FINISHED)))


__all__ = ["now", "load_case", "require", "check_version", "set_state", "add_event", "proposal_facts",
           "unfinished_tasks", "Decimal"]
