"""Personal data does not leak through search, exports or PDFs (issue 14, "Personal data").

- Every search takes the user's text literally (`%`, `_`, `\\` are not wildcards), on both engines:
  checked through every list route of the API and every register.
- A phone is found by its last four digits, or by the whole number, which is a reveal (roles that
  may reveal only, audited); never by a fragment.
- Every CSV/XLSX export goes through one writer (council.core.tabular); no other module writes
  those formats; every export route neutralises formulas and masks numbers in free text.
- Every PDF passes each printed value through privacy.mask_free_text (the renderer's finalize).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from council import db
from council.accounts import services
from council.accounts.principal import SYSTEM, Principal
from council.audit.tables import AuditEntry
from council.core import registry, tabular
from council.core.registry import REGISTERS
from council.people.tables import Person
from council.privacy import Unmasked, mask_free_text, phone_query
from tests.test_matrix import app_routes

ROOT = Path(__file__).resolve().parent.parent


def admin() -> Principal:
    return Principal(user_id=None, username="admin", display_name="", role="admin")


# ---------------------------------------------------------------- literal search

@pytest.fixture(scope="module")
async def odd_names():
    """Two residents whose names hold the LIKE metacharacters, and one that does not."""
    community = (await Person.select(Person.community).first())["community"]
    ids = []
    for name in ("百分%号", "下划_线", "反斜\\杠", "百分号"):
        rows = await Person.insert(Person(community=community, name=name, phone=""))
        ids.append(rows[0]["id"])
    yield ids
    await Person.delete().where(Person.id.is_in(ids))


@pytest.mark.parametrize("term,expected", [("%", {"百分%号"}), ("_", {"下划_线"}), ("\\", {"反斜\\杠"}),
                                           ("百分%", {"百分%号"}), ("分_", set()), ("%号", {"百分%号"})])
async def test_register_search_is_literal(app, odd_names, term, expected):
    rows, _total = await registry.list_rows(admin(), REGISTERS["people"], q=term, per_page=500)
    assert {r["name"] for r in rows} & {"百分%号", "下划_线", "反斜\\杠", "百分号"} == expected


async def test_db_helpers_are_literal(odd_names):
    async def names(clause) -> set[str]:
        return {r["name"] for r in await Person.select(Person.name).where(clause & Person.id.is_in(odd_names))}

    assert await names(db.contains(Person.name, "%")) == {"百分%号"}
    assert await names(db.starts_with(Person.name, "百分%")) == {"百分%号"}
    assert await names(db.ends_with(Person.name, "_线")) == {"下划_线"}
    assert await names(db.contains(Person.name, "_")) == {"下划_线"}
    assert await names(db.contains(Person.name, "ab%")) == set()


def test_no_like_is_built_from_user_text_outside_db():
    """Every LIKE goes through council.db's escaping helpers (a raw .like/.ilike would take a `%`
    typed by a user as a wildcard). Fixed patterns in demo data are fine."""
    offenders = []
    for path in (ROOT / "council").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ("council/db.py",) or rel.endswith("demo.py") or "/migrations/" in rel:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.(i?like)\(", line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def api_list_routes(app) -> list[str]:
    return sorted({p for m, p in app_routes(app) if m == "GET" and p.startswith("/api/v1/") and "{" not in p
                   and "schema" not in p and not p.endswith(("export", "feed"))})


def normalise(body):
    if isinstance(body, dict):
        return {k: normalise(v) for k, v in body.items() if k not in ("q", "query")}
    if isinstance(body, list):
        return [normalise(v) for v in body]
    return body


@pytest.fixture(scope="module")
async def admin_bearer():
    return {"Authorization": "Bearer " + await services.create_token(SYSTEM, "admin", "literal search")}


def test_every_api_list_route_treats_wildcards_literally(app, client, admin_bearer):
    failures = []
    checked = 0
    for path in api_list_routes(app):
        nothing = client.get(path, params={"q": "无此词zq9"}, headers=admin_bearer)
        if nothing.status_code != 200 or not nothing.headers.get("content-type", "").startswith("application/json"):
            continue
        checked += 1
        # None of these is in the demo data as text; as patterns each would match every row.
        for term in ("%%", "%_", "_%_", "\\%"):
            r = client.get(path, params={"q": term}, headers=admin_bearer)
            if r.status_code >= 500:
                failures.append(f"{path}?q={term}: {r.status_code}")
            elif r.status_code == 200 and normalise(r.json()) != normalise(nothing.json()):
                failures.append(f"{path}?q={term} lists what a non-matching word does not: {r.text[:200]}")
    assert checked >= 5, checked
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- phone search

def test_phone_query_rules():
    assert phone_query("1234") == ("last4", "1234")
    assert phone_query("13812345678") == ("whole", "13812345678")
    assert phone_query("010-12345678") == ("whole", "010-12345678")
    for fragment in ("138", "13812", "1381234", "12345", "", "abc1", "1"):
        assert phone_query(fragment) in (None, ("whole", fragment)) and (
            phone_query(fragment) is None or len(fragment) >= 7)
    assert phone_query("138") is None and phone_query("12345") is None


@pytest.fixture(scope="module")
async def one_resident():
    row = await Person.select(Person.id, Person.name, Person.phone, Person.community).where(
        Person.phone != "").order_by(Person.id).first()
    return row


def principal_of(role: str, **kw) -> Principal:
    return Principal(user_id=None, username=role, display_name="", role=role, **kw)


async def test_phone_fragment_finds_nobody_last_four_and_whole_number_do(app, one_resident):
    reg = REGISTERS["people"]
    phone = one_resident["phone"]
    rows, _ = await registry.list_rows(admin(), reg, q=phone[:5], per_page=500)
    assert one_resident["id"] not in {r["id"] for r in rows}
    rows, _ = await registry.list_rows(admin(), reg, q=phone[-4:], per_page=500)
    assert one_resident["id"] in {r["id"] for r in rows}
    before = await AuditEntry.count().where(AuditEntry.action == "pii.search")
    rows, _ = await registry.list_rows(admin(), reg, q=phone, per_page=500)
    assert one_resident["id"] in {r["id"] for r in rows}
    entry = await AuditEntry.select().where(AuditEntry.action == "pii.search").order_by(AuditEntry.id,
                                                                                        ascending=False).first()
    assert await AuditEntry.count().where(AuditEntry.action == "pii.search") == before + 1
    assert phone not in str(entry["after"])  # the audit says a search happened, not the number


async def test_whole_number_search_is_a_reveal_only_for_roles_that_may(as_user, one_resident):
    phone = one_resident["phone"]
    before = await AuditEntry.count().where(AuditEntry.action == "pii.search")
    grid = as_user("gridworker")
    r = grid.get("/people", params={"q": phone})
    assert r.status_code == 200
    assert f"/people/{one_resident['id']}\"" not in r.text
    assert await AuditEntry.count().where(AuditEntry.action == "pii.search") == before
    secretary = as_user("secretary")
    r = secretary.get("/people", params={"q": phone})
    assert f"/people/{one_resident['id']}" in r.text
    assert await AuditEntry.count().where(AuditEntry.action == "pii.search") == before + 1
    # The reception desk's search follows the same rule.
    r = grid.get("/people", params={"q": phone[:6]})
    assert f"/people/{one_resident['id']}\"" not in r.text


# ---------------------------------------------------------------- exports

def test_only_the_one_writer_writes_csv_or_xlsx():
    offenders = []
    for path in (ROOT / "council").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "council/core/tabular.py":
            continue
        text = path.read_text()
        for pattern in (r"csv\.writer\(", r"csv\.DictWriter\(", r"Workbook\("):
            if re.search(pattern, text):
                offenders.append(f"{rel}: {pattern}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("value", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_writer_neutralises_formulas(value):
    import openpyxl

    csv_text = tabular.write_csv([[value]]).decode("utf-8-sig")
    assert csv_text.startswith("'") or csv_text.startswith("\"'")
    cell = openpyxl.load_workbook(io.BytesIO(tabular.write_xlsx([[value]]))).active["A1"]
    assert cell.data_type == "s" and cell.value.strip() == value.strip()  # (XML reads CR back as LF)


def test_writer_masks_numbers_in_free_text_unless_marked():
    out = tabular.write_csv([["联系 13812345678 身份证 110101199003071234", Unmasked("13812345678")]]).decode("utf-8-sig")
    assert "13812345678 " not in out and "110101199003071234" not in out and "138****5678" in out
    assert out.rstrip().endswith("13812345678")


EVIL = "=HYPERLINK(\"http://evil\") 电话13812345678"


@pytest.fixture(scope="module")
async def evil_case():
    from council.cases.tables import Case

    row = await Case.select(Case.id, Case.title).order_by(Case.id).first()
    await Case.update({Case.title: EVIL}).where(Case.id == row["id"])
    yield row["id"]
    await Case.update({Case.title: row["title"]}).where(Case.id == row["id"])


def export_routes(app) -> list[str]:
    return sorted({p for m, p in app_routes(app) if m == "GET" and re.search(r"export(\.(csv|xlsx))?$", p)})


def cells_of(content: bytes, ctype: str) -> list[str]:
    if "sheet" in ctype:
        import openpyxl

        ws = openpyxl.load_workbook(io.BytesIO(content)).active
        return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    import csv

    return [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]


def test_every_export_route_neutralises_formulas_and_masks(app, as_user, admin_bearer, evil_case):
    routes = export_routes(app)
    assert len(routes) >= 5, routes
    secretary = as_user("secretary")
    seen = 0
    for path in routes:
        url = path.replace("{row_id:int}", str(estate_id_cache.get("id", 1)))
        headers = admin_bearer if url.startswith("/api/") else {}
        client = secretary
        params = {"format": "xlsx"} if "format" in url else {}
        if url == "/dashboard/export.xlsx":  # one of the dashboard's tables, of the demo station
            from council.cases.street import TABLES

            params = {"table": next(iter(TABLES)), "station": str(station_id_cache["id"])}
        r = client.get(url, headers=headers, params=params)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
        cells = cells_of(r.content, r.headers.get("content-type", ""))
        for cell in cells:
            assert not cell.startswith(("=", "+", "@")) or "sheet" in r.headers.get("content-type", ""), (url, cell)
            assert "13812345678" not in cell, (url, cell)
        if any("HYPERLINK" in c for c in cells):
            seen += 1
    assert seen >= 1


estate_id_cache: dict = {}
station_id_cache: dict = {}


@pytest.fixture(autouse=True, scope="module")
async def _estate_id():
    from council.places.tables import Estate

    estate_id_cache["id"] = (await Estate.select(Estate.id).order_by(Estate.id).first())["id"]
    from council.stations.tables import Station

    station_id_cache["id"] = (await Station.select(Station.id).where(Station.case_prefix == "ZXL").first())["id"]


# ---------------------------------------------------------------- PDFs

def test_mask_free_text():
    assert mask_free_text("电话13812345678，身份证110101199003071234，座机010-12345678") == \
        "电话138****5678，身份证110***********1234，座机010*****5678"
    assert mask_free_text(Unmasked("13812345678")) == "13812345678"
    assert mask_free_text(None) is None and mask_free_text(5) == 5


def test_every_pdf_value_passes_the_masking_function():
    """The PDF environment's finalize masks every printed value, whatever the template."""
    from council.pdf import renderer

    env = renderer._jinja("zh_CN")
    assert env.finalize is mask_free_text
    out = env.from_string("{{ a }}|{{ b }}").render(a="致电13812345678", b=Unmasked("110101199003071234"))
    assert out == "致电138****5678|110101199003071234"


def test_no_other_pdf_environment():
    """PDFs are rendered only through council.pdf.renderer (else the masking could be bypassed)."""
    offenders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "council").rglob("*.py")
                 if "HTML(string=" in p.read_text() and p.name != "renderer.py"]
    assert not offenders
