"""Importing an estate's register from CSV/XLSX (preview, all-or-nothing commit) and exporting it back."""

from __future__ import annotations

import csv
import io
import random
import re
import secrets
from pathlib import Path

import openpyxl
import pytest

from council.accounts import services
from council.accounts.principal import SYSTEM
from council.accounts.tables import User
from council.audit.tables import AuditEntry
from council.core.errors import Forbidden, NotFound
from council.core.validators import ID_CHECK, ID_WEIGHTS
from council.people.tables import Ownership, Person
from council.places import import_service as service
from council.places import register_file as rf
from council.places.tables import Building, Community, Estate, Street, Unit
from council.stations.tables import Station, StationEstate
from tests.support import csrf_token, login, post_form

SAMPLE = Path(__file__).parent / "data" / "register_sample.csv"
HEADERS_ZH = ["楼栋", "房号", "建筑面积", "面积来源", "开发商未售", "业主姓名", "联系电话", "身份证号", "共有人", "代表"]
HEADERS_EN = ["building", "unit", "area_m2", "area_source", "developer_unsold", "owner_name", "phone", "id_number",
              "co_owners", "representative"]
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- helpers

def id_number(prefix17: str) -> str:
    total = sum(int(d) * w for d, w in zip(prefix17, ID_WEIGHTS))
    return prefix17 + ID_CHECK[total % 11]


def phone() -> str:
    """A mobile number no other test uses, so owners are not matched across tests by accident."""
    return "13" + "".join(random.choice("0123456789") for _ in range(9))


def csv_bytes(rows: list[list], headers=HEADERS_ZH, encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], headers=HEADERS_ZH) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows() -> list[list]:
    """Two buildings, five units; the owner of 1-101 also owns 1-102; 2-101 has two co-owners."""
    owner = phone()
    return [
        ["1栋", "1-101", "89.47", "登记", "否", "王建国", owner, id_number("32011119800101001"), f"李秀兰:{phone()}", ""],
        ["1栋", "1-102", "96.12", "实测", "否", "王建国", owner, "", "", ""],
        ["1栋", "1-201", "118.36", "", "", "赵敏", "025-8" + phone()[-7:], "", "", ""],
        ["2栋", "2-101", "128.73", "合同", "否", "陈立", phone(), "", f"孙红;周强:{phone()}", "孙红"],
        ["2栋", "2-102", "75.50", "登记", "是", "", "", "", "", ""],
    ]


def parse(content: bytes, filename="register.csv", existing=(), mode="create") -> rf.Report:
    return rf.validate(rf.read_register(filename, content), existing, mode)


def errors_of(report: rf.Report) -> list[tuple[int, str, str]]:
    return [(i.line, i.column, i.message) for i in report.errors]


async def demo_community() -> int:
    return (await Community.select(Community.id).where(Community.name == "振兴路社区").first())["id"]


async def new_estate(community: int | None = None) -> int:
    """A fresh estate, so no test touches the demo estates' units."""
    community = community or await demo_community()
    rows = await Estate.insert(Estate(community=community, name=f"测试小区-{secrets.token_hex(4)}"))
    return rows[0]["id"]


async def other_station_estate() -> int:
    """An estate of another street, community and station, which the demo users do not serve."""
    street = (await Street.insert(Street(name=f"别的街道-{secrets.token_hex(3)}")))[0]["id"]
    community = (await Community.insert(Community(street=street, name="别的社区")))[0]["id"]
    station = (await Station.insert(Station(community=community, name="别的驿站",
                                            case_prefix=f"T{secrets.token_hex(3).upper()}")))[0]["id"]
    estate = await new_estate(community)
    await StationEstate.insert(StationEstate(station=station, estate=estate))
    return estate


async def principal(username: str):
    user = await User.select().where(User.username == username).first()
    return await services.principal_for_user(user, via="session")


async def counts(estate_id: int) -> dict[str, int]:
    community = (await Estate.select(Estate.community).where(Estate.id == estate_id).first())["community"]
    return {
        "buildings": await Building.count().where(Building.estate == estate_id),
        "units": await Unit.count().where(Unit.estate == estate_id),
        "ownerships": await Ownership.count().where(Ownership.unit.estate == estate_id),
        "people": await Person.count().where(Person.community == community),
        "imports": await AuditEntry.count().where((AuditEntry.action == "register.import")
                                                  & (AuditEntry.entity_id == estate_id)),
    }


async def owners_by_unit(estate_id: int) -> dict[str, list[dict]]:
    rows = await Ownership.select(
        Ownership.unit.number.as_alias("unit"), Ownership.person, Ownership.is_representative,
        Ownership.person.name.as_alias("name"), Ownership.person.phone.as_alias("phone"),
    ).where(Ownership.unit.estate == estate_id).order_by(Ownership.id)
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["unit"], []).append(r)
    return out


def upload(client, estate_id: int, content: bytes, filename="register.csv", mode="create", media="text/csv"):
    return client.post("/imports/preview", data={"estate": str(estate_id), "mode": mode, "_csrf_token": csrf_token(client)},
                       files={"file": (filename, content, media)}, follow_redirects=False)


def commit_token(html: str) -> str:
    m = re.search(r'name="token" value="([^"]+)"', html)
    assert m, html[-3000:]
    return m.group(1)


def switch_user(client, username: str):
    """One client per test: two TestClients on one app at once hang at teardown."""
    assert post_form(client, "/logout", {}).status_code in (302, 303)
    return login(client, username)


async def bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await services.create_token(SYSTEM, username, name='imports test')}"}


# ---------------------------------------------------------------- reading files

def test_chinese_and_english_headings_mean_the_same_columns():
    rows = good_rows()
    zh = parse(csv_bytes(rows))
    en = parse(csv_bytes(rows, headers=HEADERS_EN))
    variants = parse(csv_bytes(rows, headers=["栋号", "单元号", "专有部分面积（㎡）", "面积来源", "开发商未售", "业主",
                                              "手机号", "身份证号码", "共有人", "代表人"]))
    for report in (zh, en, variants):
        assert report.ok, errors_of(report)
        assert [(r.building, r.unit, str(r.area_m2)) for r in report.rows] == [
            ("1栋", "1-101", "89.47"), ("1栋", "1-102", "96.12"), ("1栋", "1-201", "118.36"),
            ("2栋", "2-101", "128.73"), ("2栋", "2-102", "75.50"),
        ]
    assert [r.area_source for r in zh.rows] == ["registered", "surveyed", "registered", "contract", "registered"]
    assert [r.developer_unsold for r in zh.rows] == [False, False, False, False, True]


def test_owners_co_owners_and_one_representative_per_unit():
    report = parse(csv_bytes(good_rows()))
    by_unit = {r.unit: r.owners for r in report.rows}
    assert [o.name for o in by_unit["1-101"]] == ["王建国", "李秀兰"]
    assert [o.name for o in by_unit["2-101"]] == ["陈立", "孙红", "周强"]
    assert by_unit["2-101"][2].phone.startswith("13") and by_unit["2-101"][1].phone == ""
    assert by_unit["2-102"] == []
    for unit, owners in by_unit.items():
        if owners:
            assert sum(o.is_representative for o in owners) == 1, unit
    assert [o.name for o in by_unit["2-101"] if o.is_representative] == ["孙红"]
    assert [o.name for o in by_unit["1-101"] if o.is_representative] == ["王建国"]


def test_sample_file_reads_cleanly():
    report = parse(SAMPLE.read_bytes(), "register_sample.csv")
    assert report.ok, errors_of(report)
    assert report.summary() == {"rows": 5, "units_new": 5, "units_updated": 0, "buildings_new": 2,
                                "owner_entries": 7, "errors": 0, "warnings": 0}


def test_utf8_bom_and_gbk_files_read_the_same():
    rows = good_rows()
    plain = parse(csv_bytes(rows))
    with_bom = parse(b"\xef\xbb\xbf" + csv_bytes(rows))
    gbk = parse(csv_bytes(rows, encoding="gbk"))
    expected = [(r.building, r.unit, [o.name for o in r.owners]) for r in plain.rows]
    assert [(r.building, r.unit, [o.name for o in r.owners]) for r in with_bom.rows] == expected
    assert [(r.building, r.unit, [o.name for o in r.owners]) for r in gbk.rows] == expected
    assert with_bom.ok and gbk.ok


def test_xlsx_with_numbers_as_cells_and_spreadsheet_line_numbers():
    rows = good_rows()
    rows[0][2] = 89.47  # a number cell, not text
    rows[1][6] = int(rows[1][6])  # Excel turned the phone into a number
    rows[2][2] = 118
    content = xlsx_bytes(rows[:3] + [[None] * 10] + rows[3:] + [["3栋", "3-101", "abc"]])
    report = parse(content, "register.xlsx")
    assert [r.line for r in report.rows] == [2, 3, 4, 6, 7, 8]  # row 5 is blank and skipped
    assert str(report.rows[0].area_m2) == "89.47" and str(report.rows[2].area_m2) == "118"
    assert report.rows[1].owners[0].phone == rows[1][6].__str__()
    assert errors_of(report) == [(8, "area_m2", "Enter a number.")]


def test_csv_line_numbers_count_blank_lines_and_multiline_cells():
    content = ("楼栋,房号,面积,业主姓名\r\n"
               "1栋,1-101,80,张三\r\n"
               "\r\n"
               '1栋,1-102,80,"李\r\n四"\r\n'
               "1栋,1-103,-1,王五\r\n").encode("utf-8")
    report = parse(content)
    assert [r.line for r in report.rows] == [2, 4, 6]
    assert errors_of(report) == [(6, "area_m2", "The floor area must be greater than 0.")]


@pytest.mark.parametrize("filename, content, message", [
    ("register.txt", b"building,unit,area\n1,1-1,80\n", "Upload a .csv or .xlsx file."),
    ("register.csv", b"", "The file is empty."),
    ("register.csv", xlsx_bytes([["1栋", "1-101", 80]]), "This is not a CSV text file."),
    ("register.xlsx", b"building,unit,area_m2\n1,1-1,80\n", "This is not an .xlsx workbook."),
    ("register.xlsx", b"PK\x03\x04 not really a zip", "This is not an .xlsx workbook."),
    ("register.csv", "楼栋,房号\n1栋,1-101\n".encode(), "Required columns are missing"),
    ("register.csv", "楼栋,房号,面积,建筑面积\n1栋,1-101,80,80\n".encode(), "Several columns mean the same thing"),
    ("register.csv", "楼栋,房号,面积\n".encode(), "The file has headings but no rows."),
])
def test_unusable_files_are_refused_as_a_whole(filename, content, message):
    with pytest.raises(rf.RegisterFileError) as e:
        rf.read_register(filename, content)
    assert e.value.message.startswith(message)


def test_an_unknown_column_is_named_in_the_error():
    content = "楼栋,房号,面积,宠物\n1栋,1-101,80,猫\n".encode()
    with pytest.raises(rf.RegisterFileError) as e:
        rf.read_register("register.csv", content)
    assert e.value.message.startswith("Unknown columns")
    assert e.value.params["columns"] == "宠物" and e.value.params["line"] == 1


def test_a_cell_beyond_the_headings_is_an_error_of_its_row():
    report = parse("楼栋,房号,面积\n1栋,1-101,80\n1栋,1-102,80,多余\n".encode())
    assert errors_of(report) == [(3, "", "This row has values in columns without a heading.")]


@pytest.mark.parametrize("column, value, message", [
    (2, "八十", "Enter a number."),
    (2, "0", "The floor area must be greater than 0."),
    (2, "-12.5", "The floor area must be greater than 0."),
    (2, "80.123", "Too many decimal places."),
    (2, "", "This column is required."),
    (1, "", "This column is required."),
    (3, "估算", "The area source is 登记 (registered), 实测 (surveyed) or 合同 (contract)."),
    (4, "也许", "Write 是 or 否 (yes or no)."),
    (6, "1380000111", "Enter an 11-digit mobile number or a landline with area code."),
    (6, "phone", "Enter an 11-digit mobile number or a landline with area code."),
    (7, "320111198001010013", "This ID number's check digit is wrong."),
    (7, "32011119800101", "An ID number has 18 characters: 17 digits and a check digit or X."),
    (9, "赵六", "The representative must be the owner or one of the co-owners."),
    (8, "王建国", "%(name)s is listed twice for this unit."),
])
def test_each_bad_value_is_an_error_on_its_line_and_column(column, value, message):
    rows = good_rows()
    rows[2][column] = value
    rows[2][5] = "王建国" if column == 8 else rows[2][5]
    report = parse(csv_bytes(rows))
    assert [(line, msg) for line, _, msg in errors_of(report)] == [(4, message)]
    assert report.errors[0].column == HEADERS_EN[column]
    assert not report.ok


def test_duplicate_unit_in_the_file_points_at_the_first_line():
    rows = good_rows()
    rows[3][1] = "1-101"
    report = parse(csv_bytes(rows))
    assert errors_of(report) == [(5, "unit", "Unit %(unit)s is also on line %(line)s.")]
    assert report.errors[0].params == {"unit": "1-101", "line": 2}


def test_units_already_in_the_estate_are_errors_unless_updating():
    content = csv_bytes(good_rows())
    report = parse(content, existing={"1-102", "9-999"})
    assert errors_of(report) == [(3, "unit", "Unit %(unit)s already exists in this estate.")]
    update = parse(content, existing={"1-102"}, mode="update")
    assert update.ok and [r.action for r in update.rows] == ["create", "update", "create", "create", "create"]


def test_masked_numbers_from_an_export_are_warnings_and_not_imported():
    rows = good_rows()
    rows[0][6], rows[0][7], rows[0][8] = "138****1111", "320***********0012", "李秀兰:139****2222"
    report = parse(csv_bytes(rows))
    assert report.ok
    owners = report.rows[0].owners
    assert (owners[0].phone, owners[0].id_number, owners[1].phone) == ("", "", "")
    assert sorted(w.column for w in report.warnings) == ["co_owners", "id_number", "phone"]


def test_export_writes_the_import_columns_and_reads_back():
    # A full export (allowed, audited) marks its numbers Unmasked; anything else is masked by the writer.
    from council.privacy import Unmasked

    records = [{"building": "1栋", "unit": "1-101", "area_m2": rf.Decimal("89.50"), "area_source": "surveyed",
                "developer_unsold": False, "owner_name": "王建国", "phone": Unmasked("13800001111"), "id_number": "",
                "co_owners": Unmasked(rf.co_owners_cell([("李秀兰", "13900002222"), ("周强", "")])),
                "representative": "王建国"}]
    for name, content in (("x.csv", rf.write_csv(records)), ("x.xlsx", rf.write_xlsx(records, "中南:悦园"))):
        report = parse(content, name)
        assert report.ok, errors_of(report)
        row = report.rows[0]
        assert (row.unit, row.area_m2, row.area_source) == ("1-101", rf.Decimal("89.5"), "surveyed")
        assert [(o.name, o.phone, o.is_representative) for o in row.owners] == [
            ("王建国", "13800001111", True), ("李秀兰", "13900002222", False), ("周强", "", False)]


# ---------------------------------------------------------------- the service

async def test_preview_writes_nothing():
    estate = await new_estate()
    secretary = await principal("secretary")
    before = await counts(estate)
    outcome = await service.preview(secretary, estate, rf.read_register("r.csv", csv_bytes(good_rows())))
    assert outcome.report.ok and outcome.summary["units_new"] == 5 and outcome.summary["buildings_new"] == 2
    assert await counts(estate) == before


async def test_one_bad_row_among_good_ones_writes_nothing():
    estate = await new_estate()
    secretary = await principal("secretary")
    rows = good_rows()
    rows[3][6] = "12345"
    before = await counts(estate)
    with pytest.raises(service.RegisterRejected) as e:
        await service.commit(secretary, estate, rf.read_register("r.csv", csv_bytes(rows)))
    assert [(i.line, i.column) for i in e.value.report.errors] == [(5, "phone")]
    assert await counts(estate) == before


async def test_a_good_file_creates_buildings_units_owners_and_ownerships():
    estate = await new_estate()
    secretary = await principal("secretary")
    before = await counts(estate)
    outcome = await service.commit(secretary, estate, rf.read_register("r.csv", csv_bytes(good_rows())), ip="127.0.0.1")
    after = await counts(estate)
    assert after["buildings"] == 2 and after["units"] == 5 and after["ownerships"] == 7
    assert after["people"] - before["people"] == 6  # 王建国 owns two units and is one person
    assert after["imports"] == 1
    units = {u["number"]: u for u in await Unit.select().where(Unit.estate == estate)}
    assert str(units["1-201"]["area_m2"]) == "118.36" and units["2-102"]["developer_unsold"] is True
    assert units["1-102"]["area_source"] == "surveyed"
    owners = await owners_by_unit(estate)
    assert set(owners) == {"1-101", "1-102", "1-201", "2-101"}
    for unit, listed in owners.items():
        assert sum(o["is_representative"] for o in listed) == 1, unit
    assert owners["1-101"][0]["person"] == owners["1-102"][0]["person"]
    assert [o["name"] for o in owners["2-101"] if o["is_representative"]] == ["孙红"]
    entry = await AuditEntry.select().where((AuditEntry.action == "register.import")
                                            & (AuditEntry.entity_id == estate)).output(load_json=True).first()
    assert entry["actor"] == secretary.user_id and entry["entity_type"] == "estate"
    assert entry["after"]["units_created"] == 5 and entry["after"]["people_created"] == 6
    assert entry["after"]["ownerships_created"] == 7 and entry["station"] in secretary.station_ids
    assert outcome.summary["buildings_created"] == 2


async def test_an_owner_of_units_in_two_estates_stays_one_person():
    secretary = await principal("secretary")
    first, second = await new_estate(), await new_estate()
    owner = phone()
    await service.commit(secretary, first, rf.read_register("a.csv", csv_bytes([["1栋", "1-101", "80", "", "", "钱多多", owner]])))
    outcome = await service.commit(secretary, second, rf.read_register(
        "b.csv", csv_bytes([["5栋", "5-101", "90", "", "", "钱多多", owner], ["5栋", "5-102", "90", "", "", "钱多多", ""]])))
    assert outcome.summary["people_matched"] == 1 and outcome.summary["people_created"] == 1
    a, b = await owners_by_unit(first), await owners_by_unit(second)
    assert a["1-101"][0]["person"] == b["5-101"][0]["person"]
    # Without a phone or ID number a name alone does not identify an owner.
    assert b["5-102"][0]["person"] != b["5-101"][0]["person"]


async def test_update_mode_replaces_area_and_owners_of_existing_units():
    secretary = await principal("secretary")
    estate = await new_estate()
    await service.commit(secretary, estate, rf.read_register("a.csv", csv_bytes(good_rows())))
    again = csv_bytes([["1栋", "1-101", "90.00", "实测", "否", "新业主", phone()], ["3栋", "3-101", "60", "", "", "", ""]])
    with pytest.raises(service.RegisterRejected):
        await service.commit(secretary, estate, rf.read_register("b.csv", again))
    outcome = await service.commit(secretary, estate, rf.read_register("b.csv", again), mode="update")
    assert (outcome.summary["units_updated"], outcome.summary["units_created"]) == (1, 1)
    unit = await Unit.select().where((Unit.estate == estate) & (Unit.number == "1-101")).first()
    assert unit["area_m2"] == rf.Decimal("90") and unit["area_source"] == "surveyed" and unit["version"] == 2
    owners = await owners_by_unit(estate)
    assert [(o["name"], o["is_representative"]) for o in owners["1-101"]] == [("新业主", True)]
    entry = await AuditEntry.select().where((AuditEntry.action == "register.import") & (AuditEntry.entity_id == estate)
                                            ).order_by(AuditEntry.id, ascending=False).output(load_json=True).first()
    assert entry["before"]["units"][0]["unit"] == "1-101" and entry["before"]["units"][0]["area_m2"] == "89.47"
    assert len(entry["before"]["units"][0]["owners"]) == 2


async def test_only_secretaries_and_admins_of_the_estate_may_import():
    estate = await new_estate()
    sheet = rf.read_register("a.csv", csv_bytes(good_rows()))
    for username in ("gridworker", "mediator", "liaison"):
        with pytest.raises(Forbidden):
            await service.preview(await principal(username), estate, sheet)
    foreign = await other_station_estate()
    with pytest.raises(NotFound):  # another station's estate: as if it did not exist
        await service.commit(await principal("secretary"), foreign, sheet)
    assert (await counts(foreign))["units"] == 0
    await service.commit(await principal("admin"), foreign, sheet)  # an admin serves every station
    assert (await counts(foreign))["units"] == 5


# ---------------------------------------------------------------- pages and API

async def test_secretary_uploads_previews_and_commits(as_user):
    estate = await new_estate()
    c = as_user("secretary")
    page = c.get(f"/imports?estate={estate}")
    assert page.status_code == 200 and f'value="{estate}" selected' in page.text
    r = upload(c, estate, SAMPLE.read_bytes(), "register_sample.csv")
    assert r.status_code == 200, r.text[-2000:]
    assert "1-101" in r.text and "138****1111" in r.text and "13800001111" not in r.text
    assert (await counts(estate))["units"] == 0  # the preview saved nothing
    token = commit_token(r.text)
    from council import storage

    async def kept_files() -> list[str]:
        if storage.in_database():  # PostgreSQL: kept in the shared database, for any app node
            rows = await storage.StoredBlob.select(storage.StoredBlob.key).where(
                storage.StoredBlob.key.is_in([f"imports/{token}", f"importnotes/{token}"]))
            return sorted(r["key"].split("/")[0] for r in rows)
        return sorted(p.suffix for p in (Path(c.app.state.settings.upload_dir) / "imports").glob(f"{token}.*"))

    assert await kept_files() == (["importnotes", "imports"] if storage.in_database() else [".csv", ".json"])
    # Another user who may import cannot commit someone else's upload.
    switch_user(c, "admin")
    assert post_form(c, "/imports/commit", {"token": token, "estate": str(estate)}).status_code == 403
    switch_user(c, "secretary")
    r = post_form(c, "/imports/commit", {"token": token, "estate": str(estate), "mode": "create"})
    assert r.status_code == 200, r.text[-2000:]
    assert (await counts(estate))["units"] == 5 and (await counts(estate))["ownerships"] == 7
    assert await kept_files() == []
    # The token is spent: committing twice imports nothing more.
    assert post_form(c, "/imports/commit", {"token": token, "estate": str(estate)}).status_code == 404
    assert post_form(c, "/imports/commit", {"token": "../../secret_key", "estate": str(estate)}).status_code == 404
    assert (await counts(estate))["units"] == 5


async def test_a_file_with_errors_shows_them_by_line_and_offers_no_commit(as_user):
    estate = await new_estate()
    rows = good_rows()
    rows[1][2] = "0"
    rows[3][1] = "1-101"
    c = as_user("secretary")
    r = upload(c, estate, csv_bytes(rows))
    assert r.status_code == 422
    assert 'name="token"' not in r.text
    assert "第 3 行" in r.text and "面积必须大于 0" in r.text
    assert "房号 1-101 与第 2 行重复" in r.text
    assert (await counts(estate))["units"] == 0


async def test_wrong_kind_of_file_is_refused_clearly(as_user):
    estate = await new_estate()
    c = as_user("secretary")
    r = upload(c, estate, b"\x89PNG\r\n\x1a\n", "photo.png", media="image/png")
    assert r.status_code == 422 and "请上传 .csv 或 .xlsx 文件" in r.text
    r = upload(c, estate, b"MZ\x00\x00binary", "register.xlsx", media=XLSX_MEDIA)
    assert r.status_code == 422 and "这不是 .xlsx 工作簿" in r.text
    r = upload(c, estate, "楼栋,房号,面积,宠物\n1栋,1-101,80,猫\n".encode(), "register.csv")
    assert r.status_code == 422 and "宠物" in r.text
    r = upload(c, estate, b"a" * (5 * 1024 * 1024 + 10), "register.csv")
    assert r.status_code == 422 and "文件超过 5 MB" in r.text
    r = upload(c, estate, b"a" * (7 * 1024 * 1024), "register.csv")
    assert r.status_code == 413
    assert (await counts(estate))["units"] == 0


async def test_xlsx_upload_through_the_page(as_user):
    estate = await new_estate()
    c = as_user("secretary")
    r = upload(c, estate, xlsx_bytes(good_rows(), headers=HEADERS_EN), "register.xlsx", media=XLSX_MEDIA)
    assert r.status_code == 200, r.text[-2000:]
    r = post_form(c, "/imports/commit", {"token": commit_token(r.text), "estate": str(estate), "mode": "create"})
    assert r.status_code == 200 and (await counts(estate))["units"] == 5


async def test_multipart_form_needs_the_csrf_token(as_user):
    estate = await new_estate()
    c = as_user("secretary")
    r = c.post("/imports/preview", data={"estate": str(estate)},
               files={"file": ("r.csv", csv_bytes(good_rows()), "text/csv")})
    assert r.status_code == 403


@pytest.mark.parametrize("username", ["gridworker", "mediator"])
async def test_grid_workers_and_mediators_may_not_import(as_user, username):
    estate = await new_estate()
    c = as_user(username)
    assert c.get("/imports").status_code == 403
    assert upload(c, estate, csv_bytes(good_rows())).status_code == 403
    assert (await counts(estate))["units"] == 0


async def test_an_estate_of_another_station_is_forbidden(as_user):
    foreign = await other_station_estate()
    c = as_user("secretary")
    page = c.get("/imports")
    assert f'value="{foreign}"' not in page.text
    assert upload(c, foreign, csv_bytes(good_rows())).status_code == 404
    assert c.get(f"/estates/{foreign}/export.csv").status_code == 404
    auth = await bearer("secretary")
    r = c.post(f"/api/v1/estates/{foreign}/import?dry_run=false", headers=auth,
               files={"file": ("r.csv", csv_bytes(good_rows()), "text/csv")})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert c.get(f"/api/v1/estates/{foreign}/export?format=csv", headers=auth).status_code == 404
    assert (await counts(foreign))["units"] == 0


async def test_exports_mask_phone_and_id_numbers_unless_full_is_asked_and_audited(as_user):
    secretary = await principal("secretary")
    estate = await new_estate()
    rows = good_rows()
    await service.commit(secretary, estate, rf.read_register("r.csv", csv_bytes(rows)))
    c = as_user("gridworker")
    r = c.get(f"/estates/{estate}/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(rf.EXPORT_HEADERS[k] for k in rf.FIELDS)
    full_phone, full_id = rows[0][6], rows[0][7]
    assert full_phone not in text and f"{full_phone[:3]}****{full_phone[-4:]}" in text
    assert full_id not in text and full_id[-4:] in text
    assert rows[0][8].split(":")[1] not in text  # co-owners' phones too
    book = openpyxl.load_workbook(io.BytesIO(c.get(f"/estates/{estate}/export.xlsx").content), read_only=True)
    cells = [str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row if v is not None]
    assert full_phone not in " ".join(cells) and "王建国" in cells
    # A grid worker may not ask for full numbers; a secretary may, and it is logged.
    assert c.get(f"/estates/{estate}/export.csv?full=1").status_code == 403
    s = switch_user(c, "secretary")
    logged = await AuditEntry.count().where((AuditEntry.action == "pii.export") & (AuditEntry.entity_id == estate))
    r = s.get(f"/estates/{estate}/export.csv?full=1")
    assert r.status_code == 200 and full_phone in r.content.decode("utf-8-sig")
    assert await AuditEntry.count().where((AuditEntry.action == "pii.export") & (AuditEntry.entity_id == estate)) == logged + 1


async def test_round_trip_export_then_import_into_a_new_estate(as_user):
    secretary = await principal("secretary")
    source, target, masked_target = await new_estate(), await new_estate(), await new_estate()
    await service.commit(secretary, source, rf.read_register("r.csv", csv_bytes(good_rows())))
    c = as_user("secretary")
    auth = await bearer("secretary")
    exported = c.get(f"/api/v1/estates/{source}/export?format=xlsx&full=1", headers=auth)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith(XLSX_MEDIA)
    r = c.post(f"/api/v1/estates/{target}/import?dry_run=false", headers=auth,
               files={"file": ("register.xlsx", exported.content, XLSX_MEDIA)})
    assert r.status_code == 200, r.text
    assert r.json()["committed"] is True and r.json()["summary"]["units_created"] == 5
    first = c.get(f"/api/v1/estates/{source}/export?format=csv&full=1", headers=auth).content
    second = c.get(f"/api/v1/estates/{target}/export?format=csv&full=1", headers=auth).content
    assert first == second
    # owners of several units in the copy are still one person per unit pair (matched, not duplicated)
    a, b = await owners_by_unit(source), await owners_by_unit(target)
    assert b["1-101"][0]["person"] == a["1-101"][0]["person"] == b["1-102"][0]["person"]
    # A masked export imports too: units, areas and names come back, the numbers do not.
    masked = c.get(f"/estates/{source}/export.csv").content
    r = c.post(f"/api/v1/estates/{masked_target}/import?dry_run=false", headers=auth,
               files={"file": ("register.csv", masked, "text/csv")})
    assert r.status_code == 200 and r.json()["warnings"]
    copy = {u["number"]: str(u["area_m2"]) for u in await Unit.select().where(Unit.estate == masked_target)}
    assert copy == {u["number"]: str(u["area_m2"]) for u in await Unit.select().where(Unit.estate == source)}
    assert all(o["phone"] == "" for listed in (await owners_by_unit(masked_target)).values() for o in listed)


async def test_api_dry_run_reports_rows_and_errors_as_problem_json(client):
    estate = await new_estate()
    auth = await bearer("secretary")
    content = csv_bytes(good_rows())
    r = client.post(f"/api/v1/estates/{estate}/import?dry_run=true", headers=auth,
                    files={"file": ("r.csv", content, "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    # The body is what the OpenAPI document says it is (strictly: a missing or mistyped field fails).
    import msgspec

    from council.places.imports import ImportReport

    msgspec.convert(body, ImportReport, strict=True)
    assert body["dry_run"] is True and body["committed"] is False and len(body["rows"]) == 5
    assert body["rows"][0]["phone"].count("*") == 4 and body["errors"] == []
    assert (await counts(estate))["units"] == 0
    rows = good_rows()
    rows[2][7] = "320111198001010013"
    r = client.post(f"/api/v1/estates/{estate}/import?dry_run=false", headers={**auth, "Accept-Language": "en"},
                    files={"file": ("r.csv", csv_bytes(rows), "text/csv")})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422 and problem["committed"] is False
    assert problem["errors"] == [{"line": 4, "column": "id_number", "column_label": "ID number",
                                  "message": "This ID number's check digit is wrong."}]
    assert (await counts(estate))["units"] == 0
    r = client.post(f"/api/v1/estates/{estate}/import", headers=auth, files={"file": ("r.doc", b"x", "text/plain")})
    assert r.status_code == 422 and r.json()["detail"]
    assert client.post(f"/api/v1/estates/{estate}/import", files={"file": ("r.csv", content, "text/csv")}).status_code == 401
    grid = await bearer("gridworker")
    assert client.post(f"/api/v1/estates/{estate}/import", headers=grid,
                       files={"file": ("r.csv", content, "text/csv")}).status_code == 403
