"""The reception desk's refusals show beside the field that caused them (never only the general
"correct the marked fields"), a unit number in two estates asks the estate on the spot, the
consent sits under the phone, and a logged visit brings the page back to the form (issue 17)."""

from __future__ import annotations

import re

from council.reception.tables import Visit
from tests.support import post_form


def _station_id(client) -> int:
    return int(re.search(r'name="station" value="(\d+)"', client.get("/reception").text).group(1))


def _log_form(html: str) -> str:
    return html[html.index('id="log"'):html.index('id="queue"')]


async def test_a_phone_without_consent_is_refused_beside_the_consent(as_user):
    c = as_user("secretary")
    sid = _station_id(c)
    before = await Visit.count()
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "带电话的访客", "new_phone": "13800001111",
                                           "topic": "问路", "outcome": "answered", "answer": "往前走"})
    assert r.status_code == 422
    form = _log_form(r.text)
    # the consent is asked under the phone, outside any outcome's section, and its refusal is beside it
    consent = form.index('id="v-consent"')
    assert form.index('id="v-new-phone"') < consent
    error = form.index('class="field-error"', consent)
    assert "同意" in form[error:error + 200] or "consent" in form[error:error + 200]
    assert '<div class="only' not in form[form.rindex("<div", 0, consent):consent]
    # a person's name is 姓名 (名称 is for things)
    assert re.search(r'<label for="v-new-name">姓名</label>', form)
    # the quick add folded section is drawn open, the values kept
    assert re.search(r"<details open>\s*<summary>", form) and "13800001111" in form
    assert await Visit.count() == before


async def test_every_refusal_of_the_log_form_is_drawn_beside_a_field(as_user):
    c = as_user("secretary")
    sid = _station_id(c)
    for data, field_id in (({"topic": ""}, "v-topic"), ({"topic": "x", "outcome": "answered"}, "v-answer"),
                           ({"topic": "x", "outcome": "case", "case_kind": "request"}, "v-category"),
                           ({"topic": "x", "unit_number": "99-9999"}, "v-unit"),
                           ({"topic": "x", "outcome": "news", "answer": "y", "case_number": "NOPE-1"}, "v-case-number")):
        r = post_form(c, "/reception/visits", {"station": sid, **data})
        assert r.status_code == 422, data
        form = _log_form(r.text)
        at = form.index(f'id="{field_id}"')
        assert 'class="field-error"' in form[at:at + 1500], (data, form[at:at + 1500])
    # a refusal of a field the form does not draw is named in the alert, not lost
    r = post_form(c, "/reception/visits", {"station": sid, "topic": "x", "unit": "999999"})
    assert r.status_code == 422
    alert = r.text[r.text.index('id="desk-alert"'):]
    assert 'class="field-error"' in alert[:600]


async def test_an_ambiguous_unit_number_asks_the_estate_beside_it(as_user):
    c = as_user("secretary")
    sid = _station_id(c)
    before = await Visit.count()
    # 3-101 exists in both of the demo station's estates
    fragment = c.get(f"/reception/estates?station={sid}&unit_number=3-101").text
    assert fragment.count('name="estate"') == 2 and "中南悦园" in fragment and "华佳梅苑" in fragment
    assert 'name="estate"' not in c.get(f"/reception/estates?station={sid}&unit_number=99-9999").text
    r = post_form(c, "/reception/visits", {"station": sid, "unit_number": "3-101", "topic": "楼道灯坏了"})
    assert r.status_code == 422
    form = _log_form(r.text)
    at = form.index('id="v-unit"')
    assert form[at:].index('name="estate"') < form[at:].index('id="v-category"')
    estate = re.search(r'name="estate" value="(\d+)"', form).group(1)
    assert await Visit.count() == before
    r = post_form(c, "/reception/visits", {"station": sid, "unit_number": "3-101", "estate": estate, "topic": "楼道灯坏了"})
    assert r.status_code == 303
    row = await Visit.select().order_by(Visit.id, ascending=False).first()
    from council.places.tables import Unit

    assert (await Unit.select(Unit.estate).where(Unit.id == row["unit"]).first())["estate"] == int(estate)


async def test_after_logging_the_page_comes_back_to_the_form_and_the_queue_is_one_tap_away(as_user):
    c = as_user("secretary")
    sid = _station_id(c)
    r = post_form(c, "/reception/visits", {"station": sid, "new_name": "排队的人", "topic": "问事"})
    assert r.status_code == 303 and r.headers["location"].endswith("#desk-work")
    html = c.get(r.headers["location"].split("#")[0]).text
    assert html.index('id="desk-work"') < html.index('id="done-note"') < html.index('id="queue-link"') < html.index('id="log"')
    assert 'href="#queue"' in html


async def test_the_day_report_pdf_keeps_names_on_one_line_and_the_signature_with_its_text(as_user):
    from io import BytesIO

    from pypdf import PdfReader

    c = as_user("secretary")
    sid = _station_id(c)
    for i in range(3):
        post_form(c, "/reception/visits", {"station": sid, "new_name": f"欧阳长名访客{i}",
                                           "topic": "关于小区东侧自行车通道门改造施工期间夜间噪音扰民的反映" * 2})
    pdf = c.get(f"/reception/report.pdf?station={sid}")
    assert pdf.status_code == 200
    pages = [p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages]
    text = "\n".join(pages)
    assert "欧阳长名访客0" in text and "欧阳长名访客2" in text  # not one character per line
    # the signature line is on the same page as the note before it
    last = pages[-1]
    assert "值班" in last or "On duty" in last
    assert ("已脱敏" in last or "masked" in last or "号码" in last), last[:500]
