"""Files in and out (issue 14): crafted workbooks, calendar text, uploaded files served back.
Each threat, what protects against it and this test are listed in docs/security.md."""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile

import httpx
import openpyxl
import pytest

from council.accounts import services
from council.accounts.principal import SYSTEM
from council.places import register_file as rf
from council.places.tables import Estate, Unit

HEADINGS = ["楼栋", "房号", "专有部分面积", "面积来源", "业主姓名", "联系电话"]


def workbook(rows: int = 3) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADINGS)
    for i in range(rows):
        sheet.append(["9栋", f"9-{100 + i}", "88.5", "不动产登记", "张三", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite(content: bytes, name: str, data: bytes) -> bytes:
    """The same workbook with one member replaced (or added)."""
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info.filename))
        dst.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A valid workbook carrying a member that inflates 8 MB of zeros from a few KB."""
    out = io.BytesIO(workbook())
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/media/image1.png", "w") as fh:
            chunk = bytes(1024 * 1024)
            for _ in range(8):
                fh.write(chunk)
    return out.getvalue()


def huge_dimension() -> bytes:
    """A sheet that says it is 1,048,576 rows by 16,384 columns (openpyxl pads every row to it)."""
    content = workbook()
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', sheet)
    assert b"XFD1048576" in sheet
    return rewrite(content, "xl/worksheets/sheet1.xml", sheet)


def test_a_plain_workbook_still_reads():
    sheet = rf.read_register("r.xlsx", workbook(5))
    assert len(sheet.rows) == 5


@pytest.mark.parametrize("make", [zip_bomb, huge_dimension], ids=["zip-bomb", "huge-dimension"])
def test_crafted_workbooks_are_refused_before_parsing(make):
    content = make()
    assert len(content) < 200_000
    started = time.monotonic()
    with pytest.raises(rf.RegisterFileError) as e:
        rf.read_register("r.xlsx", content)
    assert "too large once unpacked" in e.value.message
    assert time.monotonic() - started < 1.0


def test_a_member_whose_declared_size_lies_is_not_inflated_past_it():
    """The archive check trusts the sizes the ZIP declares; zipfile (which openpyxl reads
    through) enforces them, so a lie cannot unpack more than it declared."""
    content = zip_bomb()
    name = b"xl/media/image1.png"
    header = content.rfind(b"PK\x01\x02", 0, content.rfind(name))  # its central directory entry
    patched = bytearray(content)
    patched[header + 24:header + 28] = (1000).to_bytes(4, "little")  # "uncompressed size: 1000"
    z = zipfile.ZipFile(io.BytesIO(bytes(patched)))
    assert z.getinfo(name.decode()).file_size == 1000
    rf.check_xlsx_archive(bytes(patched))  # looks harmless …
    got = 0
    with pytest.raises(zipfile.BadZipFile):  # … and reading it stops at 1000 bytes, then fails its CRC
        with z.open(name.decode()) as fh:
            while chunk := fh.read(65536):
                got += len(chunk)
    assert got <= 1000


async def test_http_refusal_is_clear_and_healthz_stays_fast_while_a_workbook_is_read(app, monkeypatch):
    """A workbook is read in a worker thread: while one takes seconds, /healthz answers at once."""
    estate = await Estate.select(Estate.id).order_by(Estate.id).first()
    token = await services.create_token(SYSTEM, "secretary", name="files test")
    auth = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
    units_before = await Unit.count()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        # The crafted workbooks: a clear refusal in the user's language, nothing written.
        for content in (zip_bomb(), huge_dimension()):
            r = await c.post(f"/api/v1/estates/{estate['id']}/import?dry_run=false", headers=auth,
                             files={"file": ("r.xlsx", content, "application/octet-stream")})
            assert r.status_code == 422, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "解压后过大" in r.text
        assert await Unit.count() == units_before

        # A slow read (as a large real register is): the loop must stay free meanwhile.
        real = rf.read_register

        def slow(filename, content):
            time.sleep(2.0)  # CPU-bound work holding its thread, as openpyxl does
            return real(filename, content)

        monkeypatch.setattr(rf, "read_register", slow)
        upload = asyncio.create_task(c.post(f"/api/v1/estates/{estate['id']}/import?dry_run=true", headers=auth,
                                            files={"file": ("r.xlsx", workbook(), "application/octet-stream")}))
        # Each round trip of this loop is measured whole: were the loop blocked by the read, the
        # sleep or the request would only come back once the read is over (a 2-second gap).
        polls, worst, last = 0, 0.0, time.monotonic()
        while not upload.done():
            await asyncio.sleep(0.05)
            h = await c.get("/healthz")
            assert h.status_code == 200
            now = time.monotonic()
            worst, last, polls = max(worst, now - last), now, polls + 1
        r = await upload
        assert r.status_code in (200, 422), r.text
        assert polls >= 5, "the read did not overlap the /healthz requests"
        assert worst < 0.5, f"/healthz took {worst:.2f}s while a workbook was read"


# ---------------------------------------------------------------- .ics text

def test_ics_text_cannot_break_out_of_its_property():
    """A meeting title with CR, LF, NUL, ESC, a line separator … stays one SUMMARY: no injected
    property, no second event; the calendar still parses back to the same words."""
    import datetime as dt

    from council.meetings import ics

    start = dt.datetime(2027, 3, 3, 1, 0, tzinfo=dt.timezone.utc)
    evil = "议事会\r\nATTENDEE:mailto:x@evil\rEND:VEVENT\nBEGIN:VEVENT\x00\x07\x1b\x7f\u2028\u2029\x85\x0b\x0c;,\\\t末"
    out = ics.calendar([{"uid": "meeting-1@council", "start": start, "end": start + dt.timedelta(hours=1),
                         "summary": evil, "location": evil, "description": evil, "sequence": 1}], name=evil)
    lines = out.split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1  # the words stay text
    assert not any(line.startswith("ATTENDEE") for line in lines)
    assert "\r" not in out.replace("\r\n", "") and "\n" not in out.replace("\r\n", "")
    for ch in out:
        assert ch in "\r\n" or not (ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f or ch in "\u2028\u2029"), repr(ch)
    assert all(len(line.encode()) <= 75 for line in lines)
    (event,) = [e for e in ics.parse(out)]
    assert event.summary.startswith("议事会") and event.summary.endswith("末")


# ---------------------------------------------------------------- uploaded files served back

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def test_uploads_are_served_nosniff_and_as_downloads_unless_their_bytes_are_an_image(client, as_user, settings):
    from council.cases.tables import Attachment

    auth = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary', name='files test')}"}
    r = client.post("/api/v1/cases", headers=auth, json={
        "kind": "proposal", "title": "附件测试", "category": "facilities", "channel": "reception_day"})
    assert r.status_code == 201, r.text
    case = r.json()["id"]
    ids = {}
    for name, content, ctype in (("照片.png", PNG, "image/png"), ("报价.pdf", PDF, "application/pdf")):
        r = client.post(f"/api/v1/cases/{case}/attachments", headers=auth, files={"file": (name, content, ctype)})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    page = as_user("secretary")

    def fetch(att):
        return (page.get(f"/cases/{case}/files/{att}"), client.get(f"/api/v1/cases/{case}/attachments/{att}", headers=auth))

    photo, photo_api = fetch(ids["照片.png"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert photo.headers["content-disposition"].startswith("inline")
    pdf, pdf_api = fetch(ids["报价.pdf"])
    assert pdf.headers["content-disposition"].startswith("attachment")
    for r in (photo, photo_api, pdf, pdf_api):
        assert r.headers["x-content-type-options"] == "nosniff"
    for r in (photo_api, pdf_api):  # the API always hands bytes over as a download
        assert r.headers["content-disposition"].startswith("attachment")

    # The type comes from the bytes, not from the name or the type recorded at upload: a stored
    # file that is not an image (whatever its row says) is never shown inline.
    from council import storage

    row = await Attachment.select().where(Attachment.id == ids["照片.png"]).first()
    swapped = b"<html><script>alert(1)</script></html>"
    if storage.in_database():  # PostgreSQL: the bytes are a stored_blob row, not a file on this node
        key = f"cases/{row['stored_as']}"
        assert await storage.StoredBlob.exists().where(storage.StoredBlob.key == key)
        await storage.StoredBlob.update({storage.StoredBlob.content: swapped}).where(storage.StoredBlob.key == key)
    else:
        (settings.upload_dir / "cases" / row["stored_as"]).write_bytes(swapped)
    r, _ = fetch(ids["照片.png"])
    assert r.content == swapped  # the bytes served are the ones now stored, wherever they are kept
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["content-type"].startswith("application/octet-stream")
    assert r.headers["x-content-type-options"] == "nosniff"


# ---------------------------------------------------------------- calendar feeds

async def test_calendar_feeds_belong_to_one_user_and_show_what_they_may_see(client, as_user):
    import datetime as dt
    import secrets

    from council.accounts.tables import User
    from council.core import registry
    from council.core.registry import REGISTERS
    from council.meetings import feeds, scheduling
    from council.meetings.tables import CalendarFeed

    liaison = await User.select().where(User.username == "liaison").first()
    org = liaison["organisation"]  # a district department: shared by every station
    sec = await services.principal_for_user(await User.select().where(User.username == "secretary").first(), "session")
    lia = await services.principal_for_user(liaison, "session")
    tag = secrets.token_hex(3)
    # Another station, and a meeting there with the same department.
    street = await registry.create_row(SYSTEM, REGISTERS["streets"], {"name": f"feed街道{tag}"})
    community = await registry.create_row(SYSTEM, REGISTERS["communities"], {"street": street, "name": f"feed社区{tag}"})
    station = await registry.create_row(SYSTEM, REGISTERS["stations"], {
        "community": community, "name": f"feed驿站{tag}", "case_prefix": f"F{tag}".upper(),
        "reception_weekday": 2, "reception_start": "09:00", "reception_end": "11:00"})
    other_org = await registry.create_row(SYSTEM, REGISTERS["organisations"], {
        "community": community, "kind": "property_manager", "name": f"feed物业{tag}"})
    when = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=30)
    elsewhere_title = f"别处的协调会{tag}"
    await scheduling.create_meeting(SYSTEM, station=station, kind="coordination", title=elsewhere_title,
                                    starts_at=when.isoformat(), ends_at=(when + dt.timedelta(hours=1)).isoformat(),
                                    parties=[{"key": f"org:{org}", "required": False}])
    demo_title = f"驿站的协调会{tag}"
    await scheduling.create_meeting(SYSTEM, station=min(sec.station_ids), kind="coordination", title=demo_title,
                                    starts_at=when.isoformat(), ends_at=(when + dt.timedelta(hours=1)).isoformat(),
                                    parties=[{"key": f"org:{org}", "required": False}])

    liaison_token = await feeds.make_feed(lia, organisation=org)
    sec_token = await feeds.make_feed(sec, organisation=org)
    # Minting revokes nobody else's feed: the liaison's still answers, and shows both meetings
    # (the department is invited to both).
    mine = client.get(f"/calendar/{liaison_token}.ics")
    assert mine.status_code == 200 and demo_title in mine.text and elsewhere_title in mine.text
    # The secretary's feed of the same department shows only their own station's meeting.
    theirs = client.get(f"/calendar/{sec_token}.ics")
    assert theirs.status_code == 200 and demo_title in theirs.text and elsewhere_title not in theirs.text
    # A second mint revokes the secretary's own previous one only.
    sec_token2 = await feeds.make_feed(sec, organisation=org)
    assert client.get(f"/calendar/{sec_token}.ics").status_code == 404
    assert client.get(f"/calendar/{sec_token2}.ics").status_code == 200
    assert client.get(f"/calendar/{liaison_token}.ics").status_code == 200
    # Another community's organisation: no feed, and the same answer as for no such organisation.
    auth = {"Authorization": f"Bearer {await services.create_token(SYSTEM, 'secretary', name='feeds test')}"}
    r = client.post("/api/v1/meetings/feeds", json={"organisation": other_org}, headers=auth)
    missing = client.post("/api/v1/meetings/feeds", json={"organisation": 999_999_999}, headers=auth)
    assert r.status_code == missing.status_code == 404
    assert await CalendarFeed.count().where(CalendarFeed.organisation == other_org) == 0
    # A deactivated user's feeds stop answering (and answer again if they come back).
    await User.update({User.is_active: False}).where(User.id == liaison["id"])
    try:
        assert client.get(f"/calendar/{liaison_token}.ics").status_code == 404
    finally:
        await User.update({User.is_active: True}).where(User.id == liaison["id"])
    assert client.get(f"/calendar/{liaison_token}.ics").status_code == 200
