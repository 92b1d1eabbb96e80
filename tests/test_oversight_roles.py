"""Officers above the stations (issue 18): the street officer, the district officer and the judicial
office (司法所).

- The scoping rule (council.accounts.principal.stations_under) is pure: unit-tested to its edges.
- Street and district officers read every station under them and nothing outside (404, as for a
  row that does not exist); they write nothing but a chase (督办) and an escalation (提级办), each
  with a note the station sees on the case's timeline, audited.
- The judicial office reads the mediation files and statistics of its area, masked, and nothing else.

The role × route matrix (tests/test_matrix.py) probes every route for these roles with rows that do
not exist; here every write route is probed again with the demo station's real rows.
"""

from __future__ import annotations

import json
import re
import secrets

import pytest

from council.accounts.permissions import above_stations_allows
from council.accounts.principal import SYSTEM, PlacedStation, area_of, stations_under
from tests.support import post_form

# ---------------------------------------------------------------- the scoping rule (pure)

PLACES = [
    PlacedStation(id=1, community=10, street=100, district="江北新区"),
    PlacedStation(id=2, community=11, street=100, district="江北新区"),
    PlacedStation(id=3, community=12, street=101, district="江北新区"),
    PlacedStation(id=4, community=13, street=102, district="鼓楼区"),
    PlacedStation(id=5, community=14, street=103, district=""),
]


def test_a_street_officer_sees_the_stations_of_their_street_only():
    assert stations_under("street_officer", 100, "", PLACES) == {1, 2}
    assert stations_under("street_officer", 101, "", PLACES) == {3}
    # A district written on the user does not widen a street officer's view.
    assert stations_under("street_officer", 101, "江北新区", PLACES) == {3}


def test_a_district_officer_sees_every_street_of_their_district():
    assert stations_under("district_officer", None, "江北新区", PLACES) == {1, 2, 3}
    assert stations_under("district_officer", None, " 鼓楼区 ", PLACES) == {4}
    # A street written on the user does not narrow (or widen) a district officer's view.
    assert stations_under("district_officer", 102, "江北新区", PLACES) == {1, 2, 3}


def test_a_judicial_office_sits_at_a_street_or_a_district():
    assert stations_under("judicial_officer", 100, "", PLACES) == {1, 2}
    assert stations_under("judicial_officer", None, "江北新区", PLACES) == {1, 2, 3}
    assert area_of("judicial_officer", 100, "江北新区") == (100, "")  # the street's office


def test_no_area_sees_nothing_never_everything():
    assert stations_under("street_officer", None, "", PLACES) == frozenset()
    assert stations_under("district_officer", None, "", PLACES) == frozenset()
    assert stations_under("district_officer", None, "   ", PLACES) == frozenset()
    assert stations_under("judicial_officer", None, "", PLACES) == frozenset()
    # Streets filed under no district are not "the district called nothing".
    assert 5 not in stations_under("district_officer", None, "", PLACES)
    assert stations_under("district_officer", None, "不存在区", PLACES) == frozenset()
    assert stations_under("street_officer", 999, "", PLACES) == frozenset()


def test_other_roles_have_no_area():
    for role in ("admin", "secretary", "grid_worker", "mediator", "department_liaison", "resident"):
        assert area_of(role, 100, "江北新区") == (None, "")
        assert stations_under(role, 100, "江北新区", PLACES) == frozenset()


def test_officers_write_only_chases_and_escalations():
    for role in ("street_officer", "district_officer"):
        assert above_stations_allows(role, "GET", "/cases/5")
        assert above_stations_allows(role, "POST", "/cases/5/do/chase")
        assert above_stations_allows(role, "POST", "/cases/5/do/escalate")
        assert above_stations_allows(role, "POST", "/api/v1/cases/5/chase")
        assert above_stations_allows(role, "POST", "/api/v1/cases/5/escalate")
        for method, path in (("POST", "/cases/5/do/note"), ("POST", "/cases/5/do/chase/x"),
                             ("POST", "/cases/x/do/chase"), ("POST", "/api/v1/cases/5/notes"),
                             ("PATCH", "/api/v1/meetings/5"), ("POST", "/votes/3/do/open"),
                             ("POST", "/cases/new"), ("DELETE", "/api/v1/meetings/busy/3"),
                             ("POST", "/people/5/anonymise"), ("POST", "/units/5")):
            assert not above_stations_allows(role, method, path), (role, method, path)
    assert not above_stations_allows("judicial_officer", "POST", "/cases/5/do/chase")
    assert not above_stations_allows("judicial_officer", "GET", "/cases")
    assert not above_stations_allows("judicial_officer", "GET", "/api/v1/meetings/3")
    assert above_stations_allows("judicial_officer", "GET", "/mediation/stats")
    assert not above_stations_allows("judicial_officer", "POST", "/mediation/3/do/session")
    # Everyone else: the routes' own checks decide.
    assert above_stations_allows("secretary", "POST", "/cases/5/do/note")


# ---------------------------------------------------------------- against the demo

@pytest.fixture(scope="module")
async def area() -> dict:
    """The demo station (泰山街道, 江北新区); a second station on another street of the same district;
    a third on a street of another district. Each with a request, a meeting and a mediation file's case."""
    from council.cases import intake
    from council.core import registry
    from council.core.registry import REGISTERS
    from council.meetings import scheduling
    from council.stations.tables import Station

    demo = await Station.select(Station.id).where(Station.case_prefix == "ZXL").first()
    tag = secrets.token_hex(3)
    out = {"demo": demo["id"], "tag": tag}
    for key, district in (("same_district", "江北新区"), ("other_district", f"别区{tag}")):
        street = await registry.create_row(SYSTEM, REGISTERS["streets"], {"name": f"{key}街道{tag}", "district": district})
        community = await registry.create_row(SYSTEM, REGISTERS["communities"], {"street": street, "name": f"{key}社区{tag}"})
        station = await registry.create_row(SYSTEM, REGISTERS["stations"], {
            "community": community, "name": f"{key}驿站{tag}", "case_prefix": f"{key[:1]}{tag}".upper(),
            "reception_weekday": 2, "reception_start": "09:00", "reception_end": "11:00"})
        case = (await intake.register_case(SYSTEM, {
            "station": station, "kind": "request", "title": f"{key}诉求{tag}", "category": "other",
            "channel": "hotline_12345"}))["id"]
        meeting = await scheduling.create_meeting(SYSTEM, station=station, kind="coordination", title=f"{key}会议{tag}")
        out[key] = {"street": street, "community": community, "station": station, "case": case, "meeting": meeting}
    demo_case = (await intake.register_case(SYSTEM, {
        "station": demo["id"], "kind": "request", "title": f"本站诉求{tag}", "category": "other",
        "channel": "hotline_12345"}))["id"]
    out["demo_case"] = demo_case
    from council.accounts import whois

    whois.forget()  # the officers see new stations within whois.TTL seconds; the tests do not wait
    return out


def test_street_officer_reads_their_street_and_nothing_else(as_user, area):
    c = as_user("streetofficer")
    assert c.get(f"/stations/{area['demo']}").status_code == 200
    assert c.get(f"/cases/{area['demo_case']}").status_code == 200
    for key in ("same_district", "other_district"):
        for url in (f"/stations/{area[key]['station']}", f"/cases/{area[key]['case']}",
                    f"/meetings/{area[key]['meeting']}", f"/communities/{area[key]['community']}"):
            r = c.get(url)
            assert r.status_code == 404, (url, r.status_code)
            assert area["tag"] not in r.text
    listing = c.get("/cases").text
    assert f"本站诉求{area['tag']}" in listing
    assert f"same_district诉求{area['tag']}" not in listing


def test_district_officer_reads_every_street_of_the_district(as_user, area):
    c = as_user("districtofficer")
    for url in (f"/stations/{area['demo']}", f"/cases/{area['demo_case']}",
                f"/stations/{area['same_district']['station']}", f"/cases/{area['same_district']['case']}",
                f"/meetings/{area['same_district']['meeting']}"):
        assert c.get(url).status_code == 200, url
    other = area["other_district"]
    for url in (f"/stations/{other['station']}", f"/cases/{other['case']}", f"/meetings/{other['meeting']}"):
        assert c.get(url).status_code == 404, url
    listing = c.get("/cases").text
    assert f"same_district诉求{area['tag']}" in listing
    assert f"other_district诉求{area['tag']}" not in listing


def test_officers_see_masked_phones_only(as_user):
    c = as_user("streetofficer")
    r = c.get("/people")
    assert r.status_code == 200
    main = re.search(r"<main.*?</main>", r.text, re.S).group(0)  # not the head's tokens and fingerprints
    assert re.search(r"1[3-9]\d\*{4}\d{4}", main)
    assert not re.search(r"(?<!\w)1[3-9]\d{9}(?!\w)", main)


async def _real_path_ids() -> dict[str, int]:
    from council.cases.tables import Case
    from council.mediation.tables import DisputeFile
    from council.meetings.tables import Meeting
    from council.stations.tables import Station
    from council.votes.tables import Vote

    station = (await Station.select(Station.id).where(Station.case_prefix == "ZXL").first())["id"]
    ids = {"station_id": station}
    for name, table in (("case_id", Case), ("meeting_id", Meeting), ("vote_id", Vote), ("dispute_id", DisputeFile)):
        row = await table.select(table.id).where(table.station == station).order_by(table.id).first()
        if row:
            ids[name] = row["id"]
    return ids


async def test_officers_write_nothing_with_real_rows_but_a_chase(app, as_user):
    """Every write route, with the demo station's real case, meeting, vote and file in its path:
    403 for the officers, and not one audit entry or timeline event by them."""
    from council.accounts.tables import User
    from council.cases.tables import CaseEvent
    from tests.test_matrix import PARAM, app_routes, template

    ids = await _real_path_ids()
    own = re.compile(r"^/(logout|locale|account/password|meetings/feeds|api/v1/meetings/feeds)$|^/notify|^/v/|^/n/"
                     r"|^/api/v1/ballots/")
    for username in ("streetofficer", "districtofficer", "judicial"):
        user = await User.select(User.id).where(User.username == username).first()
        before = await _writes_by(user["id"])
        events = await CaseEvent.count().where(CaseEvent.actor == user["id"])
        c = as_user(username)
        token = c.cookies.get("csrftoken")
        from council.accounts import services

        bearer = {"Authorization": f"Bearer {await services.create_token(SYSTEM, username, name='probe')}"}
        probed = 0
        for method, path in app_routes(app):
            if method in ("GET", "HEAD") or own.match(template(path).replace("{}", "x")):
                continue
            url = "/".join(str(ids.get(m.group(1), 999_999_999)) if (m := PARAM.fullmatch(seg)) and ":int" in seg
                           else ("x" if PARAM.fullmatch(seg) else seg) for seg in path.split("/"))
            if username != "judicial" and re.search(r"/(chase|escalate)$", url):
                continue  # their one write: tested below
            if path.startswith("/api/"):
                r = c.request(method, url, json={}, headers=bearer)
            else:
                r = c.request(method, url, data={"_csrf_token": token, "text": "x", "reason": "x"},
                              follow_redirects=False)
            assert r.status_code == 403, (username, method, url, r.status_code)
            probed += 1
        assert probed > 100
        # Their page's action names: every one but chase and escalate is refused too.
        for what in ("note", "dispatch", "close", "rate", "extension", "opinion", "move"):
            r = post_form(c, f"/cases/{ids['case_id']}/do/{what}", {"text": "x", "reason": "x"})
            assert r.status_code == 403, (username, what, r.status_code)
        assert await _writes_by(user["id"]) == before
        assert await CaseEvent.count().where(CaseEvent.actor == user["id"]) == events


async def _writes_by(user_id: int) -> int:
    """The user's audit entries other than signing in and the probe's token (made by the system)."""
    from council.audit.tables import AuditEntry

    return await AuditEntry.count().where(
        (AuditEntry.actor == user_id) & AuditEntry.action.not_in(["user.login", "user.logout", "token.create"]))


async def test_a_street_officer_chases_and_escalates_with_a_note_the_station_sees(as_user, area):
    from council.accounts.tables import User
    from council.audit.tables import AuditEntry
    from council.cases.tables import Case, CaseEvent

    case = area["demo_case"]
    officer = as_user("streetofficer")
    page = officer.get(f"/cases/{case}").text
    assert f'action="/cases/{case}/do/chase"' in page
    assert f'action="/cases/{case}/do/escalate"' in page
    assert 'action="/cases/{}/do/note"'.format(case) not in page

    # A chase from above needs a note: nothing is written without one.
    r = post_form(officer, f"/cases/{case}/do/chase", {"text": "  "})
    assert r.status_code == 422
    assert await CaseEvent.count().where((CaseEvent.case == case) & (CaseEvent.kind == "chased")) == 0

    note = f"请三日内答复居民{area['tag']}"
    r = post_form(officer, f"/cases/{case}/do/chase", {"text": note})
    assert r.status_code == 303, r.text
    r = post_form(officer, f"/cases/{case}/do/escalate", {"reason": f"久拖未决{area['tag']}"})
    assert r.status_code == 303, r.text
    assert (await Case.select(Case.escalation).where(Case.id == case).first())["escalation"] == "street"

    me = await User.select(User.id).where(User.username == "streetofficer").first()
    chased = await CaseEvent.select().where((CaseEvent.case == case) & (CaseEvent.kind == "chased")).first()
    assert chased["actor"] == me["id"] and chased["text"] == note
    data = json.loads(chased["data"]) if isinstance(chased["data"], str) else chased["data"]
    assert data["from"] == "street_officer" and "泰山街道" in data["area"]
    audit = await AuditEntry.select().where((AuditEntry.actor == me["id"]) & (AuditEntry.action == "case.chase")
                                             & (AuditEntry.entity_id == case)).first()
    assert audit is not None and audit["station"] == area["demo"]

    # The station's staff are told (the case had no organisation yet: the reminder is the station's).
    from council.notify.tables import Outbox

    sec = await User.select(User.id).where(User.username == "secretary").first()
    assert await Outbox.exists().where((Outbox.case == case) & (Outbox.event == "request.chase")
                                       & (Outbox.recipient == f"user:{sec['id']}"))
    # The station's secretary sees the chase, its note and where it came from.
    timeline = as_user("secretary").get(f"/cases/{case}").text
    assert note in timeline
    assert "泰山街道" in timeline

    # Not a case outside the street: the same 404 as a case that does not exist.
    other = area["same_district"]["case"]
    assert post_form(officer, f"/cases/{other}/do/chase", {"text": note}).status_code == 404
    assert await CaseEvent.count().where((CaseEvent.case == other) & (CaseEvent.kind == "chased")) == 0


async def test_the_district_officer_chases_through_the_api(client, area):
    from council.accounts import services
    from council.cases.tables import CaseEvent

    auth = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'districtofficer')}"}
    case = area["same_district"]["case"]
    assert client.post(f"/api/v1/cases/{case}/chase", json={"text": ""}, headers=auth).status_code == 422
    r = client.post(f"/api/v1/cases/{case}/chase", json={"text": "区里督办"}, headers=auth)
    assert r.status_code == 204, r.text
    assert await CaseEvent.count().where((CaseEvent.case == case) & (CaseEvent.kind == "chased")) == 1
    other = area["other_district"]["case"]
    assert client.post(f"/api/v1/cases/{other}/chase", json={"text": "区里督办"}, headers=auth).status_code == 404


async def test_the_judicial_office_reads_mediation_masked_and_nothing_else(as_user):
    from council.mediation.tables import DisputeFile

    c = as_user("judicial")
    f = await DisputeFile.select(DisputeFile.id).order_by(DisputeFile.id).first()
    assert c.get("/mediation").status_code == 200
    assert c.get("/mediation/stats").status_code == 200
    r = c.get(f"/mediation/{f['id']}")
    assert r.status_code == 200
    main = re.search(r"<main.*?</main>", r.text, re.S).group(0)  # not the head's tokens and fingerprints
    assert not re.search(r"(?<!\w)1[3-9]\d{9}(?!\w)", main)  # no full phone number
    assert not re.search(r"(?<!\w)\d{17}[\dX](?!\w)", main)  # no full ID number
    assert c.get(f"/mediation/{f['id']}/agreement.pdf").status_code == 403
    assert c.get(f"/mediation/{f['id']}/agreement.docx").status_code == 403
    for url in ("/cases", "/meetings", "/votes", "/people", "/stations", "/reports/monthly.xlsx?month=2026-01",
                "/reports/reception.xlsx?start=2026-01-01&end=2026-01-31"):
        assert c.get(url).status_code == 403, url
    # It collects the people's mediation statistics of its area (counts, no names).
    assert c.get("/reports/mediation.xlsx?start=2026-01-01&end=2026-12-31").status_code == 200
    assert post_form(c, f"/mediation/{f['id']}/do/session", {}).status_code == 403


# ---------------------------------------------------------------- giving an officer their area

async def test_the_admin_form_ties_an_officer_to_a_street_or_a_district(as_user):
    from council.accounts.tables import User
    from council.places.tables import Street

    street = await Street.select(Street.id).where(Street.name == "泰山街道").first()
    admin = as_user("admin")
    form = admin.get("/users/new", headers={"Accept-Language": "zh-CN"}).text
    assert 'name="area_street"' in form and 'name="area_district"' in form and "江北新区 泰山街道" in form
    tag = secrets.token_hex(3)
    base = {"username": f"street{tag}", "display_name": "街道干部", "password": f"Pw-{tag}-long-enough-9",
            "role": "street_officer"}
    # A street officer with no street: refused, in the admin's language, nothing created.
    r = post_form(admin, "/users/new", {**base, "area_district": "江北新区"}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and "街道干部须指定所属街道" in r.text
    assert not await User.exists().where(User.username == base["username"])
    r = post_form(admin, "/users/new", {**base, "area_street": str(street["id"]), "stations": "1"})
    assert r.status_code == 303, r.text
    made = await User.select().where(User.username == base["username"]).first()
    assert made["area_street"] == street["id"] and made["area_district"] == ""
    # Changing the role to district officer moves the area to the district, and drops the street.
    detail = admin.get(f"/users/{made['id']}").text
    assert 'name="area_street"' in detail
    r = post_form(admin, f"/users/{made['id']}", {"display_name": "区级干部", "role": "district_officer",
                                                   "area_street": str(street["id"]), "area_district": "江北新区",
                                                   "is_active": "1", "version": str(made["version"])})
    assert r.status_code == 303, r.text
    changed = await User.select().where(User.id == made["id"]).first()
    assert changed["role"] == "district_officer" and changed["area_district"] == "江北新区"
    assert changed["area_street"] is None
    r = post_form(admin, f"/users/{made['id']}", {"display_name": "x", "role": "district_officer",
                                                   "area_district": "不存在区", "is_active": "1",
                                                   "version": str(changed["version"])})
    assert r.status_code == 422


def test_the_cli_creates_a_judicial_office_of_the_district(client):
    from click.testing import CliRunner

    from council.cli import main

    name = f"judicial{secrets.token_hex(3)}"
    result = CliRunner().invoke(main, ["user", "create", name, "--role", "judicial_officer", "--district", "江北新区",
                                       "--password-stdin"], input="Judicial-office-pw-2026\n")
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(main, ["user", "create", name + "x", "--role", "street_officer", "--password-stdin"],
                             input="Judicial-office-pw-2026\n")
    assert bad.exit_code != 0 and "street" in bad.output
