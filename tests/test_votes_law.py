"""Votes and decisions as the law has them (issue 13), at the boundaries: the pure rules first
(council.votes.rules, conduct, electorate; council.cases.decision), then the use cases on the real
database, then the API (problem+json) and the pages (refusals in Chinese, nothing written).

1. a proposal's decision is copied from the closed vote linked to it; nothing typed by hand, no
   free-text or external reference; the vote is skipped only for a matter that needs none → 未经表决;
2. a vote names its matter, and its rule set is no weaker than Civil Code Art. 278 para. 2;
3. non-voters never make the turnout, never for items 6–8, and only under a management-rules clause;
4. a jointly owned unit is its own head; one representative per co-owned unit;
5. paper ballots are dated inside the voting period; an early close needs a reason;
6. staff correct only ballots staff entered;
7. secret ballots: no totals while open, no areas in the voter list, a warning for small electorates.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from council.accounts import services as account_services
from council.accounts.principal import SYSTEM
from council.audit.tables import AuditEntry
from council.cases import decision, proposals
from council.cases.calendar_store import today
from council.cases.tables import Case
from council.core.errors import Conflict, Invalid
from council.stations.tables import StationEstate
from council.votes import ballots, conduct, manage, rules
from council.votes import electorate as el
from council.votes.common import as_json, get_vote
from council.votes.rules import Threshold
from council.votes.tables import Vote, VoteBallot, VoteVoter
from tests.support import post_form
from tests.test_votes_services import link_of, principal, scope

ZH = {"Accept-Language": "zh-CN"}


async def decide_by_vote(sec, case_id: int, *, passed: bool = True) -> int:
    """The decide step as the law has it: a vote linked to the proposal, one meeting ballot, closed
    (the close copies the result onto the proposal). Used by the case tests too."""
    case = await Case.select(Case.station).where(Case.id == case_id).first()
    link = await StationEstate.select(StationEstate.estate).where(StationEstate.station == case["station"]).first()
    vote_id = await manage.create_vote(sec, {"station": case["station"], "case": case_id, "title": "表决",
                                             "question": "是否同意？", "matter": "community",
                                             "rule_set": "simple_majority", "estate": link["estate"]})
    await manage.open_vote(sec, vote_id)
    voter = await VoteVoter.select(VoteVoter.id).where(VoteVoter.vote == vote_id).order_by(VoteVoter.id).first()
    await ballots.enter_ballot(sec, vote_id, voter_id=voter["id"], choice="agree" if passed else "disagree",
                               channel="meeting")
    await manage.close_vote(sec, vote_id)
    return vote_id


async def at_decide(title: str) -> int:
    from council.votes.demo import _proposal_at_decide

    s = await scope("5栋")
    return await _proposal_at_decide(s["station"], s["estate"], title, "说明", "facilities", "方案", "施工",
                                     "100.00", "estate_revenue")


def base(s: dict, **extra) -> dict:
    return {**s, "title": "测试", "question": "是否同意？", **extra}


# ================================================================ pure rules

ORDINARY, MAJOR = rules.build("art278_ordinary"), rules.build("art278_major")


@pytest.mark.parametrize("matter", rules.ART278)
def test_art278_matters_take_rule_sets_no_weaker_than_the_law(matter):
    major = matter in rules.MAJOR
    assert rules.check_matter(matter, MAJOR) == {}  # stricter than ordinary is allowed
    assert rules.check_matter(matter, ORDINARY) == ({"rule_set": rules.WEAKER_MAJOR} if major else {})
    for code in ("simple_majority", "representatives"):
        assert "rule_set" in rules.check_matter(matter, rules.build(code))
    custom = rules.build("custom", {"turnout_area": ["3/4", True], "turnout_heads": ["3/4", True],
                                    "approval_area": ["4/5", True], "approval_heads": ["4/5", True]})
    assert rules.check_matter(matter, custom) == {"rule_set": rules.CUSTOM_ART278}  # even a stricter one


def test_other_community_matters_may_use_any_rule_set_and_a_matter_is_required():
    for code in ("simple_majority", "representatives"):
        assert rules.check_matter("community", rules.build(code)) == {}
    assert rules.check_matter("community", rules.build("custom", {"approval_heads": ["1/3", True]})) == {}
    assert rules.check_matter("", ORDINARY) == {"matter": rules.NO_MATTER}
    assert rules.check_matter("art278_10", ORDINARY) == {"matter": rules.NO_MATTER}


def test_no_weaker_compares_fraction_then_bound():
    two_thirds, half_strict = rules.TWO_THIRDS, rules.HALF_EXCLUSIVE
    assert rules.at_least_as_strict(two_thirds, two_thirds)
    assert rules.at_least_as_strict(Threshold(Fraction(2, 3), False), two_thirds)  # > 2/3 is stricter than ≥ 2/3
    assert not rules.at_least_as_strict(Threshold(Fraction(1, 2), True), half_strict)  # ≥ 1/2 lets exactly half pass
    assert rules.at_least_as_strict(Threshold(Fraction(1, 2), False), half_strict)
    assert not rules.at_least_as_strict(Threshold(Fraction(65, 100), True), two_thirds)
    assert not rules.at_least_as_strict(None, two_thirds) and rules.at_least_as_strict(None, None)


def test_non_voters_follow_the_majority_only_under_a_clause_and_never_for_items_6_to_8():
    follow = rules.build("art278_major", non_voters_follow_majority=True)
    for matter in rules.MAJOR:
        assert rules.check_matter(matter, follow, "管理规约第十二条") == {
            "non_voters_follow_majority": rules.FOLLOW_MAJOR}
    ordinary = rules.build("art278_ordinary", non_voters_follow_majority=True)
    assert rules.check_matter("art278_4", ordinary) == {"follow_clause": rules.FOLLOW_CLAUSE}
    assert rules.check_matter("art278_4", ordinary, "  ") == {"follow_clause": rules.FOLLOW_CLAUSE}
    assert rules.check_matter("art278_4", ordinary, "管理规约第十二条") == {}
    assert rules.check_matter("community", rules.build("simple_majority", non_voters_follow_majority=True)) == {
        "follow_clause": rules.FOLLOW_CLAUSE}


def test_decision_comes_from_the_newest_closed_vote_of_this_proposal_and_station():
    V = decision.VoteFacts
    assert decision.result_from_vote(5, 1, V(9, 1, 5, "closed", True), 9) == "passed"
    assert decision.result_from_vote(5, 1, V(9, 1, 5, "closed", False), 9) == "failed"
    cases = [
        (V(9, 2, 5, "closed", True), 9, decision.OTHER_CASE),  # another station
        (V(9, 1, 6, "closed", True), 9, decision.OTHER_CASE),  # another proposal
        (V(9, 1, None, "closed", True), 9, decision.OTHER_CASE),  # a standalone vote
        (V(9, 1, 5, "open", None), None, decision.NOT_CLOSED),
        (V(9, 1, 5, "draft", None), None, decision.NOT_CLOSED),
        (V(8, 1, 5, "closed", True), 9, decision.SUPERSEDED),
        (None, None, decision.NOT_A_VOTE),
    ]
    for vote, newest, why in cases:
        with pytest.raises(decision.DecisionRefused) as e:
            decision.result_from_vote(5, 1, vote, newest)
        assert e.value.message == why


@pytest.mark.parametrize("ref,expected", [(12, 12), ("12", 12), (" /votes/12 ", 12)])
def test_a_reference_is_a_vote_number_of_this_system(ref, expected):
    assert decision.vote_id_of(ref) == expected


@pytest.mark.parametrize("ref", ["//other.host/x", "https://example.com/votes/1", "V-1", "vote:7", "", None,
                                 "/votes/1/../2", "javascript:alert(1)", True, "1 2"])
def test_free_text_and_external_references_are_refused(ref):
    with pytest.raises(decision.DecisionRefused):
        decision.vote_id_of(ref)


def test_voting_period_bounds_are_inclusive_days():
    opens, closes, now = dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 20)
    assert conduct.received_refusal(opens, opens, closes, now) is None
    assert conduct.received_refusal(closes, opens, closes, now) is None
    assert conduct.received_refusal(opens - dt.timedelta(days=1), opens, closes, now) == conduct.RECEIVED_BEFORE
    assert conduct.received_refusal(closes + dt.timedelta(days=1), opens, closes, now) == conduct.RECEIVED_AFTER
    assert conduct.received_refusal(None, opens, closes, now) == conduct.RECEIVED_REQUIRED
    assert conduct.received_refusal(now + dt.timedelta(days=1), opens, None, now) == conduct.RECEIVED_FUTURE
    assert conduct.received_refusal(now, opens, None, now) is None  # no announced end: open-ended


def test_early_close_needs_a_reason_and_corrections_only_for_staff_entered_ballots():
    end = dt.datetime(2026, 11, 9, 10, tzinfo=dt.timezone.utc)
    assert conduct.early_close_refusal(end, end - dt.timedelta(seconds=1), "") == conduct.EARLY_REASON
    assert conduct.early_close_refusal(end, end - dt.timedelta(seconds=1), "全部业主已表决") is None
    assert conduct.early_close_refusal(end, end, "") is None  # at the announced end: not early
    assert conduct.early_close_refusal(None, end, "") is None
    assert conduct.correction_refusal("online", None) == conduct.RESIDENT_BALLOT
    assert conduct.correction_refusal("online", 3) == conduct.RESIDENT_BALLOT
    assert conduct.correction_refusal("paper", None) == conduct.RESIDENT_BALLOT
    assert conduct.correction_refusal("paper", 3) is None and conduct.correction_refusal("meeting", 3) is None
    assert conduct.secrecy_at_risk(conduct.SECRET_MIN_HEADS - 1) and not conduct.secrecy_at_risk(
        conduct.SECRET_MIN_HEADS)


# ================================================================ use cases on the database

async def test_create_refuses_a_vote_without_matter_or_weaker_than_the_law_and_writes_nothing():
    sec = await principal("secretary")
    s = await scope("6栋")
    before, audits = await Vote.count(), await AuditEntry.count()
    refusals = [
        ({"rule_set": "art278_ordinary"}, "matter"),
        ({"matter": "art278_7", "rule_set": "art278_ordinary"}, "rule_set"),
        ({"matter": "art278_6", "rule_set": "simple_majority"}, "rule_set"),
        ({"matter": "art278_4", "rule_set": "custom", "approval_heads": ["9/10", True]}, "rule_set"),
        ({"matter": "art278_8", "rule_set": "art278_major", "non_voters_follow_majority": True,
          "follow_clause": "管理规约第十二条"}, "non_voters_follow_majority"),
        ({"matter": "art278_4", "rule_set": "art278_ordinary", "non_voters_follow_majority": True}, "follow_clause"),
    ]
    for extra, field in refusals:
        with pytest.raises(Invalid) as e:
            await manage.create_vote(sec, base(s, **extra))
        assert field in e.value.errors, (extra, e.value.errors)
    assert await Vote.count() == before and await AuditEntry.count() == audits
    vote_id = await manage.create_vote(sec, base(s, matter="art278_4", rule_set="art278_ordinary",
                                                 non_voters_follow_majority=True, follow_clause="管理规约第十二条"))
    row = await get_vote(vote_id)
    assert row["matter"] == "art278_4" and row["follow_clause"] == "管理规约第十二条"
    entry = await AuditEntry.select().where((AuditEntry.action == "vote.create") & (AuditEntry.entity_id == vote_id)).first()
    assert as_json(entry["after"])["follow_clause"] == "管理规约第十二条"


async def test_the_decide_step_takes_only_its_own_closed_vote():
    sec = await principal("secretary")
    case_id = await at_decide("决定只取自表决")
    other_case = await at_decide("另一个提案")
    other_vote = await decide_by_vote(sec, other_case, passed=True)
    for kw, field in (({"vote": other_vote}, "vote"), ({"vote_ref": "//other.host/x"}, "vote"),
                      ({"vote": "V-1"}, "vote"), ({"vote": other_vote, "result": "passed"}, "result")):
        with pytest.raises((Invalid, Conflict)) as e:
            await proposals.record_vote(sec, case_id, **kw)
        assert field in e.value.errors
    s = await scope("5栋")
    open_vote = await manage.create_vote(sec, base(s, case=case_id, matter="community", rule_set="simple_majority"))
    await manage.open_vote(sec, open_vote)
    with pytest.raises(Conflict) as e:
        await proposals.record_vote(sec, case_id, vote=open_vote)
    assert e.value.message == decision.NOT_CLOSED
    with pytest.raises(Conflict) as e:  # nor can the vote be skipped while it runs
        await proposals.move_proposal(sec, case_id, "skip_vote", reason="x", no_vote_needed=True)
    assert e.value.message == decision.SKIP_VOTE_UNDER_WAY
    row = await Case.select().where(Case.id == case_id).first()
    assert row["state"] == "decide" and row["vote_result"] == "" and row["vote_ref"] == ""
    await manage.close_vote(sec, open_vote)  # no ballots: failed, and the proposal returns to discuss
    row = await Case.select().where(Case.id == case_id).first()
    assert row["state"] == "discuss" and row["vote_ref"] == f"/votes/{open_vote}"


async def test_skipping_the_vote_needs_the_declaration_and_says_unvoted():
    sec = await principal("secretary")
    case_id = await at_decide("无需表决的事项")
    with pytest.raises(Conflict) as e:
        await proposals.move_proposal(sec, case_id, "skip_vote", reason="物业合同内事项")
    assert e.value.message == decision.SKIP_NEEDS_DECLARATION
    with pytest.raises(Conflict):  # the plain skip no longer leaves the decide step
        await proposals.move_proposal(sec, case_id, "skip", reason="物业合同内事项", no_vote_needed=True)
    assert (await Case.select(Case.state).where(Case.id == case_id).first())["state"] == "decide"
    after = await proposals.move_proposal(sec, case_id, "skip_vote", reason="物业合同内事项", no_vote_needed=True)
    assert after["state"] == "evaluate" and after["vote_result"] == decision.UNVOTED


async def test_paper_ballots_carry_a_received_date_inside_the_period():
    sec = await principal("secretary")
    s = await scope("6栋")
    now = dt.datetime.now(dt.timezone.utc)
    vote_id = await manage.create_vote(sec, base(s, matter="community", rule_set="simple_majority",
                                                 opens_at=now - dt.timedelta(days=3),
                                                 closes_at=now - dt.timedelta(days=1)))
    await manage.open_vote(sec, vote_id)
    voter = (await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id))[0]
    local = today()
    for received, why in ((None, conduct.RECEIVED_REQUIRED), (local, conduct.RECEIVED_AFTER),
                          (local - dt.timedelta(days=10), conduct.RECEIVED_BEFORE),
                          (local + dt.timedelta(days=1), conduct.RECEIVED_FUTURE)):
        with pytest.raises(Invalid) as e:
            await ballots.enter_ballot(sec, vote_id, voter_id=voter["id"], choice="agree", form_ref="P-1",
                                       received_on=received)
        assert e.value.errors == {"received_on": why}
    assert await VoteBallot.count().where(VoteBallot.vote == vote_id) == 0
    inside = (now - dt.timedelta(days=2)).astimezone(el_local()).date()
    ballot = await ballots.enter_ballot(sec, vote_id, voter_id=voter["id"], choice="agree", form_ref="P-1",
                                        received_on=inside.isoformat())
    assert (await VoteBallot.select().where(VoteBallot.id == ballot).first())["received_on"] == inside


def el_local():
    from council.core.localtime import LOCAL

    return LOCAL


async def test_closing_early_needs_a_reason_audited_and_printed(as_user):
    sec = await principal("secretary")
    s = await scope("6栋")
    vote_id = await manage.create_vote(sec, base(s, matter="community", rule_set="simple_majority",
                                                 closes_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=5)))
    await manage.open_vote(sec, vote_id)
    with pytest.raises(Invalid) as e:
        await manage.close_vote(sec, vote_id, reason="  ")
    assert e.value.errors == {"reason": conduct.EARLY_REASON}
    assert (await get_vote(vote_id))["state"] == "open"
    c = as_user("secretary")
    page = c.get(f"/votes/{vote_id}", headers=ZH).text
    assert 'id="close-reason"' in page
    version = (await get_vote(vote_id))["version"]
    r = post_form(c, f"/votes/{vote_id}/do/close", {"version": version}, headers=ZH)
    assert r.status_code == 422 and "之前结束" in r.text
    assert (await get_vote(vote_id))["state"] == "open"
    r = post_form(c, f"/votes/{vote_id}/do/close", {"version": version, "reason": "全体业主已表决完毕"})
    assert r.status_code == 303
    row = await get_vote(vote_id)
    assert row["state"] == "closed" and row["early_close_reason"] == "全体业主已表决完毕"
    entry = await AuditEntry.select().where((AuditEntry.action == "vote.close") & (AuditEntry.entity_id == vote_id)).first()
    assert as_json(entry["after"])["reason"] == "全体业主已表决完毕" and as_json(entry["after"])["early"]
    notice = c.get(f"/votes/{vote_id}/notice", headers=ZH).text
    assert "全体业主已表决完毕" in notice and "之前结束" in notice
    from tests.test_votes_http import pdf_text

    text, _ = pdf_text(c.get(f"/votes/{vote_id}/notice.pdf", headers=ZH).content)
    assert "全体业主已表决完毕" in text and "其他社区事项" in text


async def test_staff_never_change_a_ballot_the_owner_cast_and_corrections_are_counted(as_user):
    sec = await principal("secretary")
    s = await scope("6栋")
    vote_id = await manage.create_vote(sec, base(s, matter="community", rule_set="simple_majority"))
    await manage.open_vote(sec, vote_id)
    rows = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    done = await ballots.cast_online(await link_of(vote_id, rows[0]), "agree")
    with pytest.raises(Conflict) as e:
        await ballots.correct_ballot(sec, vote_id, done["ballot"], choice="disagree", reason="业主来电要求修改")
    assert e.value.message == conduct.RESIDENT_BALLOT
    assert (await VoteBallot.select().where(VoteBallot.id == done["ballot"]).first())["choice"] == "agree"
    paper = await ballots.enter_ballot(sec, vote_id, voter_id=rows[1]["id"], choice="agree", form_ref="P-2",
                                       received_on=today())
    await ballots.correct_ballot(sec, vote_id, paper, choice="disagree", reason="录入错误")
    assert (await VoteBallot.select().where(VoteBallot.id == paper).first())["corrections"] == 1
    c = as_user("secretary")
    page = c.get(f"/votes/{vote_id}", headers=ZH).text
    assert f"?correct={done['ballot']}" not in page and f"?correct={paper}" in page and "已更正 1 次" in page
    # Over the API: the same refusal as problem+json.
    token = await account_services.create_token(SYSTEM, "secretary", name="law-correct")
    r = c.patch(f"/api/v1/votes/{vote_id}/ballots/{done['ballot']}", json={"choice": "abstain", "reason": "x"},
                headers={"Authorization": f"Bearer {token}", **ZH})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert "业主本人" in r.json()["detail"]
    await manage.close_vote(sec, vote_id)
    notice = c.get(f"/votes/{vote_id}/notice", headers=ZH).text
    assert "结束前经工作人员更正的选票：1 张" in notice


async def test_a_joint_head_and_one_representative_per_unit():
    from council.core import registry
    import council.places.registers  # noqa: F401  (the units register the ownership refers to)
    from council.people.registers import OWNERSHIPS
    from council.people.tables import Ownership, Person
    from council.places.tables import Unit

    admin = await principal("admin")
    s = await scope("6栋")
    from council.accounts.tables import User

    # Two units nobody with an account owns: the other tests' residents keep their homes.
    people = [u["person"] for u in await User.select(User.person).where(User.person.is_not_null())]
    taken = {o["unit"] for o in await Ownership.select(Ownership.unit).where(Ownership.person.is_in(people or [-1]))}
    units = [u for u in await Unit.select(Unit.id, Unit.number, Unit.community).where(
        Unit.building == s["buildings"][0]).order_by(Unit.number) if u["id"] not in taken][:2]
    community = units[0]["community"]
    a = (await Person.insert(Person(community=community, name="共有人甲")))[0]["id"]
    b = (await Person.insert(Person(community=community, name="共有人乙")))[0]["id"]
    reg = OWNERSHIPS
    for u in units:
        await Ownership.delete().where(Ownership.unit == u["id"])
    # Unit 1: 甲 alone. Unit 2: 甲 and 乙 together — a different buyer.
    await registry.create_row(admin, reg, {"unit": units[0]["id"], "person": a})
    first = await registry.create_row(admin, reg, {"unit": units[1]["id"], "person": a})
    await registry.create_row(admin, reg, {"unit": units[1]["id"], "person": b})
    marks = {o["person"]: o["is_representative"] for o in await Ownership.select().where(Ownership.unit == units[1]["id"])}
    assert marks == {a: True, b: False}  # the first co-owner is the default representative
    with pytest.raises(Conflict):
        await registry.create_row(admin, reg, {"unit": units[1]["id"], "person": (await Person.insert(
            Person(community=community, name="共有人丙")))[0]["id"], "is_representative": True})
    second = await Ownership.select().where((Ownership.unit == units[1]["id"]) & (Ownership.person == b)).first()
    with pytest.raises(Conflict):
        await registry.update_row(admin, reg, second["id"], {"is_representative": True}, second["version"])
    assert await Ownership.count().where((Ownership.unit == units[1]["id"]) & (Ownership.is_representative == True)) == 1  # noqa: E712
    assert await Ownership.count().where(Ownership.unit == units[1]["id"]) == 2
    sec = await principal("secretary")
    vote_id = await manage.create_vote(sec, base(s, matter="art278_4", rule_set="art278_ordinary"))
    await manage.open_vote(sec, vote_id)
    heads = {v["voter_key"]: v for v in await VoteVoter.select().where(VoteVoter.vote == vote_id)}
    assert heads[f"p:{a}"]["unit_numbers"] == units[0]["number"]
    joint = heads[el.owner_key([a, b])]
    assert joint["unit_numbers"] == units[1]["number"] and joint["person"] == a
    assert first


# ================================================================ secret ballots

async def test_a_small_secret_vote_warns_and_needs_a_confirmation(as_user):
    sec = await principal("secretary")
    s = await scope("6栋")
    vote_id = await manage.create_vote(sec, base(s, matter="community", rule_set="simple_majority", secret=True))
    c = as_user("secretary")
    page = c.get(f"/votes/{vote_id}", headers=ZH).text
    assert 'id="small-secret"' in page and "不记名表决的保障" in page and 'id="confirm-small"' in page
    version = (await get_vote(vote_id))["version"]
    r = post_form(c, f"/votes/{vote_id}/do/open", {"version": version}, headers=ZH)
    assert r.status_code == 409 and "合计可能暴露" in r.text
    assert (await get_vote(vote_id))["state"] == "draft" and await VoteVoter.count().where(VoteVoter.vote == vote_id) == 0
    assert post_form(c, f"/votes/{vote_id}/do/open", {"version": version, "confirm_small": "1"}).status_code == 303
    rows = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    await ballots.cast_online(await link_of(vote_id, rows[0]), "agree")
    # While open: nobody, admin included, sees the totals; the voter list shows no areas.
    for user in ("secretary", "admin"):
        page = as_user(user).get(f"/votes/{vote_id}", headers=ZH).text
        assert 'id="reasons"' not in page and "面积（m²）" not in page.split('id="voters"')[1]
    token = await account_services.create_token(SYSTEM, "admin", name="law-secret")
    auth = {"Authorization": f"Bearer {token}"}
    body = c.get(f"/api/v1/votes/{vote_id}", headers=auth).json()
    assert body["result"] is None and body["reasons"] == [] and body["progress"]["tally_visible"] is False
    voters = c.get(f"/api/v1/votes/{vote_id}/voters", headers=auth).json()
    assert all(v["area"] is None and v["area_centi"] is None for v in voters)
    assert any(v["ballot"] for v in voters)


# ================================================================ the pages and the API

async def test_the_new_vote_form_refuses_in_chinese_and_writes_nothing(as_user):
    s = await scope("6栋")
    c = as_user("secretary")
    before = await Vote.count()
    r = post_form(c, "/votes/new", {"station": s["station"], "estate": s["estate"], "title": "加装电梯",
                                    "question": "?", "matter": "art278_7", "rule_set": "art278_ordinary"}, headers=ZH)
    assert r.status_code == 422 and "第二百七十八条第二款" in r.text and "四分之三以上" in r.text
    r = post_form(c, "/votes/new", {"station": s["station"], "estate": s["estate"], "title": "x", "question": "?",
                                    "matter": "art278_4", "rule_set": "art278_ordinary",
                                    "non_voters_follow_majority": "1"}, headers=ZH)
    assert r.status_code == 422 and "管理规约" in r.text
    r = post_form(c, "/votes/new", {"station": s["station"], "estate": s["estate"], "title": "x", "question": "?",
                                    "rule_set": "art278_ordinary"}, headers=ZH)
    assert r.status_code == 422 and "请说明表决事项" in r.text
    assert await Vote.count() == before
    token = await account_services.create_token(SYSTEM, "secretary", name="law-create")
    r = c.post("/api/v1/votes", json={**s, "title": "x", "question": "?", "matter": "art278_4", "rule_set": "custom",
                                      "approval_heads": ["9/10", True]},
               headers={"Authorization": f"Bearer {token}", **ZH})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "rule_set" in str(r.json()) and await Vote.count() == before


async def test_case_page_dashboard_and_export_say_not_put_to_a_vote(as_user):
    sec = await principal("secretary")
    case_id = await at_decide("小区内绿化补种（物业合同内）")
    # An old hand-typed reference is shown as text, never as a link.
    await Case.update({Case.vote_ref: "//other.host/x"}).where(Case.id == case_id)
    c = as_user("secretary")
    page = c.get(f"/cases/{case_id}", headers=ZH).text
    assert 'href="//other.host/x"' not in page and "//other.host/x" in page
    version = (await Case.select(Case.version).where(Case.id == case_id).first())["version"]
    r = post_form(c, f"/cases/{case_id}/do/move", {"move": "skip_vote", "reason": "物业合同内事项",
                                                   "version": version}, headers=ZH)
    assert r.status_code == 409 and "无需居民表决" in r.text
    assert (await Case.select(Case.state).where(Case.id == case_id).first())["state"] == "decide"
    r = post_form(c, f"/cases/{case_id}/do/move", {"move": "skip_vote", "reason": "物业合同内事项",
                                                   "no_vote_needed": "1", "version": version})
    assert r.status_code == 303
    page = c.get(f"/cases/{case_id}", headers=ZH).text
    assert "未经表决" in page.split('id="decision"')[1][:200]
    station = (await Case.select(Case.station).where(Case.id == case_id).first())["station"]
    dash = c.get(f"/dashboard?station={station}", headers=ZH).text
    assert "未经表决" in dash
    import re

    n = int(re.search(r'id="unvoted"><a [^>]*><span class="n">(\d+)', dash).group(1))
    assert n >= 1
    export = c.get("/cases/export.csv?kind=proposal", headers=ZH)
    assert export.status_code == 200 and "未经表决" in export.content.decode("utf-8-sig")
    assert sec
