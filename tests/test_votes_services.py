"""Vote use cases on the real database (SQLite or PostgreSQL): the frozen electorate, one ballot
per voter under 100 concurrent submissions, single-use voting links, paper entry with proxies,
corrections, the secret ballot's separation, and the feedback to the proposal."""

from __future__ import annotations

import asyncio

import pytest

from council.accounts import services as account_services
from council.accounts.tables import User
from council.audit.tables import AuditEntry
from council.cases.calendar_store import today
from council.cases.tables import Case
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.places.tables import Building, Estate
from council.stations.tables import Station
from council.votes import ballots, manage, tokens
from council.votes.common import as_json, current_tally, get_vote, secret_key
from council.votes.tables import VoteBallot, VoteSecretCount, VoteVoter


async def principal(username: str):
    user = await User.select().where(User.username == username).first()
    return await account_services.principal_for_user(user, via="session")


async def scope(building: str = "1栋", estate: str = "华佳梅苑") -> dict:
    station = await Station.select(Station.id).where(Station.case_prefix == "ZXL").first()
    e = await Estate.select(Estate.id).where(Estate.name == estate).first()
    b = await Building.select(Building.id).where((Building.estate == e["id"]) & (Building.number == building)).first()
    return {"station": station["id"], "estate": e["id"], "buildings": [b["id"]]}


async def new_open_vote(**extra) -> int:
    sec = await principal("secretary")
    rule_set = extra.get("rule_set", "art278_ordinary")
    extra.setdefault("matter", "art278_4" if rule_set.startswith("art278") else "community")
    data = {**await scope(extra.pop("building", "1栋"), extra.pop("estate", "华佳梅苑")), "title": "测试表决", "question": "是否同意？",
            "rule_set": "art278_ordinary", **extra}
    vote_id = await manage.create_vote(sec, data)
    await manage.open_vote(sec, vote_id, confirm_small=True)
    return vote_id


async def link_of(vote_id: int, voter: dict) -> str:
    return tokens.make_token(secret_key(), vote_id, voter["voter_key"], voter["token_salt"])


async def voters(vote_id: int) -> list[dict]:
    return await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)


# ---------------------------------------------------------------- create and open

async def test_create_validates_and_changes_nothing():
    sec = await principal("secretary")
    before = await AuditEntry.count()
    with pytest.raises(Invalid) as e:
        await manage.create_vote(sec, {**await scope(), "title": "", "question": "", "rule_set": "nope",
                                       "notice_days": "0"})
    assert {"title", "question", "rule_set", "notice_days"} <= set(e.value.errors)
    with pytest.raises(Invalid) as e:
        await manage.create_vote(sec, {**await scope(), "title": "x", "question": "y", "matter": "community", "rule_set": "custom",
                                       "approval_heads": ["3/2", True]})
    assert "approval_heads" in e.value.errors
    assert await AuditEntry.count() == before


async def test_wrong_role_or_station_is_refused():
    grid = await principal("gridworker")
    with pytest.raises(Forbidden):
        await manage.create_vote(grid, {**await scope(), "title": "x", "question": "y", "matter": "art278_4", "rule_set": "art278_ordinary"})
    vote_id = await new_open_vote()
    resident = await principal("resident")
    with pytest.raises(Forbidden):  # staff of the vote's station, without the role to run it
        await manage.close_vote(grid, vote_id)
    with pytest.raises(NotFound):  # a resident is of no station: the vote is not theirs to know of
        await manage.close_vote(resident, vote_id)
    assert (await get_vote(vote_id))["state"] == "open"


async def test_open_freezes_the_electorate_with_the_counting_rules():
    vote_id = await new_open_vote(building="10栋", estate="中南悦园")  # 10栋 13–15F are the developer's unsold units
    rows = await voters(vote_id)
    developer = [v for v in rows if v["kind"] == "developer"]
    assert len(developer) == 1 and len(developer[0]["unit_numbers"].split()) == 6
    assert all(len(v["token_hash"]) == 64 for v in rows)
    assert len({v["token_hash"] for v in rows}) == len(rows)
    sec = await principal("secretary")
    with pytest.raises(Conflict):
        await manage.open_vote(sec, vote_id)  # already open


# ---------------------------------------------------------------- ballots

async def test_one_ballot_per_voter_under_100_concurrent_submissions():
    vote_id = await new_open_vote()
    rows = (await voters(vote_id))[:10]
    links = [await link_of(vote_id, v) for v in rows]

    async def submit(i: int):
        try:
            await ballots.cast_online(links[i % len(links)], "agree")
            return "ok"
        except Conflict as e:
            return e.message

    results = await asyncio.gather(*[submit(i) for i in range(100)])
    assert results.count("ok") == len(rows)
    assert set(results) - {"ok"} == {ballots.LINK_USED}
    counted = await VoteBallot.select(VoteBallot.voter).where(VoteBallot.vote == vote_id)
    assert sorted(b["voter"] for b in counted) == sorted(v["id"] for v in rows)
    assert (await current_tally(await get_vote(vote_id)))["voted"]["heads"] == len(rows)


async def test_reusing_a_link_is_refused_and_changes_nothing():
    vote_id = await new_open_vote()
    voter = (await voters(vote_id))[0]
    link = await link_of(vote_id, voter)
    await ballots.cast_online(link, "agree")
    before = (await VoteBallot.count().where(VoteBallot.vote == vote_id), await AuditEntry.count())
    with pytest.raises(Conflict) as e:
        await ballots.cast_online(link, "disagree")
    assert e.value.message == ballots.LINK_USED
    assert (await VoteBallot.count().where(VoteBallot.vote == vote_id), await AuditEntry.count()) == before
    ballot = await VoteBallot.select().where(VoteBallot.vote == vote_id).first()
    assert ballot["choice"] == "agree"
    with pytest.raises(NotFound):
        await ballots.cast_online("x" * 32, "agree")
    with pytest.raises(Invalid):
        await ballots.cast_online(await link_of(vote_id, (await voters(vote_id))[1]), "spoiled")  # not online


async def test_paper_ballot_proxy_needs_written_authorisation_and_correction_is_audited():
    vote_id = await new_open_vote()
    sec = await principal("secretary")
    grid = await principal("gridworker")
    voter = (await voters(vote_id))[0]
    unit = voter["unit_numbers"].split()[0]
    with pytest.raises(Invalid) as e:
        await ballots.enter_ballot(grid, vote_id, unit_number=unit, choice="agree", form_ref="F-1", proxy_name="张三", received_on=today())
    assert "proxy_authorisation" in e.value.errors
    with pytest.raises(Invalid) as e:
        await ballots.enter_ballot(grid, vote_id, unit_number="99-9999", choice="agree", form_ref="F-1", received_on=today())
    assert "unit_number" in e.value.errors
    ballot_id = await ballots.enter_ballot(grid, vote_id, unit_number=unit, choice="agree", form_ref="F-1",
                                           proxy_name="张三", proxy_authorisation="委托书 2026-031", received_on=today())
    row = await VoteBallot.select().where(VoteBallot.id == ballot_id).first()
    assert row["entered_by"] == grid.user_id and row["form_ref"] == "F-1" and row["channel"] == "paper"
    with pytest.raises(Conflict):
        await ballots.enter_ballot(sec, vote_id, voter_id=voter["id"], choice="disagree", form_ref="F-2", received_on=today())
    with pytest.raises(Conflict):  # the voter's link is used up too
        await ballots.cast_online(await link_of(vote_id, voter), "disagree")
    with pytest.raises(Forbidden):
        await ballots.correct_ballot(grid, vote_id, ballot_id, choice="disagree", reason="录入错误")
    with pytest.raises(Invalid):
        await ballots.correct_ballot(sec, vote_id, ballot_id, choice="disagree", reason="")
    await ballots.correct_ballot(sec, vote_id, ballot_id, choice="disagree", reason="录入错误", version=1)
    assert (await VoteBallot.select(VoteBallot.choice).where(VoteBallot.id == ballot_id).first())["choice"] == "disagree"
    with pytest.raises(Conflict):  # a stale form
        await ballots.correct_ballot(sec, vote_id, ballot_id, choice="abstain", reason="再改", version=1)
    entry = await AuditEntry.select().where((AuditEntry.action == "vote.ballot_corrected") & (AuditEntry.entity_id == vote_id)).first()
    assert as_json(entry["before"])["choice"] == "agree" and as_json(entry["after"])["choice"] == "disagree"


async def test_secret_ballot_keeps_who_apart_from_what():
    vote_id = await new_open_vote(secret=True)
    rows = await voters(vote_id)
    await ballots.cast_online(await link_of(vote_id, rows[0]), "agree")
    await ballots.cast_online(await link_of(vote_id, rows[1]), "disagree")
    sec = await principal("secretary")
    await ballots.enter_ballot(sec, vote_id, voter_id=rows[2]["id"], choice="spoiled", channel="meeting")
    # Participation rows hold no choice; the totals hold no voter, no time, no order.
    assert {b["choice"] for b in await VoteBallot.select(VoteBallot.choice).where(VoteBallot.vote == vote_id)} == {None}
    counts = {c["choice"]: c["heads"] for c in await VoteSecretCount.select().where(VoteSecretCount.vote == vote_id)}
    assert counts == {"agree": 1, "disagree": 1, "abstain": 0, "spoiled": 1}
    assert {c._meta.name for c in VoteSecretCount._meta.columns} == {"id", "vote", "choice", "heads", "area_centi"}
    ballots_audit = await AuditEntry.select(AuditEntry.after).where(
        (AuditEntry.entity_id == vote_id) & AuditEntry.action.like("vote.ballot%"))
    assert ballots_audit and all("choice" not in as_json(a["after"]) for a in ballots_audit)
    with pytest.raises(Conflict):
        await ballots.correct_ballot(sec, vote_id, 1, choice="agree", reason="x")
    after = await manage.close_vote(sec, vote_id)
    result = after["result"]
    assert result["voted"]["heads"] == 3 and result["spoiled"]["heads"] == 1


async def test_close_feeds_back_to_the_proposal_and_a_failed_vote_returns_to_discuss():
    from council.votes.demo import _proposal_at_decide

    s = await scope()
    sec = await principal("secretary")
    for outcome in ("failed", "passed"):
        case_id = await _proposal_at_decide(s["station"], s["estate"], f"测试提案 {outcome}", "说明", "facilities",
                                            "方案", "任务", "100.00", "estate_revenue")
        vote_id = await new_open_vote(case=case_id)
        rows = await voters(vote_id)
        if outcome == "passed":
            for v in rows:
                await ballots.enter_ballot(sec, vote_id, voter_id=v["id"], choice="agree", channel="meeting")
        else:
            await ballots.enter_ballot(sec, vote_id, voter_id=rows[0]["id"], choice="agree", channel="meeting")
        after = await manage.close_vote(sec, vote_id)
        assert after["passed"] is (outcome == "passed")
        case = await Case.select().where(Case.id == case_id).first()
        assert case["vote_ref"] == f"/votes/{vote_id}"
        assert case["state"] == ("evaluate" if outcome == "passed" else "discuss")
        with pytest.raises(Conflict):
            await ballots.cast_online(await link_of(vote_id, rows[-1]), "agree")  # closed
        # The frozen result does not move when ballots could no longer change anyway.
        assert as_json((await get_vote(vote_id))["result"])["passed"] is (outcome == "passed")


async def test_a_vote_on_a_proposal_needs_its_decide_step():
    s = await scope()
    sec = await principal("secretary")
    from council.cases import intake

    case = await intake.register_case(sec, {"station": s["station"], "kind": "proposal", "title": "加装充电桩",
                                            "category": "facilities", "channel": "reception_day"})
    assert (await Case.select(Case.state).where(Case.id == case["id"]).first())["state"] == "propose"
    before = await AuditEntry.count()
    with pytest.raises((Conflict, Invalid)):
        await manage.create_vote(sec, {**s, "title": "x", "question": "y", "matter": "art278_4", "rule_set": "art278_ordinary",
                                       "case": case["id"]})
    assert await AuditEntry.count() == before  # nothing written


async def test_representatives_and_households_electorates():
    from council.people.tables import Person

    s = await scope()
    sec = await principal("secretary")
    people = [p["id"] for p in await Person.select(Person.id).order_by(Person.id).limit(5)]
    vote_id = await manage.create_vote(sec, {"station": s["station"], "title": "代表会议", "question": "?",
                                             "matter": "community", "rule_set": "representatives", "quorum": ["1/2", False],
                                             "voter_people": ",".join(map(str, people))})
    await manage.open_vote(sec, vote_id)
    rows = await voters(vote_id)
    assert sorted(v["person"] for v in rows) == people and all(v["area_centi"] == 0 for v in rows)
    for v in rows[:3]:
        await ballots.enter_ballot(sec, vote_id, voter_id=v["id"], choice="agree", channel="meeting")
    result = (await manage.close_vote(sec, vote_id))["result"]
    assert result["passed"] and [c["what"] for c in result["checks"]] == ["turnout_heads", "approval_heads"]
    # Households: every unit is a head, whoever owns it.
    vote_id = await new_open_vote(rule_set="custom", counting="households", approval_heads=["1/2", False])
    units = await VoteVoter.select(VoteVoter.unit_numbers).where(VoteVoter.vote == vote_id)
    assert all(len(u["unit_numbers"].split()) == 1 for u in units)
