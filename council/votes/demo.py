"""Demo votes: the narrow bicycle gate proposal with an open vote (some ballots in, the demo
resident still to vote), and the 3栋 elevator proposal with a closed vote and its notice.

Everything goes through the use cases (as the system), so the demo is what the app itself
would have written, audit entries included. Random choices use a fixed seed.
"""

from __future__ import annotations

import datetime as dt
import random

from council.accounts.principal import SYSTEM


async def _proposal_at_decide(station_id: int, estate_id: int, title: str, description: str, category: str,
                              option: str, task: str, amount: str, source: str) -> int:
    from council.cases import intake, proposals
    from council.cases.tables import Case, Option

    case = await intake.register_case(SYSTEM, {
        "station": station_id, "kind": "proposal", "title": title, "description": description,
        "category": category, "channel": "reception_day", "estate": estate_id,
    })
    cid = case["id"]

    async def move(action: str) -> None:
        row = await Case.select(Case.version).where(Case.id == cid).first()
        await proposals.move_proposal(SYSTEM, cid, action, version=row["version"])

    await move("accept")
    await proposals.add_opinion(SYSTEM, cid, stance="for", text="老人推车、轮椅通行困难，建议尽快解决。")
    await proposals.add_option(SYSTEM, cid, title=option)
    opt = await Option.select(Option.id).where(Option.case == cid).first()
    await proposals.prefer_option(SYSTEM, cid, opt["id"])
    await move("choose_option")
    await proposals.add_task(SYSTEM, cid, what=task, responsible="悦园物业服务有限公司")
    await move("complete_plan")
    await proposals.add_budget_line(SYSTEM, cid, item=task, amount=amount)
    await proposals.add_funding_source(SYSTEM, cid, source=source, amount=amount)
    await move("decide_funding")
    return cid


async def load(station_id: int) -> None:
    from council.accounts.tables import User
    from council.people.tables import Ownership
    from council.places.tables import Building, Estate, Unit
    from council.votes import ballots, manage
    from council.cases.calendar_store import today
    from council.votes.tables import VoteVoter

    rng = random.Random(4)
    resident = await User.select(User.person).where(User.username == "resident").first()
    owned = await Ownership.select(Ownership.unit).where(Ownership.person == resident["person"]).first()
    unit = await Unit.select(Unit.estate).where(Unit.id == owned["unit"]).first()
    gate_estate = unit["estate"]  # the demo resident's estate, so she finds the vote under "My votes"
    now = dt.datetime.now(dt.timezone.utc)

    gate = await _proposal_at_decide(
        station_id, gate_estate, "自行车通道门仅 1 米宽，老人多次摔倒",
        "微网格员巡查发现，小区东侧自行车通道门宽仅 1 米，电动车与行人交汇时老人多次摔倒。",
        "facilities", "由物业将通道门拓宽 1 米，并加装防撞护角", "拓宽自行车通道门 1 米", "3800.00", "estate_revenue")
    vote_id = await manage.create_vote(SYSTEM, {
        "station": station_id, "case": gate, "title": "自行车通道门拓宽方案表决",
        "question": "是否同意由物业公司将小区东侧自行车通道门拓宽 1 米，费用 3800 元从小区公共收益中列支？",
        # Another major matter of common ownership (Art. 278 para. 1 item 9): more than half agree.
        "matter": "art278_9", "rule_set": "art278_ordinary", "estate": gate_estate, "notice_days": 7,
        "opens_at": now - dt.timedelta(days=1), "closes_at": now + dt.timedelta(days=13),
    })
    await manage.open_vote(SYSTEM, vote_id)
    voters = await VoteVoter.select(VoteVoter.id, VoteVoter.person).where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    voters = [v for v in voters if v["person"] != resident["person"]]
    for i, v in enumerate(rng.sample(voters, min(60, len(voters)))):
        choice = rng.choice(("agree",) * 7 + ("disagree", "abstain"))
        await ballots.enter_ballot(SYSTEM, vote_id, voter_id=v["id"], choice=choice,
                                   channel="paper" if i % 3 else "meeting", form_ref=f"V{vote_id}-{v['id']}",
                                   received_on=today())

    # The elevator for 中南悦园 3栋: a major matter (altering the building), secret ballot, closed.
    estate = await Estate.select(Estate.id).where(Estate.name == "中南悦园").first()
    building = await Building.select(Building.id).where(
        (Building.estate == estate["id"]) & (Building.number == "3栋")).first()
    lift = await _proposal_at_decide(
        station_id, estate["id"], "3栋加装电梯", "3栋多位高龄业主上下楼困难，申请加装电梯。", "facilities",
        "在 3栋北侧加装一部电梯", "3栋加装电梯工程", "680000.00", "maintenance_fund")
    closed_id = await manage.create_vote(SYSTEM, {
        "station": station_id, "case": lift, "title": "3栋加装电梯表决",
        "question": "是否同意在 3栋北侧加装电梯，并按楼层分摊费用、使用专项维修资金？",
        # Altering the building (Art. 278 para. 1 item 7): at least 3/4 agree.
        "matter": "art278_7", "rule_set": "art278_major", "estate": estate["id"], "buildings": [building["id"]],
        "secret": True,
        "notice_days": 10,
    })
    # One building is a small electorate: the demo has read the secrecy warning.
    await manage.open_vote(SYSTEM, closed_id, confirm_small=True)
    voters = await VoteVoter.select(VoteVoter.id).where(VoteVoter.vote == closed_id).order_by(VoteVoter.id)
    for i, v in enumerate(voters[: len(voters) * 9 // 10]):
        choice = "disagree" if i % 9 == 4 else "abstain" if i % 13 == 6 else "agree"
        await ballots.enter_ballot(SYSTEM, closed_id, voter_id=v["id"], choice=choice, channel="meeting")
    await manage.close_vote(SYSTEM, closed_id)
