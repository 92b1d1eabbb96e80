"""The vote pages and API over HTTP: who may do what (wrong role or station → 403, nothing changed),
form errors redrawn in Chinese, the voting link without an account, a resident's own votes, the
public notice (de-identified) and the PDFs (text extracted with pypdf, CJK font embedded)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from council.cases.calendar_store import today
from council.accounts import services as account_services
from council.accounts.principal import SYSTEM
from council.audit.tables import AuditEntry
from council.people.tables import Person
from council.stations.tables import Station
from council.votes import tokens
from council.votes.common import secret_key
from council.votes.tables import Vote, VoteBallot, VoteVoter
from tests.support import post_form
from tests.test_votes_services import new_open_vote, scope


def pdf_text(content: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    fonts = set()
    for p in reader.pages:
        for f in (p["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    return text, fonts


async def link(vote_id: int, index: int = 0) -> tuple[str, dict]:
    voter = (await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id))[index]
    return tokens.make_token(secret_key(), vote_id, voter["voter_key"], voter["token_salt"]), voter


async def test_secretary_creates_opens_enters_and_closes_through_the_pages(as_user):
    s = await scope("2栋")
    c = as_user("secretary")
    assert c.get("/votes").status_code == 200
    r = c.get("/votes/new")
    assert r.status_code == 200 and "新建表决" in r.text
    # A bad form is drawn again with the fields marked, in Chinese, and nothing is written.
    before = await Vote.count()
    r = post_form(c, "/votes/new", {"station": s["station"], "title": "", "question": "", "matter": "art278_7", "rule_set": "art278_major",
                                    "estate": s["estate"], "notice_days": "500"})
    assert r.status_code == 422 and "请输入 1 到 90 之间的整数" in r.text
    assert await Vote.count() == before
    r = post_form(c, "/votes/new", {"station": s["station"], "title": "2栋外墙维修", "question": "是否同意使用维修资金维修外墙？",
                                    "matter": "art278_4", "rule_set": "art278_ordinary", "estate": s["estate"], "buildings": s["buildings"],
                                    "notice_days": "5"})
    assert r.status_code == 303, r.text
    vote_id = int(re.search(r"/votes/(\d+)", r.headers["location"]).group(1))
    vote = await Vote.select().where(Vote.id == vote_id).first()
    r = post_form(c, f"/votes/{vote_id}/do/open", {"version": vote["version"]})
    assert r.status_code == 303
    voters = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    unit = voters[0]["unit_numbers"].split()[0]
    # A proxy without the written authorisation: refused, marked, nothing changed.
    r = post_form(c, f"/votes/{vote_id}/do/ballot", {"unit_number": unit, "choice": "agree", "channel": "paper",
                                                     "form_ref": "F-9", "received_on": today().isoformat(), "proxy_name": "李四"})
    assert r.status_code == 422 and "书面委托" in r.text
    assert await VoteBallot.count().where(VoteBallot.vote == vote_id) == 0
    r = post_form(c, f"/votes/{vote_id}/do/ballot", {"unit_number": unit, "choice": "agree", "channel": "paper",
                                                     "form_ref": "F-9", "received_on": today().isoformat()})
    assert r.status_code == 303
    r = post_form(c, f"/votes/{vote_id}/do/ballot", {"unit_number": unit, "choice": "agree", "channel": "paper",
                                                     "form_ref": "F-10", "received_on": today().isoformat()})
    assert r.status_code == 409 and "已投票" in r.text
    page = c.get(f"/votes/{vote_id}")
    assert page.status_code == 200 and "实时进度" in page.text and unit in page.text
    letters = c.get(f"/votes/{vote_id}/letters.pdf")
    assert letters.status_code == 200 and letters.headers["content-type"] == "application/pdf"
    text, fonts = pdf_text(letters.content)
    assert "表决票" in text and "2栋外墙维修" in text and "签名" in text and "/v/" in text
    assert any("CJK" in f for f in fonts)
    vote = await Vote.select().where(Vote.id == vote_id).first()
    r = post_form(c, f"/votes/{vote_id}/do/close", {"version": vote["version"]})
    assert r.status_code == 303
    page = c.get(f"/votes/{vote_id}")
    assert "参与表决人数占比" in page.text and "→ 未通过" in page.text


async def test_wrong_role_or_station_gets_403_and_nothing_changes(as_user):
    vote_id = await new_open_vote()
    vote = await Vote.select().where(Vote.id == vote_id).first()
    about = (AuditEntry.entity_type == "vote") & (AuditEntry.entity_id == vote_id)
    audit_before = await AuditEntry.count().where(about)
    grid = as_user("gridworker")
    r = post_form(grid, f"/votes/{vote_id}/do/close", {"version": vote["version"]})
    assert r.status_code == 403
    assert grid.get(f"/votes/{vote_id}/letters.pdf").status_code == 403
    mediator = as_user("mediator")
    token, voter = await link(vote_id)
    r = post_form(mediator, f"/votes/{vote_id}/do/ballot", {"voter": voter["id"], "choice": "agree", "form_ref": "F"})
    assert r.status_code == 403
    resident = as_user("resident")
    assert resident.get(f"/votes/{vote_id}").status_code == 403
    assert resident.get("/votes").status_code == 403
    # A station the secretary does not serve.
    station = await Station.select().where(Station.case_prefix == "ZXL").first()
    other = (await Station.insert(Station(community=station["community"], name="另一个驿站", case_prefix="VOTX",
                                          reception_start=station["reception_start"],
                                          reception_end=station["reception_end"])).returning(Station.id))[0]["id"]
    from council.stations.tables import StationEstate

    s = await scope()
    await StationEstate.insert(StationEstate(station=other, estate=s["estate"]))
    from council.votes import manage

    foreign = await manage.create_vote(SYSTEM, {**s, "station": other, "title": "别站表决", "question": "?",
                                                "matter": "community", "rule_set": "simple_majority"})
    secretary = as_user("secretary")
    assert secretary.get(f"/votes/{foreign}").status_code == 404
    assert post_form(secretary, f"/votes/{foreign}/do/open", {}).status_code == 404
    assert (await Vote.select(Vote.state).where(Vote.id == foreign).first())["state"] == "draft"
    assert (await Vote.select(Vote.state).where(Vote.id == vote_id).first())["state"] == "open"
    assert await VoteBallot.count().where(VoteBallot.vote == vote_id) == 0
    assert await AuditEntry.count().where(about) == audit_before


async def test_voting_link_works_without_an_account(client):
    vote_id = await new_open_vote()
    token, voter = await link(vote_id)
    r = client.get(f"/v/{token}")
    assert r.status_code == 200 and "测试表决" in r.text and "同意" in r.text
    r = post_form(client, f"/v/{token}", {"choice": "nonsense"})
    assert r.status_code == 422
    r = post_form(client, f"/v/{token}", {"choice": "agree"})
    assert r.status_code == 303
    r = client.get(r.headers["location"])
    assert "您的投票已计入" in r.text
    r = post_form(client, f"/v/{token}", {"choice": "disagree"})
    assert r.status_code == 409 and "已使用" in r.text
    assert await VoteBallot.count().where(VoteBallot.vote == vote_id) == 1
    assert client.get("/v/" + "A" * 32).status_code == 404


async def test_api_ballot_link_and_staff_routes(client):
    vote_id = await new_open_vote()
    token, _ = await link(vote_id, 1)
    r = client.get(f"/api/v1/ballots/{token}")
    assert r.status_code == 200 and r.json()["voted"] is False
    r = client.post(f"/api/v1/ballots/{token}", json={"choice": "agree"})
    assert r.status_code == 201
    r = client.post(f"/api/v1/ballots/{token}", json={"choice": "agree"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    sec = await account_services.create_token(SYSTEM, "secretary", name="votes-test")
    grid = await account_services.create_token(SYSTEM, "gridworker", name="votes-test")
    r = client.get(f"/api/v1/votes/{vote_id}", headers={"Authorization": f"Bearer {sec}"})
    assert r.status_code == 200 and r.json()["progress"]["voted_heads"] == 1
    r = client.post(f"/api/v1/votes/{vote_id}/close", json={}, headers={"Authorization": f"Bearer {grid}"})
    assert r.status_code == 403 and r.json()["status"] == 403
    voter = (await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id))[2]
    r = client.post(f"/api/v1/votes/{vote_id}/ballots", json={"voter": voter["id"], "choice": "spoiled", "channel": "meeting"},
                    headers={"Authorization": f"Bearer {grid}"})
    assert r.status_code == 201
    r = client.post(f"/api/v1/votes/{vote_id}/close", json={}, headers={"Authorization": f"Bearer {sec}"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert r.json()["reasons"][-1] in ("→ 通过", "→ 未通过")
    r = client.get(r.json()["notice_url"].replace("/notices/", "/api/v1/notices/"))
    assert r.status_code == 200 and r.json()["result"]["spoiled"]["heads"] == 1


async def test_resident_sees_and_votes_on_open_votes_for_their_units(as_user):
    c = as_user("resident")
    r = c.get("/my/votes")
    assert r.status_code == 200 and "自行车通道门拓宽方案表决" in r.text
    vote = await Vote.select().where(Vote.title == "自行车通道门拓宽方案表决").first()
    r = c.get(f"/my/votes/{vote['id']}")
    assert r.status_code == 200 and "发送我的投票" in r.text
    r = post_form(c, f"/my/votes/{vote['id']}", {"choice": "agree"})
    assert r.status_code == 303
    assert "您的投票已计入" in c.get(r.headers["location"]).text
    r = post_form(c, f"/my/votes/{vote['id']}", {"choice": "disagree"})
    assert r.status_code == 409
    assert "已投票" in c.get("/my/votes").text


async def test_public_notice_is_de_identified_page_and_pdf(client):
    vote = await Vote.select().where(Vote.title == "3栋加装电梯表决").first()
    from council.votes.queries import notice_key

    key = notice_key(vote["id"])
    r = client.get(f"/notices/{key}")
    assert r.status_code == 200 and "表决结果公示" in r.text and "→ 通过" in r.text and "公示期" in r.text
    pdf = client.get(f"/notices/{key}/notice.pdf")
    assert pdf.status_code == 200
    text, fonts = pdf_text(pdf.content)
    assert "表决结果公示" in text and "3栋加装电梯表决" in text and "10 天" in text
    assert any("CJK" in f for f in fonts)
    # No names or phone numbers of the voters, on the page or in the PDF.
    voters = await VoteVoter.select(VoteVoter.person).where(VoteVoter.vote == vote["id"])
    people = await Person.select(Person.name, Person.phone).where(
        Person.id.is_in([v["person"] for v in voters if v["person"]]))
    for p in people:
        for shown in (r.text, text):
            assert p["phone"] not in shown and p["phone"][-4:] + " " not in shown
            assert p["name"] not in shown or len(p["name"]) < 2
    # An open vote has no notice yet.
    open_vote = await Vote.select().where(Vote.state == "open").first()
    assert client.get(f"/notices/{notice_key(open_vote['id'])}").status_code == 404
