"""Disputes inside the case pages: open disputes count as open cases, their states and history read
in Chinese, the case page leads to the mediation file (or opens it) for those who may mediate,
and nobody else reads a dispute at all (grid workers, liaisons, residents)."""

from __future__ import annotations

import secrets

from council.accounts.principal import SYSTEM
from council.accounts.services import create_token
from council.cases import queries as case_queries
from council.cases.tables import Case
from council.mediation.tables import DisputeFile
from tests.support import post_form
from tests.test_mediation_services import principal, ready_to_mediate, station_id
from council.mediation import files


async def _dispute_case(client, headers) -> dict:
    r = client.post("/api/v1/cases", json={"kind": "dispute", "title": f"楼道堆物纠纷{secrets.token_hex(2)}",
                                           "category": "neighbours", "channel": "reception_day",
                                           "description": "三楼住户长期在楼道堆放杂物。"},
                    headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_open_dispute_states_are_open_cases():
    assert {"registered", "consent", "mediating"} <= set(case_queries.OPEN_STATES)
    assert not {"settled", "not_settled", "withdrawn", "terminated", "refused"} & set(case_queries.OPEN_STATES)
    med = await principal("mediator")
    before = (await case_queries.dashboard(med, await station_id())).in_progress
    d = await files.register_dispute(med, {"station": await station_id(), "title": "噪音纠纷", "category": "neighbours",
                                           "source": "applied"})
    await ready_to_mediate(d)  # now "mediating"
    assert (await case_queries.dashboard(med, await station_id())).in_progress == before + 1


async def test_case_page_links_to_the_file_and_opens_one(client, as_user):
    token = await create_token(SYSTEM, "mediator", "cases test")
    made = await _dispute_case(client, {"Authorization": f"Bearer {token}"})
    med = as_user("mediator")
    page = med.get(f"/cases/{made['id']}")
    assert page.status_code == 200 and 'id="mediation-open"' in page.text and "尚未建立调解卷宗" in page.text
    r = post_form(med, f"/mediation/from-case/{made['id']}", {"category": "neighbours", "source": "applied"})
    assert r.status_code == 303, r.text
    row = await DisputeFile.select().where(DisputeFile.case == made["id"]).first()
    page = med.get(f"/cases/{made['id']}")
    assert f'href="/mediation/{row["id"]}"' in page.text and row["number"] in page.text
    assert 'id="mediation-open"' not in page.text
    # The file's history reads in Chinese on the case page, and the state too.
    assert "纠纷登记" in page.text and "mediation.registered" not in page.text
    await Case.update({Case.state: "mediating"}).where(Case.id == made["id"])
    assert "调解中" in med.get(f"/cases/{made['id']}").text
    # The secretary sees the link as well.
    assert f'href="/mediation/{row["id"]}"' in as_user("secretary").get(f"/cases/{made['id']}").text


async def test_nobody_else_reads_a_dispute(client, as_user):
    token = await create_token(SYSTEM, "mediator", "cases test")
    made = await _dispute_case(client, {"Authorization": f"Bearer {token}"})
    grid = as_user("gridworker")
    assert grid.get(f"/cases/{made['id']}").status_code == 403
    assert f'href="/cases/{made["id"]}"' not in grid.get(f"/cases?q={made['number']}").text
    gtoken = await create_token(SYSTEM, "gridworker", "cases test")
    gh = {"Authorization": f"Bearer {gtoken}"}
    assert client.get(f"/api/v1/cases/{made['id']}/timeline", headers=gh).status_code == 403
    assert client.get(f"/api/v1/cases/{made['id']}", headers=gh).status_code == 403
    listed = client.get("/api/v1/cases?kind=dispute", headers=gh).json()
    assert listed["total"] == 0
    # A grid worker who found a dispute still registers it, and is told it went to the mediators.
    r = post_form(grid, "/cases/new", {"kind": "dispute", "title": "两户因漏水争吵", "category": "neighbours",
                                       "channel": "patrol", "priority": "normal"})
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/cases/new?sent=")
    assert "已转交调解员" in grid.get(r.headers["location"]).text


async def test_a_grid_worker_opening_a_dispute_is_told_where_to_turn(as_user):
    """Not "a station you do not serve": the dispute is at their station; only mediators and the
    secretariat may open it, and the refusal says so, in Chinese."""
    from council.cases.tables import Case

    dispute = await Case.select(Case.id).where(Case.kind == "dispute").first()
    r = as_user("gridworker").get(f"/cases/{dispute['id']}", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 403 and "纠纷案件仅限调解员和社区书记查阅" in r.text
