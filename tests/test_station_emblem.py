"""A station's emblem: checked by its bytes, shown beside the station's name in the top bar and in
the header of its PDFs, changed by the station's administrators only, every change audited."""

from __future__ import annotations

import io
import re

import pytest
from litestar.testing import TestClient

from council.audit.tables import AuditEntry
from council.core.errors import Invalid
from council.stations import emblem
from council.stations.tables import Station
from tests.support import login, post_form

ZH = {"Accept-Language": "zh-CN"}


def image(fmt: str = "PNG", size: tuple[int, int] = (48, 48)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (179, 38, 30)).save(buf, format=fmt)
    return buf.getvalue()


def test_only_real_png_and_jpeg_images_are_accepted():
    assert emblem.check_emblem(image("PNG")) == "image/png"
    assert emblem.check_emblem(image("JPEG")) == "image/jpeg"
    refused = [
        b"",  # nothing chosen
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",  # SVG: not accepted (it can carry script)
        image("GIF"),
        b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10,  # the right signature, then garbage
        image("PNG")[:60],  # truncated
        b"%PDF-1.7\n",
        image("PNG", (2001, 10)),  # too large a picture
        b"\x89PNG\r\n\x1a\n" + b"\0" * emblem.MAX_BYTES,  # too many bytes
    ]
    for content in refused:
        with pytest.raises(Invalid) as e:
            emblem.check_emblem(content)
        assert e.value.errors.get("emblem"), content[:20]


def emblem_on_first_page(pdf: bytes, size: tuple[int, int] = (48, 48)) -> bool:
    """The page's resources hold an image XObject of the emblem's size (a letter's QR code is a
    drawing, not an image, so it cannot be taken for it)."""
    from pypdf import PdfReader

    xobjects = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"].get("/XObject") or {}
    images = [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]
    return any((img["/Width"], img["/Height"]) == size for img in images)


def _station_id(client: TestClient) -> int:
    m = re.search(r'href="/stations/(\d+)"', client.get("/", headers=ZH).text)
    assert m, "the secretary's home links their station"
    return int(m.group(1))


async def test_upload_show_on_pages_and_pdfs_then_remove(app):
    secretary = login(TestClient(app=app), "secretary")
    sid = _station_id(secretary)
    before = (await Station.select(Station.emblem, Station.version).where(Station.id == sid).first())
    assert before["emblem"] == ""
    # No emblem: the name alone, in the top bar and in the PDFs.
    page = secretary.get(f"/stations/{sid}", headers=ZH).text
    assert 'class="emblem"' not in page and "未设置徽标" in page

    # A text file named .png: refused beside the field, in Chinese, nothing changed.
    r = secretary.post(f"/stations/{sid}/emblem", files={"emblem": ("logo.png", b"hello, not an image", "image/png")},
                       data={"_csrf_token": secretary.cookies.get("csrftoken")}, headers=ZH, follow_redirects=False)
    assert r.status_code == 422
    assert "这个文件不是 PNG 或 JPEG 图片" in r.text and 'id="emblem-error"' in r.text
    assert (await Station.select(Station.emblem).where(Station.id == sid).first())["emblem"] == ""

    # Someone who does not administer the station may not change it.
    grid = login(TestClient(app=app), "gridworker")
    r = grid.post(f"/stations/{sid}/emblem", files={"emblem": ("logo.png", image(), "image/png")},
                  data={"_csrf_token": grid.cookies.get("csrftoken")}, follow_redirects=False)
    assert r.status_code == 403

    png = image()
    try:
        r = secretary.post(f"/stations/{sid}/emblem", files={"emblem": ("logo.png", png, "image/png")},
                           data={"_csrf_token": secretary.cookies.get("csrftoken")}, follow_redirects=False)
        assert r.status_code == 303, r.text
        key = (await Station.select(Station.emblem).where(Station.id == sid).first())["emblem"]
        assert key.startswith("emblems/")
        entry = await AuditEntry.select().output(load_json=True).where((AuditEntry.action == "station.emblem")
                                                & (AuditEntry.entity_id == sid)).order_by(AuditEntry.id, ascending=False).first()
        assert entry["after"]["emblem"] == key and entry["before"]["emblem"] == ""

        # On pages: the top bar (a fresh sign-in) and the station's page.
        fresh = login(TestClient(app=app), "gridworker")
        home = fresh.get("/", headers=ZH).text
        top = re.search(r'<span class="station-name" id="topbar-station">(.*?)</span>', home, re.S).group(1)
        src = re.search(r'<img class="emblem" src="([^"]+)"', top).group(1)
        assert src == f"/stations/{sid}/emblem?v={key[-8:]}"
        img = fresh.get(src)
        assert img.status_code == 200 and img.content == png and img.headers["content-type"] == "image/png"
        assert f'src="/stations/{sid}/emblem?v={key[-8:]}"' in secretary.get(f"/stations/{sid}", headers=ZH).text
        # Someone of no station sees none of it.
        assert login(TestClient(app=app), "resident").get(src).status_code == 404

        # In the PDFs' header: an image XObject on the page — the reception day's report, a
        # meeting's minutes, a vote's letters.
        pdf = secretary.get(f"/reception/report.pdf?station={sid}", headers=ZH)
        assert pdf.status_code == 200 and emblem_on_first_page(pdf.content)
        from council.meetings.tables import Meeting

        meeting = await Meeting.select(Meeting.id).where(Meeting.station == sid).order_by(Meeting.id).first()
        minutes = secretary.get(f"/meetings/{meeting['id']}/minutes/preview.pdf", headers=ZH)
        assert minutes.status_code == 200 and emblem_on_first_page(minutes.content)
        from tests.test_votes_services import new_open_vote, voters

        vote_id = await new_open_vote()
        voter = (await voters(vote_id))[0]
        letters = secretary.get(f"/votes/{vote_id}/letters.pdf?voter={voter['id']}", headers=ZH)
        assert letters.status_code == 200 and emblem_on_first_page(letters.content)
    finally:
        r = post_form(secretary, f"/stations/{sid}/emblem/remove", {})
        assert r.status_code == 303
    after = await Station.select(Station.emblem).where(Station.id == sid).first()
    assert after["emblem"] == ""
    pdf = secretary.get(f"/reception/report.pdf?station={sid}", headers=ZH)
    assert not emblem_on_first_page(pdf.content)


def test_a_cut_off_image_is_refused_also_after_weasyprint_is_imported():
    """WeasyPrint switches Pillow to accept truncated images for the whole process (the PDF
    preview imports it in the server): the emblem check does not rely on Pillow for that."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    for fmt in ("PNG", "JPEG"):
        whole = image(fmt, (300, 300))
        assert emblem.check_emblem(whole)
        for cut in (60, len(whole) // 2, len(whole) - 5):
            with pytest.raises(Invalid):
                emblem.check_emblem(whole[:cut])
