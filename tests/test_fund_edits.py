"""A budget line or funding source entered by mistake is corrected or removed while the fund step
is open — audited, on the timeline — and never after; the page offers it and refuses bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient

from council.audit.tables import AuditEntry
from council.cases import fund_edits, proposals
from council.cases.tables import BudgetLine, CaseEvent, FundingSource
from council.core.errors import Conflict, Invalid, NotFound
from council.parties.tables import Organisation
from tests.support import login, post_form
from tests.test_cases_services import new_case, principal


async def proposal_at_fund() -> tuple[int, int, int]:
    made = await new_case(kind="proposal")
    sec = await principal("secretary")
    cid = made["id"]
    await proposals.move_proposal(sec, cid, "accept")
    await proposals.add_opinion(sec, cid, stance="for", text="需要")
    opt = await proposals.add_option(sec, cid, title="方案一")
    await proposals.prefer_option(sec, cid, opt)
    await proposals.move_proposal(sec, cid, "choose_option")
    org = (await Organisation.select(Organisation.id).where(Organisation.kind == "property_manager").first())["id"]
    await proposals.add_task(sec, cid, what="施工", organisation=org, due=str(dt.date.today() + dt.timedelta(days=20)))
    await proposals.move_proposal(sec, cid, "complete_plan")
    line = await proposals.add_budget_line(sec, cid, item="门体改造", amount="3200.00")
    source = await proposals.add_funding_source(sec, cid, source="property_manager", amount="2000.00")
    return cid, line, source


async def test_corrections_while_the_step_is_open_and_never_after():
    sec = await principal("secretary")
    cid, line, source = await proposal_at_fund()
    await fund_edits.change_budget_line(sec, cid, line, item="门体改造（含拆除）", amount="3000.00")
    row = await BudgetLine.select().where(BudgetLine.id == line).first()
    assert row["item"] == "门体改造（含拆除）" and str(row["amount"]) in ("3000.00", "3000")
    with pytest.raises(Invalid):
        await fund_edits.change_budget_line(sec, cid, line, item="", amount="1")
    with pytest.raises(Invalid):
        await fund_edits.change_funding_source(sec, cid, source, source="nonsense", amount="1")
    with pytest.raises(NotFound):  # a record of another case
        await fund_edits.remove_budget_line(sec, cid + 100000, line)
    await fund_edits.change_funding_source(sec, cid, source, source="estate_revenue", amount="3000.00", note="公共收益")
    await fund_edits.remove_budget_line(sec, cid, line)
    assert await BudgetLine.count().where(BudgetLine.id == line) == 0
    kinds = [e["kind"] for e in await CaseEvent.select(CaseEvent.kind).where(CaseEvent.case == cid)]
    assert {"budget_line_changed", "funding_source_changed", "budget_line_removed"} <= set(kinds)
    audits = await AuditEntry.select(AuditEntry.action, AuditEntry.before).where(
        (AuditEntry.entity_type == "case") & (AuditEntry.entity_id == cid) & AuditEntry.action.like("case.budget_line_%"))
    assert {a["action"] for a in audits} == {"case.budget_line_changed", "case.budget_line_removed"}

    # Once the fund step is over, the figures stand as they were decided.
    await proposals.add_budget_line(sec, cid, item="门体改造", amount="3000.00")
    await proposals.move_proposal(sec, cid, "decide_funding")
    with pytest.raises(Conflict):
        await fund_edits.remove_funding_source(sec, cid, source)
    assert await FundingSource.count().where(FundingSource.id == source) == 1
    # Nobody but the station's secretariat corrects them.
    grid = await principal("gridworker")
    with pytest.raises(Exception):
        await fund_edits.remove_funding_source(grid, cid, source)


async def test_the_page_offers_corrections_and_refuses_bad_input(app):
    cid, line, source = await proposal_at_fund()
    with TestClient(app=app) as c:
        login(c, "secretary")
        page = c.get(f"/cases/{cid}", headers={"Accept-Language": "zh-CN"}).text
        assert f'id="budget-{line}"' in page and f'id="funding-{source}"' in page and "更正或删除" in page
        r = post_form(c, f"/cases/{cid}/do/budget_edit", {"record": str(line), "item": "门", "amount": "-5"},
                      headers={"Accept-Language": "zh-CN"})
        assert r.status_code == 422
        assert (await BudgetLine.select(BudgetLine.item).where(BudgetLine.id == line).first())["item"] == "门体改造"
        r = post_form(c, f"/cases/{cid}/do/funding_edit", {"record": str(source), "remove": "1"})
        assert r.status_code == 303
        assert await FundingSource.count().where(FundingSource.id == source) == 0
