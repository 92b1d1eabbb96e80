"""Case use cases against the real database: intake numbering, proposal steps, the request loop."""

import asyncio
import datetime as dt

import pytest

from council.accounts.principal import Principal
from council.cases import intake, proposals, requests
from council.cases.tables import Case, CaseEvent
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.parties.tables import Organisation
from council.stations.tables import Station
from council.accounts.services import principal_for_user
from council.accounts.tables import User


async def principal(username: str) -> Principal:
    user = await User.select().where(User.username == username).first()
    return await principal_for_user(user, via="session")


async def station_id() -> int:
    return (await Station.select(Station.id).where(Station.case_prefix == "ZXL").first())["id"]


async def new_case(kind="request", **extra):
    sec = await principal("secretary")
    data = {"station": await station_id(), "kind": kind, "title": "1 米宽的自行车门太窄", "category": "facilities",
            "channel": "reception_day", **extra}
    return await intake.register_case(sec, data)


async def test_numbers_are_sequential_and_unique_under_concurrency():
    made = await asyncio.gather(*[new_case() for _ in range(12)])
    numbers = [m["number"] for m in made]
    assert len(set(numbers)) == 12
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(seqs[0], seqs[0] + 12))
    assert all(n.startswith("ZXL-") for n in numbers)


async def test_the_number_returned_is_the_one_stored_and_audited_and_never_provisional():
    from council.audit.tables import AuditEntry

    made = await asyncio.gather(*[new_case(kind) for kind in ("request", "proposal", "request")])
    for m in made:
        row = await Case.select(Case.number).where(Case.id == m["id"]).first()
        assert row["number"] == m["number"] and not m["number"].startswith("~")
        entry = await AuditEntry.select(AuditEntry.after).where(
            (AuditEntry.action == "case.create") & (AuditEntry.entity_id == m["id"])).output(load_json=True).first()
        assert entry["after"]["number"] == m["number"]
    assert not await Case.exists().where(Case.number.like("~%"))


class _RollBack(Exception):
    pass


@pytest.mark.parametrize("sequence", [1, 15, 999, 9999, 10000, 123456])
async def test_the_number_is_formatted_alike_on_both_engines(sequence):
    """number_case formats in SQL on PostgreSQL: the same text as format_number, at every width.
    Done inside a transaction that is then rolled back, so the renumbered case is not kept."""
    from council import db
    from council.audit import service as audit
    from council.audit.tables import AuditEntry
    from council.cases import numbering

    station = await station_id()
    case = await new_case()
    seen = {}
    with pytest.raises(_RollBack):
        async with db.write():
            await db.fetch('INSERT INTO "case_counter" ("station", "year", "last") VALUES ({}, {}, {}) '
                           'ON CONFLICT ("station", "year") DO UPDATE SET "last" = {}', station, 1999, sequence - 1,
                           sequence - 1)
            entry = audit.entry(None, "test.renumber", entity_type="case", entity_id=case["id"],
                                after={"title": "“引号” \\ 与 ~号", "number": case["number"]}, station_id=station)
            seen["returned"] = await numbering.number_case(case["id"], station, "ZXL", 1999, case["number"], entry)
            seen["stored"] = (await Case.select(Case.number).where(Case.id == case["id"]).first())["number"]
            seen["audited"] = (await AuditEntry.select(AuditEntry.after).where(AuditEntry.action == "test.renumber")
                               .order_by(AuditEntry.id, ascending=False).output(load_json=True).first())["after"]
            raise _RollBack()
    assert seen["returned"] == seen["stored"] == numbering.format_number("ZXL", 1999, sequence)
    assert seen["audited"] == {"title": "“引号” \\ 与 ~号", "number": seen["returned"]}
    assert (await Case.select(Case.number).where(Case.id == case["id"]).first())["number"] == case["number"]


async def test_intake_validates_and_writes_nothing_on_error():
    before = await Case.count()
    sec = await principal("secretary")
    with pytest.raises(Invalid) as e:
        await intake.register_case(sec, {"station": await station_id(), "kind": "wish", "title": "", "category": "nope",
                                         "channel": "pigeon", "bogus": 1})
    assert {"kind", "title", "channel", "bogus"} <= set(e.value.errors)
    assert await Case.count() == before


async def test_only_staff_of_the_station_register():
    liaison = await principal("liaison")
    with pytest.raises(Forbidden):
        await intake.register_case(liaison, {"station": await station_id(), "kind": "request", "title": "x",
                                             "category": "other", "channel": "other"})


async def test_request_loop_with_deadline_extension_and_rating():
    made = await new_case()
    sec, liaison = await principal("secretary"), await principal("liaison")
    row = await Case.select().where(Case.id == made["id"]).first()
    assert row["state"] == "registered" and row["due_date"] is not None and row["limit_days"] == 15
    org = liaison.organisation_id
    with pytest.raises(NotFound):  # not dispatched to them yet: cannot see it, not even that it exists
        await requests.move_request(liaison, made["id"], "accept")
    await requests.move_request(sec, made["id"], "dispatch", organisation=org)
    await requests.move_request(liaison, made["id"], "accept")
    ext = await requests.request_extension(liaison, made["id"], 5, "需要采购材料")
    await requests.decide_extension(sec, made["id"], ext, approve=True)
    later = await Case.select().where(Case.id == made["id"]).first()
    assert later["due_date"] > row["due_date"]
    with pytest.raises(Conflict):
        await requests.move_request(liaison, made["id"], "report", report="")
    await requests.move_request(liaison, made["id"], "report", report="已将门拓宽 1 米")
    await requests.move_request(sec, made["id"], "close")
    await requests.move_request(sec, made["id"], "rate", rating="unsatisfied", comment="门还是窄")
    reopened = await Case.select().where(Case.id == made["id"]).first()
    assert reopened["state"] == "registered" and reopened["organisation"] is None
    kinds = [e["kind"] for e in await CaseEvent.select(CaseEvent.kind).where(CaseEvent.case == made["id"]).order_by(CaseEvent.id)]
    assert kinds[0] == "created" and "request.dispatch" in kinds and "extension_approved" in kinds and kinds[-1] == "request.rate"


async def test_proposal_reaches_decide_only_with_plan_and_funding():
    made = await new_case(kind="proposal")
    sec = await principal("secretary")
    cid = made["id"]
    await proposals.move_proposal(sec, cid, "accept")
    await proposals.add_opinion(sec, cid, stance="for", text="老人推车进出经常摔倒")
    with pytest.raises(Conflict):
        await proposals.move_proposal(sec, cid, "choose_option")
    opt = await proposals.add_option(sec, cid, title="拓宽 1 米")
    await proposals.prefer_option(sec, cid, opt)
    await proposals.move_proposal(sec, cid, "choose_option")
    with pytest.raises(Conflict):
        await proposals.move_proposal(sec, cid, "complete_plan")
    org = (await Organisation.select(Organisation.id).where(Organisation.kind == "property_manager").first())["id"]
    await proposals.add_task(sec, cid, what="拆除并拓宽自行车门", organisation=org,
                              due=str(dt.date.today() + dt.timedelta(days=30)))
    await proposals.move_proposal(sec, cid, "complete_plan")
    await proposals.add_budget_line(sec, cid, item="门体改造", amount="3200.00")
    await proposals.add_funding_source(sec, cid, source="property_manager", amount="2000.00")
    with pytest.raises(Conflict):
        await proposals.move_proposal(sec, cid, "decide_funding")
    await proposals.add_funding_source(sec, cid, source="estate_revenue", amount="1200.00")
    await proposals.move_proposal(sec, cid, "decide_funding")
    row = await Case.select().where(Case.id == cid).first()
    assert row["state"] == "decide"
    with pytest.raises(Invalid):  # a result typed by hand: refused, the vote decides
        await proposals.record_vote(sec, cid, vote_ref="manual", result="failed")
    from tests.test_votes_law import decide_by_vote

    await decide_by_vote(sec, cid, passed=False)
    assert (await Case.select(Case.state).where(Case.id == cid).first())["state"] == "discuss"


async def test_stale_version_is_refused():
    made = await new_case(kind="proposal")
    sec = await principal("secretary")
    row = await Case.select().where(Case.id == made["id"]).first()
    await proposals.move_proposal(sec, made["id"], "accept", version=row["version"])
    with pytest.raises(Conflict):
        await proposals.move_proposal(sec, made["id"], "reject", reason="重复", version=row["version"])


async def test_lists_are_scoped_and_dashboard_counts():
    from council.cases.queries import CaseFilter, dashboard, list_cases

    made = await new_case()
    sec, liaison, resident = await principal("secretary"), await principal("liaison"), await principal("resident")
    rows, total = await list_cases(sec, CaseFilter(q=made["number"]))
    assert total == 1 and rows[0]["number"] == made["number"]
    assert (await list_cases(liaison, CaseFilter(q=made["number"])))[1] == 0  # not dispatched to them
    assert (await list_cases(resident, CaseFilter(q=made["number"])))[1] == 0  # not theirs, not a proposal
    await requests.move_request(sec, made["id"], "dispatch", organisation=liaison.organisation_id)
    assert (await list_cases(liaison, CaseFilter(q=made["number"])))[1] == 1
    d = await dashboard(sec, await station_id())
    assert d.received_month >= 1 and d.received_year >= d.received_month
    assert sum(d.by_kind_state.values()) == await Case.count().where(Case.station == await station_id())
    assert len(d.months) == 12
    with pytest.raises(Forbidden):
        await dashboard(liaison, await station_id())


async def test_search_finds_chinese_words_of_any_length_and_numbers_in_any_case():
    # Each search form takes a different path on PostgreSQL (strpos, LIKE, ILIKE with trigrams).
    from council.cases.queries import CaseFilter, list_cases

    sec = await principal("secretary")
    made = await new_case(title="楼顶水箱漏水严重", description="50%的住户停水")
    for term in ("漏", "漏水", "水箱漏水", made["number"].lower(), made["number"], "50%的"):
        rows, total = await list_cases(sec, CaseFilter(q=term))
        assert made["id"] in [r["id"] for r in rows], term
    rows, _ = await list_cases(sec, CaseFilter(q="水箱不漏"))
    assert made["id"] not in [r["id"] for r in rows]
