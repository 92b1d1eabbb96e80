"""The ballot shows what is being decided (issue 17): the plan, its cost, the residents' share per
household and the voter's own pledge, photos of the case (served to the voter, images only), and
the approved minutes of the meeting that discussed it; phone and ID numbers masked throughout."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from council import db
from council.cases.attachments import add_attachment
from council.cases.tables import Attachment, Case, FundingSource, Pledge
from council.meetings.document import snapshot_for
from council.meetings.minutes import content_hash
from council.meetings.tables import AgendaItem, Meeting, MinutesVersion
from council.votes.dossier import per_household
from council.votes.tables import Vote, VoteVoter
from tests.test_ballot_support import PNG
from tests.test_votes_http import link
from tests.test_votes_services import principal


def test_per_household_share_rounds_to_the_cent_and_needs_households():
    assert per_household(Decimal("1000"), 3) == Decimal("333.33")
    assert per_household(Decimal("1000"), 0) is None
    assert per_household(Decimal("0.05"), 2) == Decimal("0.03")


async def _dress_the_gate_vote(settings) -> tuple[dict, dict]:
    """The demo's bicycle-gate vote, with residents' pledges, a photo and approved minutes."""
    vote = await Vote.select().where(Vote.title == "自行车通道门拓宽方案表决").first()
    sec = await principal("secretary")
    case_id = vote["case"]
    households = await VoteVoter.count().where(VoteVoter.vote == vote["id"])
    mine = await VoteVoter.select().where(VoteVoter.vote == vote["id"]).order_by(VoteVoter.id).first()
    unit = (mine["units"] if isinstance(mine["units"], list) else __import__("json").loads(mine["units"]))[0]
    async with db.write():
        await FundingSource.insert(FundingSource(case=case_id, source="residents_pledges", amount=Decimal("1200.00"),
                                                 note="联系人 13912345678"))
        await Pledge.insert(Pledge(case=case_id, unit=unit, amount=Decimal("50.00")))
    await add_attachment(sec, case_id, filename="通道门现状.png", content=PNG, upload_dir=settings.upload_dir)
    meeting = await Meeting.select().where(Meeting.title == "自行车通道门改造五方协调会").first()
    item = await AgendaItem.select().where((AgendaItem.meeting == meeting["id"]) & (AgendaItem.case == case_id)).first()
    content = {"items": {str(item["id"]): {"discussion": "物业同意施工，联系电话 13812345678。",
                                            "decisions": "通道门拓宽 1 米，费用 3800 元。", "actions": []}}}
    snap = await snapshot_for(meeting, content, number=1, approved_by="书记",
                              approved_at=dt.datetime.now(dt.timezone.utc))
    async with db.write():
        await MinutesVersion.insert(MinutesVersion(meeting=meeting["id"], number=1, snapshot=snap,
                                                   content_hash=content_hash(snap), approved_by=None,
                                                   approved_at=dt.datetime.now(dt.timezone.utc)))
    return vote, {"households": households, "voter": mine}


async def test_the_ballot_shows_the_plan_cost_split_photos_and_minutes(client, as_user, settings):
    vote, info = await _dress_the_gate_vote(settings)
    token, _voter = await link(vote["id"])
    for c, url in ((client, f"/v/{token}"), (as_user("resident"), f"/my/votes/{vote['id']}")):
        r = c.get(url)
        assert r.status_code == 200, url
        html = r.text
        d = html[html.index('id="dossier"'):]
        assert "表决事项说明" in d and "拓宽自行车通道门 1 米" in d  # the plan: option and task
        assert "3,800.00" in d and "合计" in d  # the cost
        assert "小区公共收益" in d or "公共收益" in d  # funding sources, labelled
        share = per_household(Decimal("1200.00"), info["households"])
        assert f"{share:,.2f}" in d and f"共 {info['households']} 户" in d
        assert "通道门现状.png" in d
        assert "自行车通道门改造五方协调会" in d and "通道门拓宽 1 米，费用 3800 元。" in d
        # masked: the phone in the minutes and in the funding note never reach the voter
        assert "13812345678" not in html and "13912345678" not in html and "138****5678" in d
        photo = d.split('id="dossier-photos"')[1].split('src="')[1].split('"')[0]
        img = c.get(photo)
        assert img.status_code == 200 and img.content == PNG and img.headers["content-type"].startswith("image/png")
    # the first voter's own pledge shows on their link
    assert "您户已认捐 50.00 元" in client.get(f"/v/{token}").text


async def test_photos_of_other_cases_or_non_images_are_not_served(client, as_user, settings):
    vote = await Vote.select().where(Vote.title == "自行车通道门拓宽方案表决").first()
    token, _ = await link(vote["id"])
    sec = await principal("secretary")
    other = await Case.select(Case.id).where(Case.id != vote["case"]).first()
    foreign = await add_attachment(sec, other["id"], filename="别的案件.png", content=PNG, upload_dir=settings.upload_dir)
    assert client.get(f"/v/{token}/photos/{foreign['id']}").status_code == 404
    assert as_user("resident").get(f"/my/votes/{vote['id']}/photos/{foreign['id']}").status_code == 404
    assert client.get(f"/v/{'A' * 32}/photos/{foreign['id']}").status_code == 404
    # a vote without a case shows no dossier
    plain = await Vote.select().where(Vote.case.is_null()).first()
    if plain:
        t, _ = await link(plain["id"])
        assert 'id="dossier"' not in client.get(f"/v/{t}").text
    assert await Attachment.count() >= 1
