"""Votes and the proposal they decide, and lost voting letters, over HTTP:

- the decide step offers the secretary "Start a vote" (发起表决), the new-vote form comes filled
  in from the case, the step then lists the vote with its state and a link to it, and a second
  vote on the same proposal is refused while one is under way;
- the vote's lines on the case timeline are stored as data and worded in the reader's language
  (Chinese on zh pages, English on en pages), never as Chinese sentences in the database;
- the secretariat reissues a lost voting letter while the vote is open and the voter has not
  voted: the old link stops working, the new one works, the new letter downloads, all audited;
  wrong role, a voter who voted and a closed vote are refused with nothing changed;
- the typed API refuses unknown fields.
"""

from __future__ import annotations

import re

from council.cases.calendar_store import today
from council.accounts import services as account_services
from council.accounts.principal import SYSTEM
from council.audit.tables import AuditEntry
from council.cases.tables import Case, CaseEvent
from council.votes import tokens
from council.votes.common import secret_key
from council.votes.tables import Vote, VoteBallot, VoteVoter
from tests.support import post_form
from tests.test_votes_http import pdf_text
from tests.test_votes_services import new_open_vote, scope

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


async def proposal_at_decide(title: str, building: str = "4栋") -> tuple[int, dict]:
    from council.votes.demo import _proposal_at_decide

    s = await scope(building)
    case_id = await _proposal_at_decide(s["station"], s["estate"], title, "说明", "facilities",
                                        f"{title}的方案", "施工", "1000.00", "estate_revenue")
    await Case.update({Case.building: s["buildings"][0]}).where(Case.id == case_id)
    return case_id, s


def vote_id_from(response) -> int:
    assert response.status_code == 303, response.text[:2000]
    return int(re.search(r"/votes/(\d+)", response.headers["location"]).group(1))


async def test_start_a_vote_from_the_decide_step_prefilled_and_linked_back(as_user):
    case_id, s = await proposal_at_decide("4栋门禁更换")
    sec = as_user("secretary")
    page = sec.get(f"/cases/{case_id}", headers=ZH)
    assert page.status_code == 200
    assert "发起表决" in page.text and f'href="/votes/new?case={case_id}"' in page.text
    # Staff who cannot manage votes see the step, not the link.
    grid = as_user("gridworker")
    page = grid.get(f"/cases/{case_id}", headers=ZH)
    assert page.status_code == 200 and f"/votes/new?case={case_id}" not in page.text

    # The form comes filled in from the case: the proposal, its title, a question naming the
    # preferred plan, its estate and building.
    form = sec.get(f"/votes/new?case={case_id}", headers=ZH)
    assert form.status_code == 200
    html = form.text
    assert re.search(rf'<option value="{case_id}" selected>', html)
    assert 'value="4栋门禁更换"' in html
    assert "是否同意就提案“4栋门禁更换”实施“4栋门禁更换的方案”？" in html
    assert re.search(rf'<option value="{s["estate"]}" selected>', html)
    assert re.search(rf'<option value="{s["buildings"][0]}" selected>', html)
    en = sec.get(f"/votes/new?case={case_id}", headers=EN).text
    assert "Do you agree to carry out “4栋门禁更换的方案” for the proposal “4栋门禁更换”?" in en

    r = post_form(sec, "/votes/new", {"station": s["station"], "case": case_id, "title": "4栋门禁更换",
                                      "question": "是否同意？", "matter": "art278_4", "rule_set": "art278_ordinary", "estate": s["estate"],
                                      "buildings": s["buildings"], "notice_days": "7"})
    vote_id = vote_id_from(r)
    assert (await Vote.select(Vote.case).where(Vote.id == vote_id).first())["case"] == case_id

    # The decide step lists the vote with its state and a link; no second "Start a vote".
    page = sec.get(f"/cases/{case_id}", headers=ZH).text
    assert f'href="/votes/{vote_id}"' in page and 'data-state="draft"' in page and "草稿" in page
    assert f"/votes/new?case={case_id}" not in page
    # A second vote on the proposal while one is under way: refused, nothing written.
    before = await Vote.count()
    r = post_form(sec, "/votes/new", {"station": s["station"], "case": case_id, "title": "再来一次",
                                      "question": "?", "matter": "art278_4", "rule_set": "art278_ordinary", "estate": s["estate"]})
    assert r.status_code == 409 and "进行中的表决" in r.text
    assert await Vote.count() == before

    vote = await Vote.select().where(Vote.id == vote_id).first()
    assert post_form(sec, f"/votes/{vote_id}/do/open", {"version": vote["version"]}).status_code == 303
    page = sec.get(f"/cases/{case_id}", headers=ZH).text
    assert 'data-state="open"' in page and "表决中" in page
    # The vote's page points back to the proposal.
    assert f'href="/cases/{case_id}"' in sec.get(f"/votes/{vote_id}").text


async def test_vote_lines_on_the_case_timeline_follow_the_reader_language(as_user):
    case_id, s = await proposal_at_decide("4栋雨棚维修")
    sec = as_user("secretary")
    vote_id = vote_id_from(post_form(sec, "/votes/new", {
        "station": s["station"], "case": case_id, "title": "4栋雨棚维修表决", "question": "是否同意？",
        "matter": "art278_4", "rule_set": "art278_ordinary", "estate": s["estate"], "buildings": s["buildings"]}))
    vote = await Vote.select().where(Vote.id == vote_id).first()
    assert post_form(sec, f"/votes/{vote_id}/do/open", {"version": vote["version"]}).status_code == 303
    voters = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    unit = voters[0]["unit_numbers"].split()[0]
    assert post_form(sec, f"/votes/{vote_id}/do/ballot", {"unit_number": unit, "choice": "agree",
                                                          "channel": "paper", "form_ref": "T-1", "received_on": today().isoformat()}).status_code == 303
    vote = await Vote.select().where(Vote.id == vote_id).first()
    assert post_form(sec, f"/votes/{vote_id}/do/close", {"version": vote["version"]}).status_code == 303
    # One ballot of many: turnout is not met, the vote fails, the proposal goes back to discuss.
    assert (await Case.select(Case.state).where(Case.id == case_id).first())["state"] == "discuss"

    # Stored as data: no sentence in either language in the database.
    events = await CaseEvent.select().where((CaseEvent.case == case_id) & CaseEvent.kind.like("vote_%")).output(
        load_json=True)
    assert {e["kind"] for e in events} >= {"vote_created", "vote_opened", "vote_closed", "vote_linked"}
    mine = [e for e in events if e["kind"] != "vote_linked"]
    assert all(e["text"] == "" and e["data"]["vote"] == vote_id for e in mine)
    closed = next(e for e in mine if e["kind"] == "vote_closed")
    assert closed["data"]["passed"] is False
    assert closed["data"]["reasons"][0]["msgid"] == "Participating area %(pct)s %(op)s %(bound)s"

    zh = sec.get(f"/cases/{case_id}", headers=ZH).text
    timeline = zh[zh.index('id="timeline"'):]
    for words in ("表决已创建", "表决已开始", "表决已结束", "参与表决面积占比", "→ 未通过", "4栋雨棚维修表决"):
        assert words in timeline, words
    assert f'href="/votes/{vote_id}"' in timeline
    assert "Participating area" not in timeline and "Vote closed" not in timeline

    en = sec.get(f"/cases/{case_id}", headers=EN).text
    timeline = en[en.index('id="timeline"'):]
    for words in ("Vote created", "Vote opened", "Vote closed", "Participating area", "→ Failed"):
        assert words in timeline, words
    for words in ("表决已创建", "参与表决面积占比", "未通过"):
        assert words not in timeline, words


async def _token(vote_id: int, voter_id: int) -> str:
    v = await VoteVoter.select().where(VoteVoter.id == voter_id).first()
    return tokens.make_token(secret_key(), vote_id, v["voter_key"], v["token_salt"])


async def test_reissue_a_lost_letter_kills_the_old_link_and_issues_a_new_one(client, as_user):
    # `client` before `as_user`: the signed-in clients must shut down before the anonymous one.
    vote_id = await new_open_vote(building="6栋")
    voters = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id)
    lost, other = voters[0], voters[1]
    old = await _token(vote_id, lost["id"])
    assert client.get(f"/v/{old}").status_code == 200
    about = (AuditEntry.entity_type == "vote") & (AuditEntry.entity_id == vote_id)

    # Not the secretariat: refused, nothing changed.
    grid = as_user("gridworker")
    assert post_form(grid, f"/votes/{vote_id}/do/reissue", {"voter": lost["id"]}).status_code == 403
    assert await _token(vote_id, lost["id"]) == old

    sec = as_user("secretary")
    page = sec.get(f"/votes/{vote_id}", headers=ZH).text
    # Each row links to its form; the form itself is drawn for the row asked for only.
    assert f'href="/votes/{vote_id}?reissue={lost["id"]}#voter-{lost["id"]}">补发遗失的表决票</a>' in page
    assert "/do/reissue" not in page
    page = sec.get(f"/votes/{vote_id}?reissue={lost['id']}", headers=ZH).text
    assert page.count('action="/votes/%d/do/reissue"' % vote_id) == 1 and f'name="voter" value="{lost["id"]}"' in page
    before = await AuditEntry.count().where(about & (AuditEntry.action == "vote.letter_reissued"))
    r = post_form(sec, f"/votes/{vote_id}/do/reissue", {"voter": lost["id"], "reason": "业主遗失表决票"})
    assert r.status_code == 303 and f"voter={lost['id']}" in r.headers["location"]
    page = sec.get(r.headers["location"], headers=ZH).text
    assert "已补发新的表决票" in page and f"/votes/{vote_id}/letters.pdf?voter={lost['id']}" in page

    new = await _token(vote_id, lost["id"])
    assert new != old
    assert client.get(f"/v/{old}").status_code == 404
    assert post_form(client, f"/v/{old}", {"choice": "agree"}).status_code == 404
    assert client.get(f"/api/v1/ballots/{old}").status_code == 404
    assert client.get(f"/v/{new}").status_code == 200
    # The other voters' links are untouched.
    assert client.get(f"/v/{await _token(vote_id, other['id'])}").status_code == 200

    letter = sec.get(f"/votes/{vote_id}/letters.pdf?voter={lost['id']}")
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    text, _ = pdf_text(letter.content)
    flat = re.sub(r"\s+", "", text)
    assert f"/v/{new}" in flat and f"/v/{old}" not in flat

    entries = await AuditEntry.select().where(about & (AuditEntry.action == "vote.letter_reissued")).output(
        load_json=True)
    assert len(entries) == before + 1
    after = entries[-1]["after"]
    assert after["voter"] == lost["id"] and after["reason"] == "业主遗失表决票"
    assert old not in str(entries[-1]) and new not in str(entries[-1])  # never the token

    # The new link votes; a voter who voted has no letter to reissue.
    assert post_form(client, f"/v/{new}", {"choice": "agree"}).status_code == 303
    r = post_form(sec, f"/votes/{vote_id}/do/reissue", {"voter": lost["id"]})
    assert r.status_code == 409 and "已投票" in r.text
    assert await _token(vote_id, lost["id"]) == new
    assert await VoteBallot.count().where(VoteBallot.vote == vote_id) == 1

    # Through the API, for the secretariat only; unknown fields are refused.
    sec_token = await account_services.create_token(SYSTEM, "secretary", name="votes-reissue")
    grid_token = await account_services.create_token(SYSTEM, "gridworker", name="votes-reissue")
    url = f"/api/v1/votes/{vote_id}/voters/{other['id']}/reissue"
    before_other = await _token(vote_id, other["id"])
    r = client.post(url, json={}, headers={"Authorization": f"Bearer {grid_token}"})
    assert r.status_code == 403
    r = client.post(url, json={"reason": "x", "token": "mine"}, headers={"Authorization": f"Bearer {sec_token}"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert await _token(vote_id, other["id"]) == before_other
    r = client.post(url, json={"reason": "遗失"}, headers={"Authorization": f"Bearer {sec_token}"})
    assert r.status_code == 200, r.text
    assert r.json() == {"voter": other["id"], "units": other["unit_numbers"],
                        "letter": f"/votes/{vote_id}/letters.pdf?voter={other['id']}"}
    assert client.get(f"/v/{before_other}").status_code == 404
    assert client.get(f"/v/{await _token(vote_id, other['id'])}").status_code == 200

    # A closed vote issues no letters.
    vote = await Vote.select().where(Vote.id == vote_id).first()
    assert post_form(sec, f"/votes/{vote_id}/do/close", {"version": vote["version"]}).status_code == 303
    third = voters[2]
    kept = await _token(vote_id, third["id"])
    assert post_form(sec, f"/votes/{vote_id}/do/reissue", {"voter": third["id"]}).status_code == 409
    assert await _token(vote_id, third["id"]) == kept


async def test_vote_api_refuses_unknown_fields_and_answers_typed(client):
    sec = await account_services.create_token(SYSTEM, "secretary", name="votes-typed")
    auth = {"Authorization": f"Bearer {sec}"}
    s = await scope("7栋")
    before = await Vote.count()
    r = client.post("/api/v1/votes", json={**s, "title": "T", "question": "Q", "matter": "art278_4", "rule_set": "art278_ordinary",
                                           "bogus": 1}, headers=auth)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    r = client.post("/api/v1/votes", json={**s, "title": "T", "question": "Q", "matter": "community", "rule_set": "custom",
                                           "approval_heads": "2/3"}, headers=auth)
    assert r.status_code == 400  # a threshold is ["2/3", true]
    assert await Vote.count() == before
    r = client.post("/api/v1/votes", json={**s, "title": "7栋表决", "question": "Q", "matter": "community", "rule_set": "custom",
                                           "counting": "households", "approval_heads": ["2/3", True],
                                           "closes_at": "2030-01-01T18:00:00"}, headers=auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "draft" and body["rules"] is None and body["progress"] is None
    assert [o["code"] for o in body["options"]] == ["agree", "disagree", "abstain"]
    r = client.post(f"/api/v1/votes/{body['id']}/open", json={"version": body["version"]}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["rules"]["approval_heads"] == ["2/3", True] and r.json()["progress"]["voted_heads"] == 0
    r = client.post(f"/api/v1/votes/{body['id']}/open", json={"versio": 1}, headers=auth)
    assert r.status_code == 400
    voters = client.get(f"/api/v1/votes/{body['id']}/voters", headers=auth).json()
    assert voters and set(voters[0]) == {"id", "voter_key", "kind", "person", "name", "unit_numbers", "area_centi",
                                         "area", "ballot"}
    assert all("phone" not in str(v) for v in voters)
    listed = client.get("/api/v1/votes?state=open", headers=auth).json()
    assert any(v["id"] == body["id"] and v["voters"] == len(voters) for v in listed)
