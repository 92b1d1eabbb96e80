"""Correcting the fund step: a budget line or funding source entered by mistake can be changed or
removed while the fund step is open, never after (the vote and the evaluation rely on the
figures as they stood). Each change is a case event and an audit entry with before and after."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases import policy
from council.cases.common import add_event, load_case, require, view_of
from council.cases.tables import BudgetLine, FundingSource
from council.cases.vocabulary import FUNDING_SOURCES, codes
from council.cases.proposals import _amount  # the same amount rule as when the record was added
from council.core.errors import Conflict, Invalid, NotFound

OPEN_STEP = "fund"
STEP_CLOSED = "Budget lines and funding sources can be changed only while the fund step is open."


async def _record(table, case_id: int, record_id: int) -> dict:
    row = await table.select().where((table.id == record_id) & (table.case == case_id)).first()
    if row is None:
        raise NotFound()
    return row


async def _change(principal: Principal, case_id: int, table, record_id: int, kind: str,
                  values: dict | None, ip: str) -> None:
    """values None removes the record; otherwise the columns to set."""
    async with db.write():
        case = await load_case(principal, case_id)
        require(case["kind"] == "proposal" and policy.can_steer(principal, view_of(case)))
        if case["state"] != OPEN_STEP:
            raise Conflict(STEP_CLOSED)
        before = await _record(table, case_id, record_id)
        before = {k: v for k, v in before.items() if k not in ("id", "case")}
        if values is None:
            await table.delete().where(table.id == record_id)
            event, after = f"{kind}_removed", None
        else:
            await table.update(values).where(table.id == record_id)
            event, after = f"{kind}_changed", values
        await add_event(principal, case_id, event, data={"before": before, "after": after})
        await audit.record(principal, f"case.{event}", entity_type="case", entity_id=case_id, before=before,
                           after=after, station_id=case["station"], ip=ip)


async def change_budget_line(principal: Principal, case_id: int, line_id: int, *, item: str, amount: Any,
                             ip: str = "") -> None:
    if not (item or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"item": "This field is required."})
    value = _amount(amount)
    await _change(principal, case_id, BudgetLine, line_id, "budget_line",
                  {"item": item.strip()[:200], "amount": value}, ip)


async def remove_budget_line(principal: Principal, case_id: int, line_id: int, ip: str = "") -> None:
    await _change(principal, case_id, BudgetLine, line_id, "budget_line", None, ip)


async def change_funding_source(principal: Principal, case_id: int, source_id: int, *, source: str, amount: Any,
                                note: str = "", ip: str = "") -> None:
    if source not in codes(FUNDING_SOURCES):
        raise Invalid("Please correct the marked fields.", errors={"source": "Choose one of the listed options."})
    value = _amount(amount)
    await _change(principal, case_id, FundingSource, source_id, "funding_source",
                  {"source": source, "amount": value, "note": (note or "").strip()[:200]}, ip)


async def remove_funding_source(principal: Principal, case_id: int, source_id: int, ip: str = "") -> None:
    await _change(principal, case_id, FundingSource, source_id, "funding_source", None, ip)
