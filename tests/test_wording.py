"""Words on pages (issue 17): a vote's scope names its buildings ("5栋"), never "1 栋楼"; what acted
on a timeline is named (the server's command line), never a bare "system"; no raw codes such as
reception_day."""

from __future__ import annotations

import re

from council.cases.tables import Case
from tests.test_votes_services import new_open_vote


async def test_vote_scope_names_the_buildings(as_user):
    vote_id = await new_open_vote(building="5栋")
    html = as_user("secretary").get(f"/votes/{vote_id}").text
    scope = re.search(r'id="scope-buildings">([^<]*)<', html).group(1)
    assert scope == "5栋" and "栋楼" not in html


async def test_timeline_names_what_acted_and_shows_no_raw_codes(as_user):
    case = await Case.select(Case.id).where(Case.channel == "reception_day").order_by(Case.id).first()
    html = as_user("secretary").get(f"/cases/{case['id']}").text
    body = html[html.index("<main"):]
    assert "reception_day" not in re.sub(r'<[^>]+>', " ", body).replace("&amp;", "&")
    whens = re.findall(r'<div class="when">[^<]*·\s*([^<]*)</div>', body)
    assert whens and all(w.strip() and w.strip().lower() != "system" for w in whens), whens


async def test_the_voting_letter_says_its_name_once(as_user):
    from council.votes.tables import VoteVoter
    from tests.test_votes_http import pdf_text

    vote_id = await new_open_vote(building="5栋")
    voter = await VoteVoter.select(VoteVoter.id).where(VoteVoter.vote == vote_id).first()
    r = as_user("secretary").get(f"/votes/{vote_id}/letters.pdf?voter={voter['id']}")
    assert r.status_code == 200
    text, _fonts = pdf_text(r.content)
    assert "表决票" in text and "表决票（表决票）" not in text


async def test_the_top_bar_names_the_station(as_user):
    from council.stations.tables import Station

    name = (await Station.select(Station.name).order_by(Station.id).first())["name"]
    html = as_user("secretary").get("/reception").text
    assert re.search(r'id="topbar-station">' + re.escape(name), html)
