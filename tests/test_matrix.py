"""Role × route matrix, and station scoping.

Every route the app serves is found by walking `app.routes`, so routes added later are
covered automatically — and a route that is not in EXPECTED fails the run until someone
decides who may use it. For each role (and for anonymous visitors) every method of every
route is called once:

- allowed roles must not be refused (no 401/403, no redirect to sign-in, no server error);
- refused roles get 403 — an HTML page, or problem+json under /api/;
- anonymous visitors are sent to /login (pages) or get 401 problem+json (API).

Writes are probed with empty bodies (and, where the path names a row, a row that does not
exist), so an allowed probe can fail validation but never changes anything.

The second half builds a second street/community/estate/…/station and proves that the demo
station's staff can neither see nor change it.
"""

from __future__ import annotations

import re
import secrets

import pytest
from litestar.testing import TestClient

from council.accounts import services
from council.accounts.principal import SYSTEM
from council.accounts.tables import User
from council.audit.tables import AuditEntry
from council.core import registry
from council.core.registry import REGISTERS
from tests.support import login, post_form

# ---------------------------------------------------------------- who may do what

ADMIN = frozenset({"admin"})
SECRETARIAT = ADMIN | {"secretary"}
STAFF = SECRETARIAT | {"grid_worker", "mediator"}
PII = SECRETARIAT | {"mediator"}
# Above the stations (issue 18): the street and district officers read every station under them
# and write only chases and escalations; the judicial office reads mediation files, masked.
OVERSIGHT = frozenset({"street_officer", "district_officer"})
JUDICIAL = frozenset({"judicial_officer"})
READERS = STAFF | OVERSIGHT
SIGNED_IN = STAFF | {"department_liaison", "resident"} | OVERSIGHT | JUDICIAL
CASE_ROLES = SIGNED_IN - JUDICIAL  # the judicial office opens no case pages at all
PUBLIC = "public"  # no sign-in needed

ROLES = ("admin", "secretary", "grid_worker", "mediator", "department_liaison", "resident",
         "street_officer", "district_officer", "judicial_officer")
DEMO_USERNAME = {"admin": "admin", "secretary": "secretary", "grid_worker": "gridworker", "mediator": "mediator",
                 "department_liaison": "liaison", "resident": "resident", "street_officer": "streetofficer",
                 "district_officer": "districtofficer", "judicial_officer": "judicial"}

# register name -> (who may read, who may write). Written out, not read from the permission
# module, so a change there shows up here as a failing test.
REGISTER_ROLES = {
    "streets": (READERS, ADMIN),
    "communities": (READERS, ADMIN),
    "estates": (READERS, SECRETARIAT),
    "buildings": (READERS, SECRETARIAT),
    "units": (READERS, SECRETARIAT),
    "grids": (READERS, SECRETARIAT),
    "grid-buildings": (READERS, SECRETARIAT),
    "people": (READERS, SECRETARIAT | {"grid_worker"}),
    "ownerships": (READERS, SECRETARIAT | {"grid_worker"}),
    "residences": (READERS, SECRETARIAT | {"grid_worker"}),
    "organisations": (READERS | {"department_liaison"}, SECRETARIAT),
    "contacts": (READERS | {"department_liaison"}, SECRETARIAT),
    "stations": (READERS, ADMIN),
    "station-estates": (READERS, ADMIN),
    "rooms": (READERS, SECRETARIAT),
    "station-categories": (READERS, SECRETARIAT),
    "station-holidays": (READERS, SECRETARIAT),
}

# Path (parameters written {}) -> method -> roles; "*" covers every method. A key ending in
# "/**" covers everything below it, so whole areas other engineers own need one line each.
EXPECTED: dict[str, dict[str, frozenset | str]] = {
    "/": {"GET": SIGNED_IN},
    "/healthz": {"GET": PUBLIC},
    "/readyz": {"GET": PUBLIC},
    "/metrics": {"GET": PUBLIC},  # 404 until COUNCIL_METRICS_TOKEN is set, then the token, not a role
    "/login": {"GET": PUBLIC, "POST": PUBLIC},
    "/logout": {"POST": SIGNED_IN},
    "/account/password": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "/locale": {"POST": PUBLIC},
    "/static/**": {"GET": PUBLIC, "HEAD": PUBLIC},
    "/api/v1/schema": {"GET": PUBLIC},
    "/api/v1/schema/**": {"GET": PUBLIC},
    "/api/v1/me": {"GET": SIGNED_IN},
    # The audit log: read-only, for the secretariat.
    "/audit": {"GET": SECRETARIAT},
    "/audit/**": {"GET": SECRETARIAT},
    "/api/v1/audit": {"GET": SECRETARIAT},
    "/api/v1/audit/**": {"GET": SECRETARIAT},
    # User administration: administrators only.
    "/users": {"*": ADMIN},
    "/users/**": {"*": ADMIN},
    "/api/v1/users": {"*": ADMIN},
    "/api/v1/users/**": {"*": ADMIN},
    # Register imports and exports.
    "/imports": {"*": SECRETARIAT},
    "/imports/**": {"*": SECRETARIAT},
    "/api/v1/imports": {"*": SECRETARIAT},
    "/api/v1/imports/**": {"*": SECRETARIAT},
    "/api/v1/estates/{}/import": {"POST": SECRETARIAT},
    # Masked unless full=1 (admins and secretaries only): the officers above read registers too.
    "/estates/{}/export.csv": {"GET": READERS},
    "/estates/{}/export.xlsx": {"GET": READERS},
    "/api/v1/estates/{}/export": {"GET": READERS},
    # Cases. The role decides which pages open; what each may do to one case is decided per
    # case (council.cases.policy), so per-case routes are open to every signed-in role here.
    "/cases": {"GET": CASE_ROLES},
    "/cases/new": {"GET": STAFF | {"resident"}, "POST": STAFF | {"resident"}},
    "/cases/overdue": {"GET": STAFF | {"department_liaison"}},
    "/cases/export.csv": {"GET": CASE_ROLES - {"resident"}},
    "/cases/export.xlsx": {"GET": CASE_ROLES - {"resident"}},
    # The officers above the station read a case and write only its chase and escalation.
    "/cases/{}/**": {"GET": CASE_ROLES, "*": CASE_ROLES - OVERSIGHT},
    "/cases/{}/do/{}": {"POST": CASE_ROLES - OVERSIGHT},
    "/cases/{}": {"GET": CASE_ROLES},
    "/inbox": {"GET": ADMIN | {"department_liaison"}},
    "/my/tasks": {"GET": STAFF | {"department_liaison"}},
    "/dashboard": {"GET": STAFF},
    # The overview of the stations under a street or district officer (issue 18).
    "/oversight": {"GET": ADMIN | OVERSIGHT},
    # Reports filed upward: the work report for the secretariat, mediation statistics for mediators too.
    # The offices above the stations file the reports of the stations under them (issue 18); the
    # judicial office the mediation statistics only.
    "/reports": {"GET": PII | OVERSIGHT | JUDICIAL},
    "/reports/monthly.xlsx": {"GET": SECRETARIAT | OVERSIGHT},
    "/reports/mediation.xlsx": {"GET": PII | OVERSIGHT | JUDICIAL},
    "/reports/reception.xlsx": {"GET": PII | OVERSIGHT},
    "/dashboard/export.xlsx": {"GET": STAFF},  # the dashboard's tables, as the page shows them
    "/api/v1/cases": {"GET": CASE_ROLES, "POST": STAFF | {"resident"}},
    "/api/v1/cases/overdue": {"GET": STAFF | {"department_liaison"} | OVERSIGHT},
    "/api/v1/cases/export": {"GET": CASE_ROLES - {"resident"}},
    "/api/v1/cases/{}": {"GET": CASE_ROLES},
    "/api/v1/cases/{}/**": {"GET": CASE_ROLES, "*": CASE_ROLES - OVERSIGHT},
    "/api/v1/cases/{}/chase": {"POST": CASE_ROLES},
    "/api/v1/cases/{}/escalate": {"POST": CASE_ROLES},
    # The API inbox is the liaison's own; an admin reads dispatched cases through /api/v1/cases.
    "/api/v1/inbox": {"GET": frozenset({"department_liaison"})},
    "/api/v1/my/tasks": {"GET": STAFF | {"department_liaison"}},
    "/api/v1/stations/{}/dashboard": {"GET": STAFF},
    # Residents' votes (council.votes.policy decides per vote's station). The voting link, its API
    # twin and the public notice (公示) need no account: the link's token is the credential.
    "/votes": {"GET": READERS},
    "/votes/new": {"GET": SECRETARIAT, "POST": SECRETARIAT},
    "/votes/{}": {"GET": READERS},
    "/votes/{}/do/{}": {"POST": STAFF},
    "/votes/{}/letters.pdf": {"GET": SECRETARIAT},
    "/votes/{}/letters": {"POST": SECRETARIAT},  # the whole electorate's letters, as a job
    "/notices/{}": {"GET": PUBLIC},  # the key in the address is the credential (unguessable)
    "/notices/{}/notice.pdf": {"GET": PUBLIC},
    # The station's public board (公示栏): de-identified figures and decisions, for everyone.
    "/board": {"GET": PUBLIC},
    "/board/{}": {"GET": PUBLIC},
    "/v/{}": {"GET": PUBLIC, "POST": PUBLIC},
    "/my/votes": {"GET": frozenset({"resident"})},
    "/my/votes/{}": {"GET": frozenset({"resident"}), "POST": frozenset({"resident"})},
    # Photos of the case a ballot decides: the link's holder, or the resident on the vote's list.
    "/v/{}/photos/{}": {"GET": PUBLIC},
    "/my/votes/{}/photos/{}": {"GET": frozenset({"resident"})},
    "/api/v1/votes": {"GET": READERS, "POST": SECRETARIAT},
    "/api/v1/votes/{}": {"GET": READERS},
    "/api/v1/votes/{}/open": {"POST": SECRETARIAT},
    "/api/v1/votes/{}/close": {"POST": SECRETARIAT},
    "/api/v1/votes/{}/voters": {"GET": READERS},
    "/api/v1/votes/{}/voters/{}/reissue": {"POST": SECRETARIAT},
    "/api/v1/votes/{}/ballots": {"POST": SECRETARIAT | {"grid_worker"}},
    "/api/v1/votes/{}/ballots/{}": {"PATCH": SECRETARIAT},
    "/api/v1/notices/{}": {"GET": PUBLIC},
    "/api/v1/ballots/{}": {"GET": PUBLIC, "POST": PUBLIC},
    "/api/v1/my/votes": {"GET": frozenset({"resident"})},
    "/api/v1/my/votes/{}/ballot": {"POST": frozenset({"resident"})},
    # Meetings (council.meetings.policy decides per meeting: station staff, invited parties).
    "/meetings": {"GET": CASE_ROLES},
    "/meetings/new": {"GET": SECRETARIAT, "POST": SECRETARIAT},
    "/meetings/{}": {"GET": CASE_ROLES},
    "/meetings/{}/**": {"GET": CASE_ROLES, "*": CASE_ROLES - OVERSIGHT},
    "/meetings/busy": {"GET": STAFF, "POST": SECRETARIAT},
    "/meetings/busy/import": {"POST": SECRETARIAT},
    "/meetings/busy/{}/delete": {"POST": SECRETARIAT},
    "/meetings/feeds": {"GET": CASE_ROLES, "POST": CASE_ROLES},
    "/calendar/{}": {"GET": PUBLIC},  # the secret feed: the token is the key
    "/api/v1/meetings": {"GET": CASE_ROLES, "POST": SECRETARIAT},
    "/api/v1/meetings/slots": {"POST": SECRETARIAT},
    "/api/v1/meetings/busy": {"POST": SECRETARIAT},
    "/api/v1/meetings/busy/import": {"POST": SECRETARIAT},
    "/api/v1/meetings/busy/{}": {"DELETE": SECRETARIAT},
    "/api/v1/meetings/feeds": {"POST": CASE_ROLES},
    "/api/v1/meetings/{}": {"GET": CASE_ROLES, "PATCH": SECRETARIAT},
    "/api/v1/meetings/{}/**": {"GET": CASE_ROLES, "*": CASE_ROLES - OVERSIGHT},
    "/api/v1/meetings/{}/parties": {"POST": SECRETARIAT},
    "/api/v1/meetings/{}/parties/{}": {"DELETE": SECRETARIAT},
    "/api/v1/meetings/{}/agenda": {"POST": SECRETARIAT},
    "/api/v1/meetings/{}/agenda/{}": {"DELETE": SECRETARIAT},
    # The reception desk (council.reception.policy decides per station): staff work the desk; the
    # secretariat keeps the schedule and the roster and decides swaps.
    "/reception": {"GET": STAFF},
    "/reception/**": {"*": STAFF},
    "/api/v1/reception/**": {"*": STAFF},
    "/api/v1/reception/exceptions": {"POST": SECRETARIAT},
    "/api/v1/reception/roster": {"POST": SECRETARIAT},
    "/api/v1/reception/swaps/{}/decide": {"POST": SECRETARIAT},
    # Anonymising a resident erases them for good.
    "/people/{}/anonymise": {"POST": SECRETARIAT},
    "/api/v1/people/{}/anonymise": {"POST": SECRETARIAT},
    # People's mediation (issue 5): mediators and the secretariat; per-file station checks in the use cases.
    # The judicial office of the area (issue 18) reads the files and statistics, masked: no writes, no PDF
    # (the agreement's PDF carries full ID numbers).
    "/mediation": {"GET": PII | JUDICIAL, "*": PII},
    "/mediation/**": {"GET": PII | JUDICIAL, "*": PII},
    "/api/v1/mediation": {"GET": PII | JUDICIAL, "*": PII},
    "/api/v1/mediation/**": {"GET": PII | JUDICIAL, "*": PII},
    "/mediation/{}/agreement.pdf": {"GET": PII},
    "/mediation/{}/agreement.docx": {"GET": PII},
    "/mediation/{}/sessions/{}/record.pdf": {"GET": PII},
    "/api/v1/mediation/{}/agreement.pdf": {"GET": PII},
    "/api/v1/mediation/{}/sessions/{}/record.pdf": {"GET": PII},
    "/mediation/committee/{}": {"GET": PII | JUDICIAL, "POST": SECRETARIAT},
    "/api/v1/mediation/committee/{}": {"GET": PII | JUDICIAL, "POST": SECRETARIAT},
    # Notifications (issue 15): one's own inbox and settings; the outbox and channels for admins;
    # signed links for people without accounts.
    "/notify/**": {"*": SIGNED_IN},
    "/admin/notify": {"*": ADMIN},
    # Background jobs (council.jobs): the secretariat's letters and imports; backups for admins
    # (which kind a job is and its station are checked per job: tests/test_jobs.py).
    "/jobs/{}": {"GET": SECRETARIAT},
    "/jobs/{}/status": {"GET": SECRETARIAT},
    "/jobs/{}/download": {"GET": SECRETARIAT},
    "/admin/backups": {"GET": ADMIN, "POST": ADMIN},
    "/admin/notify/**": {"*": ADMIN},
    "/n/**": {"*": PUBLIC},
    # A station's emblem (issue 17): changed by the station's administrators (the admin, its
    # secretary; the station is checked in council.stations.emblem), shown to whoever works there.
    "/stations/{}/emblem": {"GET": SIGNED_IN, "POST": SECRETARIAT},
    "/stations/{}/emblem/remove": {"POST": SECRETARIAT},
}
for _name, (_read, _write) in REGISTER_ROLES.items():
    EXPECTED.update({
        f"/{_name}": {"GET": _read},
        f"/{_name}/new": {"GET": _write, "POST": _write},
        f"/{_name}/{{}}": {"GET": _read, "POST": _write},
        f"/{_name}/{{}}/reveal/{{}}": {"POST": PII},
        f"/api/v1/{_name}": {"GET": _read, "POST": _write},
        f"/api/v1/{_name}/{{}}": {"GET": _read, "PATCH": _write},
        f"/api/v1/{_name}/{{}}/reveal": {"POST": PII},
    })

# Probing these as a signed-in user would disturb the run (failed sign-ins count towards the
# throttle, signing out ends the probe's session, the locale is a saved preference); each is
# tested on its own in tests/test_accounts.py.
NOT_PROBED_SIGNED_IN = {("POST", "/login"), ("POST", "/logout"), ("POST", "/locale")}
NOT_PROBED_ANONYMOUS = {("POST", "/login")}

MISSING_ID = 999_999_999
# Every answer carries its own request id (error page and problem+json); the rest must not differ.
_REQUEST_ID = re.compile(r'(<code>[0-9a-f]+</code>|"request_id":"[0-9a-f]+")')


def same_answer(text: str) -> str:
    """An answer with its request id and the numbers in it taken out, for comparing two 404s."""
    return re.sub(r"\d+", "", _REQUEST_ID.sub("", text))
PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


def template(path: str) -> str:
    return PARAM.sub("{}", path)


def expectation(path: str, method: str) -> frozenset | str | None:
    t = template(path)
    entry = EXPECTED.get(t)
    if entry is None:
        # The longest "/**" area that contains the path.
        parts = t.split("/")
        for n in range(len(parts) - 1, 0, -1):
            entry = EXPECTED.get("/".join(parts[:n]) + "/**")
            if entry is not None:
                break
    if entry is None:
        return None
    return entry.get(method, entry.get("*"))


def app_routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", ()) or ()):
            if method == "OPTIONS":
                continue
            found.append((method, route.path))
    return found


def test_every_route_has_an_expectation(app):
    missing = [f"{m} {p}" for m, p in app_routes(app) if expectation(p, m) is None]
    assert not missing, "routes with no decision on who may use them — add them to EXPECTED:\n" + "\n".join(missing)


def test_every_register_is_in_the_table():
    assert set(REGISTER_ROLES) == set(REGISTERS)


def test_the_table_covers_the_areas_other_modules_serve():
    # Present whether or not their routes exist yet, so they are checked the moment they appear.
    assert expectation("/audit/{entry_id:int}", "GET") == SECRETARIAT
    assert expectation("/users/{user_id:int}/password", "POST") == ADMIN
    assert expectation("/imports/preview", "POST") == SECRETARIAT
    assert expectation("/api/v1/users/{id:int}", "DELETE") == ADMIN
    assert expectation("/no-such-area", "GET") is None


# ---------------------------------------------------------------- probing

@pytest.fixture(scope="module")
async def sample_ids() -> dict[str, int]:
    """For each register, a row every role allowed to read that register can see: the demo
    station's, or (organisations, contacts) the department the demo liaison belongs to."""
    liaison = await User.select().where(User.username == "liaison").first()
    ids = {}
    for name, reg in REGISTERS.items():
        t = reg.table
        query = t.select(t.id).order_by(t.id)
        if name == "organisations":
            query = query.where(t.id == liaison["organisation"])
        elif name == "contacts":
            query = query.where(t.organisation == liaison["organisation"])
        row = await query.first()
        assert row, f"the demo has no {name}"
        ids[name] = row["id"]
    return ids


@pytest.fixture(scope="module")
async def tokens() -> dict[str, str]:
    return {role: await services.create_token(SYSTEM, DEMO_USERNAME[role], name="matrix") for role in ROLES}


def concrete(path: str, method: str, sample_ids: dict[str, int]) -> str:
    """A real URL for a route template. Reads use a row the allowed roles can see; writes use a
    row that does not exist, so an allowed write can only fail, never change the demo."""
    segments = path.split("/")
    out = []
    for i, seg in enumerate(segments):
        m = PARAM.fullmatch(seg)
        if not m:
            out.append(seg)
            continue
        kind = seg.split(":", 1)[1].rstrip("}") if ":" in seg else "str"
        prev = segments[i - 1] if i else ""
        if kind == "int":
            # Rows outside the registers (cases, users, audit entries) are scoped per row: the
            # probe asks for one that does not exist, so an allowed role gets 404, never 403.
            out.append(str(sample_ids[prev]) if method == "GET" and prev in sample_ids else str(MISSING_ID))
        elif kind == "path":
            out.append("app.css")
        elif m.group(1) == "field_name":
            out.append("phone")
        else:
            out.append("openapi.json")
    return "/".join(out)


def call(client: TestClient, method: str, url: str, *, api: bool, headers: dict | None = None, csrf: str = ""):
    kw: dict = {"headers": headers or {}, "follow_redirects": False}
    if method in ("POST", "PATCH", "PUT", "DELETE"):
        if api:
            kw["json"] = {}
        else:
            kw["data"] = {"_csrf_token": csrf}
    return client.request(method, url, **kw)


def to_login(r) -> bool:
    return r.status_code in (301, 302, 303, 307) and r.headers.get("location", "").startswith("/login")


def check_refused(r, api: bool) -> str | None:
    if r.status_code != 403:
        return f"expected 403, got {r.status_code}"
    ctype = r.headers.get("content-type", "")
    if api and not ctype.startswith("application/problem+json"):
        return f"403 without problem+json ({ctype})"
    if api and r.json().get("status") != 403:
        return "problem body without status 403"
    if not api and not ctype.startswith("text/html"):
        return f"403 page is not HTML ({ctype})"
    return None


def check_allowed(r) -> str | None:
    if r.status_code in (401, 403) or to_login(r):
        return f"refused with {r.status_code}"
    if r.status_code >= 500:
        return f"server error {r.status_code}"
    return None


@pytest.fixture(scope="module")
def anonymous_client(app):
    with TestClient(app=app) as c:
        yield c


@pytest.mark.parametrize("role", ROLES)
def test_role_route_matrix(app, role, sample_ids, tokens):
    failures = []
    with TestClient(app=app) as pages:
        login(pages, DEMO_USERNAME[role])
        csrf = pages.cookies.get("csrftoken")
        api_client = TestClient(app=app)
        auth = {"Authorization": f"Bearer {tokens[role]}"}
        for method, path in app_routes(app):
            allowed = expectation(path, method)
            if allowed is None or (method, template(path)) in NOT_PROBED_SIGNED_IN or method == "HEAD":
                continue
            api = path.startswith("/api/")
            url = concrete(path, method, sample_ids)
            if api:
                r = call(api_client, method, url, api=True, headers=auth)
            else:
                r = call(pages, method, url, api=False, csrf=csrf)
            problem = check_allowed(r) if allowed == PUBLIC or role in allowed else check_refused(r, api)
            if problem:
                failures.append(f"{role:>18} {method:5} {url}: {problem}")
    assert not failures, "\n".join(failures)


def test_anonymous_matrix(app, anonymous_client, sample_ids):
    c = anonymous_client
    c.get("/login")
    csrf = c.cookies.get("csrftoken")
    failures = []
    for method, path in app_routes(app):
        allowed = expectation(path, method)
        if allowed is None or allowed == PUBLIC or (method, template(path)) in NOT_PROBED_ANONYMOUS or method == "HEAD":
            continue
        api = path.startswith("/api/")
        url = concrete(path, method, sample_ids)
        r = call(c, method, url, api=api, csrf=csrf)
        if api:
            ok = r.status_code == 401 and r.headers.get("content-type", "").startswith("application/problem+json")
        else:
            ok = to_login(r)
        if not ok:
            failures.append(f"anonymous {method:5} {url}: got {r.status_code} {r.headers.get('location', '')}")
    assert not failures, "\n".join(failures)


def test_public_routes_answer_anonymously(anonymous_client):
    c = anonymous_client
    assert c.get("/healthz").status_code == 200
    assert c.get("/login").status_code == 200
    assert c.get("/static/app.css").status_code == 200
    assert c.get("/api/v1/schema/openapi.json").status_code == 200


def test_sign_in_page_sends_back_where_you_were(anonymous_client):
    r = anonymous_client.get("/units?q=3", follow_redirects=False)
    assert to_login(r)
    assert "next=/units" in r.headers["location"]


# ---------------------------------------------------------------- stations

@pytest.fixture(scope="module")
async def elsewhere() -> dict:
    """A second street → community → estate → building → unit, a resident there with a phone,
    and that community's own station, all created by the system."""
    tag = secrets.token_hex(3)
    reg = REGISTERS
    ids = {"tag": tag}
    ids["street"] = await registry.create_row(SYSTEM, reg["streets"], {"name": f"别处街道{tag}"})
    ids["community"] = await registry.create_row(SYSTEM, reg["communities"], {"street": ids["street"], "name": f"别处社区{tag}"})
    ids["estate"] = await registry.create_row(SYSTEM, reg["estates"], {"community": ids["community"], "name": f"别处小区{tag}"})
    ids["building"] = await registry.create_row(SYSTEM, reg["buildings"], {"estate": ids["estate"], "number": "1栋"})
    ids["unit_number"] = f"Z{tag}-101"
    ids["unit"] = await registry.create_row(SYSTEM, reg["units"], {
        "building": ids["building"], "number": ids["unit_number"], "area_m2": "88.50", "area_source": "registered"})
    ids["person"] = await registry.create_row(SYSTEM, reg["people"], {
        "community": ids["community"], "name": f"别处居民{tag}", "phone": "13900001111"})
    ids["station"] = await registry.create_row(SYSTEM, reg["stations"], {
        "community": ids["community"], "name": f"别处驿站{tag}", "case_prefix": f"Q{tag}".upper(),
        "reception_weekday": 2, "reception_start": "09:00", "reception_end": "11:00"})
    ids["station_estate"] = await registry.create_row(SYSTEM, reg["station-estates"], {
        "station": ids["station"], "estate": ids["estate"]})
    ids["room"] = await registry.create_row(SYSTEM, reg["rooms"], {"station": ids["station"], "name": "议事厅", "capacity": "12"})
    ids["station_category"] = await registry.create_row(SYSTEM, reg["station-categories"], {
        "station": ids["station"], "code": f"pets{tag}", "label": f"宠物{tag}", "limit_days": "3"})
    ids["station_holiday"] = await registry.create_row(SYSTEM, reg["station-holidays"], {
        "station": ids["station"], "day": "2027-01-01", "kind": "holiday", "note": f"元旦{tag}"})
    ids["organisation"] = await registry.create_row(SYSTEM, reg["organisations"], {
        "community": ids["community"], "kind": "property_manager", "name": f"别处物业{tag}", "phone": "13900002222"})
    # Rows outside the registers, of the other station: a request and a meeting.
    from council.cases import intake
    from council.meetings import scheduling

    ids["case"] = (await intake.register_case(SYSTEM, {
        "station": ids["station"], "kind": "request", "title": f"别处诉求{tag}", "category": "other",
        "channel": "hotline_12345"}))["id"]
    ids["meeting"] = await scheduling.create_meeting(SYSTEM, station=ids["station"], kind="coordination",
                                                     title=f"别处会议{tag}")
    # A finished job of the other station (council.jobs): its page, status and file are not found.
    from council.jobs.tables import Job

    ids["job"] = (await Job.insert(Job(kind="letters", station=ids["station"], state="failed",
                                       requested_label=f"别处书记{tag}"))
                  .returning(Job.id))[0]["id"]
    return ids


OTHER_DETAIL = [("units", "unit"), ("estates", "estate"), ("people", "person"), ("buildings", "building"),
                ("communities", "community"), ("stations", "station"), ("rooms", "room"),
                ("organisations", "organisation"), ("station-categories", "station_category"),
                ("station-holidays", "station_holiday")]


@pytest.mark.parametrize("username", ["secretary", "gridworker", "mediator"])
def test_other_station_detail_pages_are_refused(as_user, elsewhere, username):
    """Another station's row answers exactly as a row that does not exist: no existence oracle."""
    c = as_user(username)
    for name, key in OTHER_DETAIL:
        r = c.get(f"/{name}/{elsewhere[key]}")
        missing = c.get(f"/{name}/{MISSING_ID}")
        assert r.status_code == 404 == missing.status_code, (username, name, r.status_code)
        assert same_answer(r.text) == same_answer(missing.text)
        assert elsewhere["tag"] not in r.text  # nothing of the row leaks onto the error page


async def test_other_station_api_is_refused(client, elsewhere):
    token = await services.create_token(SYSTEM, "secretary")
    auth = {"Authorization": f"Bearer {token}"}
    for name, key in OTHER_DETAIL:
        r = client.get(f"/api/v1/{name}/{elsewhere[key]}", headers=auth)
        missing = client.get(f"/api/v1/{name}/{MISSING_ID}", headers=auth)
        assert r.status_code == 404, (name, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert elsewhere["tag"] not in r.text
        assert same_answer(r.text) == same_answer(missing.text)


def test_admin_does_see_the_other_station(as_user, elsewhere):
    # The refusals above are about scope, not about broken rows.
    c = as_user("admin")
    for name, key in OTHER_DETAIL:
        assert c.get(f"/{name}/{elsewhere[key]}").status_code == 200, name
    r = c.get(f"/units?q={elsewhere['unit_number']}")
    assert elsewhere["unit_number"] in r.text


async def test_other_station_rows_are_not_listed(client, as_user, elsewhere):
    c = as_user("secretary")
    tag = elsewhere["tag"]
    for url in ("/communities", "/stations", "/streets", "/rooms", "/estates", "/organisations"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert tag not in r.text, url
    # Searches and filters aimed straight at the other rows find nothing (the search box echoes
    # the words typed, so look for the rows' links instead).
    for url, name, key in (("/units?q=" + elsewhere["unit_number"], "units", "unit"),
                           ("/estates?q=" + tag, "estates", "estate"), ("/people?q=" + tag, "people", "person"),
                           ("/organisations?q=" + tag, "organisations", "organisation"),
                           (f"/estates?community={elsewhere['community']}", "estates", "estate"),
                           (f"/units?estate={elsewhere['estate']}", "units", "unit")):
        r = c.get(url)
        assert r.status_code == 200, url
        assert f'href="/{name}/{elsewhere[key]}"' not in r.text, url
        admin_view = as_user("admin").get(url).text if url.startswith("/units?q") else None
        if admin_view is not None:  # the same search as admin does find it: the check can fail
            assert f'href="/{name}/{elsewhere[key]}"' in admin_view
    sec = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary')}"}
    adm = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'admin')}"}
    for name, q in (("units", elsewhere["unit_number"]), ("estates", tag), ("people", tag), ("organisations", tag),
                    ("stations", tag), ("communities", tag)):
        assert client.get(f"/api/v1/{name}", params={"q": q}, headers=sec).json()["total"] == 0, name
        assert client.get(f"/api/v1/{name}", params={"q": q}, headers=adm).json()["total"] == 1, name
    # Select boxes offer only what the secretary may use.
    r = c.get("/units/new")
    assert f"别处小区{tag}" not in r.text and "1栋" in r.text


# Fixture order matters: `client` before `as_user`, so the clients close in the reverse of the
# order they opened (closing an earlier TestClient while a later one is open hangs its shutdown).


async def snapshot(name: str, row_id: int) -> dict:
    t = REGISTERS[name].table
    return await t.select().where(t.id == row_id).first()


async def test_other_station_writes_are_refused_and_change_nothing(client, as_user, elsewhere):
    c = as_user("secretary")
    auth = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary')}"}
    unit_before = await snapshot("units", elsewhere["unit"])
    person_before = await snapshot("people", elsewhere["person"])
    estate_before = await snapshot("estates", elsewhere["estate"])
    audit_before = await AuditEntry.count()

    r = post_form(c, f"/units/{elsewhere['unit']}", {"number": "HACKED", "area_m2": "1", "area_source": "registered",
                                                      "version": str(unit_before["version"])})
    assert r.status_code == 404
    r = post_form(c, f"/people/{elsewhere['person']}", {"name": "HACKED", "version": str(person_before["version"])})
    assert r.status_code == 404
    r = post_form(c, f"/estates/{elsewhere['estate']}", {"name": "HACKED", "version": str(estate_before["version"])})
    assert r.status_code == 404
    r = post_form(c, f"/people/{elsewhere['person']}/reveal/phone", {})
    assert r.status_code == 404
    assert "13900001111" not in r.text
    r = post_form(c, f"/people/{elsewhere['person']}/anonymise", {})
    assert r.status_code == 404

    r = client.patch(f"/api/v1/units/{elsewhere['unit']}", json={"version": unit_before["version"], "number": "HACKED"},
                     headers=auth)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = client.patch(f"/api/v1/people/{elsewhere['person']}", json={"version": person_before["version"], "name": "HACKED"},
                     headers=auth)
    assert r.status_code == 404
    r = client.post(f"/api/v1/people/{elsewhere['person']}/reveal", json={"field": "phone"}, headers=auth)
    assert r.status_code == 404 and "13900001111" not in r.text
    r = client.post(f"/api/v1/people/{elsewhere['person']}/anonymise", headers=auth)
    assert r.status_code == 404

    assert await snapshot("units", elsewhere["unit"]) == unit_before
    assert await snapshot("people", elsewhere["person"]) == person_before
    assert await snapshot("estates", elsewhere["estate"]) == estate_before
    # Refusals write nothing, not even a pii.view entry.
    assert await AuditEntry.count() == audit_before


async def test_cannot_create_rows_in_another_station(client, as_user, elsewhere):
    from council.people.tables import Person
    from council.places.tables import Unit

    c = as_user("secretary")
    units = await Unit.count().where(Unit.estate == elsewhere["estate"])
    people = await Person.count().where(Person.community == elsewhere["community"])
    r = post_form(c, "/units/new", {"building": str(elsewhere["building"]), "number": "X-1", "area_m2": "50",
                                    "area_source": "registered"})
    assert r.status_code == 422
    assert 'class="field has-error"' in r.text
    r = post_form(c, "/people/new", {"community": str(elsewhere["community"]), "name": "某人"})
    assert r.status_code == 422
    auth = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary')}"}
    r = client.post("/api/v1/units", json={"building": elsewhere["building"], "number": "X-2", "area_m2": "50",
                                           "area_source": "registered"}, headers=auth)
    assert r.status_code == 422 and "building" in r.json()["errors"]
    r = client.post("/api/v1/rooms", json={"station": elsewhere["station"], "name": "别处的房间"}, headers=auth)
    assert r.status_code == 422 and "station" in r.json()["errors"]
    assert await Unit.count().where(Unit.estate == elsewhere["estate"]) == units
    assert await Person.count().where(Person.community == elsewhere["community"]) == people


async def test_staff_of_the_other_station_see_only_theirs(app, elsewhere):
    """The same rules hold from the other side: a secretary of the new station cannot open the demo's rows."""
    from council.places.tables import Unit

    username = f"other_{elsewhere['tag']}"
    await services.create_user(SYSTEM, username=username, password="other-password-1", role="secretary",
                               station_ids=[elsewhere["station"]])
    demo_unit = await Unit.select(Unit.id).where(Unit.number == "3-1502").first()
    with TestClient(app=app) as c:
        login(c, username, "other-password-1")
        assert c.get(f"/units/{elsewhere['unit']}").status_code == 200
        assert c.get(f"/units/{demo_unit['id']}").status_code == 404
        r = c.get("/units")
        assert elsewhere["unit_number"] in r.text and "3-1502" not in r.text


# ---------------------------------------------------------------- ids in bodies and query strings
#
# Paths are not the only place an id travels: a write names the resident an opinion is from, the
# organisation a task goes to, the station a vote is held at. Every such id is checked by one
# helper (council/core/scope.py). The probes below find every API write whose body names a
# scoped row (from the OpenAPI document, so a new route is probed the moment it appears), send
# another station's row in each such field in turn — the rest of the body filled in plausibly,
# the path naming a real row of the demo station — and require the refusal to be about that
# field (422 naming it, or 404), and that no row anywhere came to point at the other station.

# body field -> the kind of row it names (core.scope.KINDS)
ID_FIELDS = {"person": "person", "reporter": "person", "voter_people": "person", "organisation": "organisation",
             "estate": "estate", "building": "building", "buildings": "building", "unit": "unit",
             "station": "station", "room": "room", "case": "case", "vote": "vote"}
# Plausible values for the other fields, by name, so a probe gets past ordinary validation.
FILL = {"title": "范围检查", "text": "范围检查", "what": "范围检查", "question": "范围检查?", "reason": "范围检查",
        "name": "范围检查", "topic": "范围检查", "description": "范围检查", "number": "Z-1", "stance": "for",
        "amount": "100", "rating": "satisfied", "minutes": 15, "options": ["同意", "不同意"],
        "rule_set": "art278_ordinary", "counting": "owners", "source": "applied", "role": "applicant",
        "day": "2027-03-03", "date": "2027-03-03", "week": "2027-03-01", "first_day": "2027-03-01",
        "last_day": "2027-03-05", "kind": "request", "category": "other", "channel": "hotline_12345",
        "area_m2": "50", "area_source": "registered", "action": "dispatch", "start": "09:00", "end": "10:00",
        "starts_at": "2027-03-03T09:00:00+08:00", "ends_at": "2027-03-03T10:00:00+08:00",
        "code": "scopecheck", "label": "范围检查", "limit_days": 3, "capacity": 5, "note": "范围检查",
        "move": "reschedule", "relation": "head", "out_member": 1, "in_member": 2, "ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "share": "1"}
# Per route, what the plausible body needs beyond FILL (the case, meeting … in the path decide).
BODY = {
    ("POST", "/api/v1/cases"): {"kind": "request"},
    ("POST", "/api/v1/votes"): {"matter": "art278_9", "rule_set": "art278_ordinary"},
    ("POST", "/api/v1/cases/{}/moves"): {"action": "dispatch"},
    ("POST", "/api/v1/mediation"): {"category": "neighbours", "source": "applied"},
    ("POST", "/api/v1/meetings"): {"kind": "coordination", "starts_at": None, "ends_at": None},
    ("POST", "/api/v1/mediation/{}/parties"): {"role": "applicant", "name": "范围检查"},
    ("POST", "/api/v1/station-holidays"): {"kind": "holiday"},
    ("POST", "/api/v1/reception/visits/{}/{}"): {"person": None, "outcome": "case", "case_kind": "request"},
}
# Probes that cannot reach the check from a generic body, and why; each is covered elsewhere.
NOT_PROBED_BODY = {
    ("POST", "/api/v1/votes/{}/ballots"): "the voter is a row of the vote's own electorate (tests/test_votes_http.py)",
    ("POST", "/api/v1/cases/{}/ratings"): "ratings are taken at the evaluate step only; the unit goes through "
                                          "the same ensure_in_scope as pledges, which are probed",
}


@pytest.fixture(scope="module")
async def demo_body_ids(sample_ids) -> dict[str, int]:
    """A valid row of the demo station for each kind a body names: the fields not under test."""
    from council.accounts.tables import User
    from council.cases.tables import Case
    from council.stations.tables import Room
    from council.votes.tables import Vote

    sec = await User.select(User.id).where(User.username == "secretary").first()
    station = sample_ids["stations"]
    room = await Room.select(Room.id).where(Room.station == station).first()
    case = await Case.select(Case.id).where(Case.station == station).first()
    vote = await Vote.select(Vote.id).where(Vote.station == station).first()
    return {"person": sample_ids["people"], "organisation": sample_ids["organisations"],
            "estate": sample_ids["estates"], "building": sample_ids["buildings"], "unit": sample_ids["units"],
            "station": station, "room": room["id"], "case": case["id"], "vote": vote["id"] if vote else None,
            "grid": sample_ids["grids"], "secretary": sec["id"]}


@pytest.fixture(scope="module")
async def demo_path_ids() -> dict[str, int]:
    """A real row of the demo station for each kind of path parameter."""
    from council.cases.tables import Case
    from council.mediation.tables import DisputeFile
    from council.meetings.tables import Meeting
    from council.reception.tables import Visit
    from council.votes.tables import Vote

    out = {}
    request = await Case.select(Case.id).where((Case.kind == "request") & (Case.state == "received")).first()
    proposal = await Case.select(Case.id).where(Case.kind == "proposal").order_by(Case.id).first()
    out["case_id"] = (proposal or request)["id"]
    out["request_id"] = request["id"] if request else out["case_id"]
    m = await Meeting.select(Meeting.id).where(Meeting.state.is_in(["draft", "scheduled"])
                                               & (Meeting.kind != "mediation_session")).order_by(Meeting.id).first()
    out["meeting_id"] = m["id"] if m else MISSING_ID
    v = await Vote.select(Vote.id).order_by(Vote.id).first()
    out["vote_id"] = v["id"] if v else MISSING_ID
    from council.mediation.tables import DisputeParty, MediationSession

    session = await MediationSession.select(MediationSession.id, MediationSession.dispute).order_by(
        MediationSession.id).first()
    d = await DisputeFile.select(DisputeFile.id).order_by(DisputeFile.id).first()
    out["dispute_id"] = session["dispute"] if session else (d["id"] if d else MISSING_ID)
    out["sub_id:sessions"] = session["id"] if session else MISSING_ID
    party = await DisputeParty.select(DisputeParty.id).where(DisputeParty.dispute == out["dispute_id"]).first()
    out["sub_id:parties"] = party["id"] if party else MISSING_ID
    out["action"] = "finish"
    visit = await Visit.select(Visit.id).order_by(Visit.id).first()
    out["visit_id"] = visit["id"] if visit else MISSING_ID
    return out


def _schema_props(spec: dict, schema: dict) -> dict:
    comps = spec["components"]["schemas"]
    if "$ref" in schema:
        schema = comps[schema["$ref"].rsplit("/", 1)[-1]]
    props = dict(schema.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key, []):
            props.update(_schema_props(spec, sub))
    return props


def body_id_routes(app) -> list[tuple[str, str, dict]]:
    """(method, path, properties) of every API write whose body names a scoped row."""
    spec = app.openapi_schema.to_schema()
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in ("post", "patch", "put") or not op.get("requestBody"):
                continue
            props = {}
            for content in op["requestBody"]["content"].values():
                props.update(_schema_props(spec, content["schema"]))
            if set(props) & set(ID_FIELDS):
                out.append((method.upper(), path, props))
    return out


def _fill_path(path: str, ids: dict[str, int], sample_ids: dict[str, int], method: str, body: dict) -> str | None:
    segments = path.split("/")
    out = []
    for i, seg in enumerate(segments):
        m = re.fullmatch(r"\{([^}:]+)(?::[^}]+)?\}", seg)
        if not m:
            out.append(seg)
            continue
        name = m.group(1)
        if name == "case_id" and body.get("action") == "dispatch":
            out.append(str(ids["request_id"]))
        elif name in ids:
            out.append(str(ids[name]))
        elif f"{name}:{segments[i - 1]}" in ids:
            out.append(str(ids[f"{name}:{segments[i - 1]}"]))
        elif name == "row_id" and segments[i - 1] in sample_ids:
            out.append(str(sample_ids[segments[i - 1]]))
        else:
            return None
    return "/".join(out)


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _plausible(props: dict, key: tuple[str, str], own: dict) -> dict:
    """A body that would pass but for the field under test: plain fields from FILL, every id
    field naming a row of the demo station."""
    body = {}
    for name, prop in props.items():
        if name in ID_FIELDS:
            value = own.get(ID_FIELDS[name])
            if value is not None:
                body[name] = [value] if prop.get("type") == "array" else value
        elif name in FILL:
            body[name] = FILL[name]
    if "grid" in props:
        body["grid"] = own["grid"]
    if "who" in props:
        body["who"] = f"user:{own['secretary']}"
    if "parties" in props:
        body["parties"] = [{"key": f"user:{own['secretary']}"}]
    body.update(BODY.get(key, {}))
    return {k: v for k, v in body.items() if v is not None}


async def _references_to(elsewhere: dict) -> int:
    """How many rows anywhere point at the other station's rows: any new one is a leak."""
    from piccolo.table import Table

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    targets = {"person": "person", "organisation": "organisation", "unit": "unit", "building": "building",
               "estate": "estate", "station": "station", "room": "room", "case_file": "case"}
    total = 0
    for t in {t for t in walk(Table) if t.__module__.startswith("council.")}:
        for col in t._meta.foreign_key_columns:
            kind = targets.get(col._foreign_key_meta.resolved_references._meta.tablename)
            if kind and elsewhere.get(kind):
                total += await t.count().where(col == elsewhere[kind])
    return total


async def test_ids_in_bodies_are_scoped_on_every_api_write(app, client, elsewhere, demo_path_ids, demo_body_ids,
                                                           sample_ids):
    auth = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary')}"}
    before = await _references_to(elsewhere)
    failures, reached, probed, seen = [], set(), set(), {}
    for method, path, props in body_id_routes(app):
        key = (method, _template(path))
        if key in NOT_PROBED_BODY:
            continue
        if "secretary" not in (expectation(path, method) or ()):
            continue  # the secretary may not use it at all (the role matrix above); admins see every station
        base = _plausible(props, key, demo_body_ids)
        url = _fill_path(path, demo_path_ids, sample_ids, method, base)
        if url is None:
            failures.append(f"{method} {path}: no demo row for its path; add one to demo_path_ids")
            continue
        if "version" in props:
            current = client.get(url, headers=auth)
            if current.status_code == 200 and isinstance(current.json(), dict) and "version" in current.json():
                base["version"] = current.json()["version"]
        for field in sorted(set(props) & set(ID_FIELDS)):
            kind = ID_FIELDS[field]
            foreign = elsewhere.get(kind)
            if foreign is None:
                continue
            value = [foreign] if props[field].get("type") == "array" or "items" in props[field] else foreign
            r = client.request(method, url, json={**base, field: value}, headers=auth)
            probed.add((key, field))
            seen[(key, field)] = f"{r.status_code} {r.text[160:600] if r.status_code == 400 else r.text[:160]}"
            errors = r.json().get("errors", {}) if r.headers.get("content-type", "").startswith("application/problem") else {}
            if r.status_code == 404 or (r.status_code == 422 and field in errors):
                reached.add((key, field))
            elif r.status_code < 300 or r.status_code >= 500:
                failures.append(f"{method} {url} {field}={foreign}: answered {r.status_code} {r.text[:200]}")
    assert await _references_to(elsewhere) == before, "a write came to point at another station's row"
    assert not failures, "\n".join(failures)
    missed = sorted(probed - reached)
    assert not missed, ("these probes were refused for another reason before their id was checked: give them a "
                        "plausible body in BODY / FILL:\n" + "\n".join(f"{m} {p} {f}: {seen[((m, p), f)]}" for (m, p), f in missed))


# Pages that take a row's id in their query string (the API's are read from the OpenAPI document).
PAGE_QUERIES = [("/votes/new", "station"), ("/cases/new", "station"), ("/cases", "station"), ("/cases", "estate"),
                ("/cases", "organisation"), ("/dashboard", "station"), ("/meetings/new", "station"),
                ("/meetings/busy", "station"), ("/reception", "station"), ("/reception/roster", "station"),
                ("/mediation/stats", "station"), ("/imports", "estate"), ("/audit", "station"),
                ("/units", "estate"), ("/estates", "community"), ("/people", "community")]


def query_id_routes(app) -> list[tuple[str, str]]:
    spec = app.openapi_schema.to_schema()
    out = []
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if op and "{" not in path:
            out += [(path, p["name"]) for p in op.get("parameters", []) if p["in"] == "query" and p["name"] in ID_FIELDS]
    return out


async def test_ids_in_query_strings_show_nothing_of_another_station(app, client, as_user, elsewhere):
    """Another station's id in a query string answers 404, or the page as if it had not been
    given; either way nothing of the other station shows (its rows' names carry the tag)."""
    auth = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary')}"}
    pages = as_user("secretary")
    failures = []
    probes = [(path, name, True) for path, name in query_id_routes(app)] + [(p, n, False) for p, n in PAGE_QUERIES]
    assert len(probes) > len(PAGE_QUERIES) + 5, "the API's query parameters were not found"
    for path, name, api in probes:
        foreign = elsewhere.get(ID_FIELDS.get(name, name))
        if foreign is None:
            continue
        r = (client.get(path, params={name: foreign}, headers=auth) if api
             else pages.get(path, params={name: foreign}, follow_redirects=False))
        if r.status_code >= 500 or r.status_code in (401, 403):
            failures.append(f"GET {path}?{name}={foreign}: {r.status_code}")
        elif elsewhere["tag"] in r.text:
            failures.append(f"GET {path}?{name}={foreign}: shows the other station's rows")
    assert not failures, "\n".join(failures)
    # The page the issue was found on answers exactly as for a station that does not exist.
    assert pages.get(f"/votes/new?station={elsewhere['station']}").status_code == 404
    assert pages.get(f"/votes/new?station={MISSING_ID}").status_code == 404


# Path parameter -> the kind of the other station's row it can name.
FOREIGN_PATH = {"case_id": "case", "meeting_id": "meeting", "station_id": "station", "job_id": "job"}
ROW_REGISTERS = {"units": "unit", "estates": "estate", "people": "person", "buildings": "building",
                 "communities": "community", "stations": "station", "rooms": "room", "organisations": "organisation",
                 "station-categories": "station_category", "station-holidays": "station_holiday"}


def test_another_stations_id_in_any_path_answers_as_a_missing_one(app, as_user, elsewhere, tokens):
    """No existence oracle, on every route: for each route whose path names a case, a meeting, a
    station or a register row, the other station's id gets exactly the answer a missing id gets
    (status, and the page or problem body but for digits) — never a 403 that says "it exists".
    Before OutOfScope every one of these answered 403 for the other station and 404 for a missing id."""
    pages = as_user("secretary")
    auth = {"Authorization": f"Bearer {tokens['secretary']}"}
    failures, probed = [], 0
    for method, path in app_routes(app):
        if method == "HEAD" or (method, template(path)) in NOT_PROBED_SIGNED_IN:
            continue
        segments = path.split("/")
        foreign_url, missing_url, named = [], [], False
        for i, seg in enumerate(segments):
            m = PARAM.fullmatch(seg)
            if not m:
                foreign_url.append(seg)
                missing_url.append(seg)
                continue
            name = m.group(1)
            kind = FOREIGN_PATH.get(name) or (ROW_REGISTERS.get(segments[i - 1]) if name == "row_id" else None)
            if kind and not named and elsewhere.get(kind):
                foreign_url.append(str(elsewhere[kind]))
                missing_url.append(str(MISSING_ID))
                named = True
            else:
                filler = "phone" if name == "field_name" else ("x" if ":int" not in seg else str(MISSING_ID))
                foreign_url.append(filler)
                missing_url.append(filler)
        if not named:
            continue
        probed += 1
        api = path.startswith("/api/")
        client = pages
        a = call(client, method, "/".join(foreign_url), api=api, headers=auth if api else None,
                 csrf=pages.cookies.get("csrftoken"))
        b = call(client, method, "/".join(missing_url), api=api, headers=auth if api else None,
                 csrf=pages.cookies.get("csrftoken"))
        # A 403 that a missing id gets as well is the role's refusal, which says nothing of the row.
        if a.status_code != b.status_code or (
                a.status_code == 404 and same_answer(a.text) != same_answer(b.text)):
            failures.append(f"{method} {'/'.join(foreign_url)}: {a.status_code}, a missing id: {b.status_code}")
        elif elsewhere["tag"] in a.text:
            failures.append(f"{method} {'/'.join(foreign_url)}: shows the other station's row")
    assert probed > 60, probed
    assert not failures, "\n".join(failures)
