"""The mediation agreement as an editable DOCX beside its PDF (issue 18): the same text, masked
exactly as the PDF is (full ID numbers of the parties, which Art. 29 names; no phone at all),
offered on the file's page, audited like the PDF, and refused to those who may not read the file."""

from __future__ import annotations

import io
import random

import docx
from pypdf import PdfReader

from council.audit.tables import AuditEntry
from council.mediation import agreements
from council.cases.calendar_store import today
from council.mediation.docx_agreement import agreement_docx
from tests.test_mediation_services import held_session, new_dispute, principal, ready_to_mediate


def _text(document) -> str:
    lines = [p.text for p in document.paragraphs]
    lines += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(lines)


def test_the_docx_prints_the_context_it_is_given():
    context = {
        "station_name": "振兴路议事驿站", "committee": "振兴路社区人民调解委员会", "number": "（2026）振兴路人调字第 7 号",
        "category": "邻里纠纷", "copies": 3, "mediator": "陈淑芬", "mediator_signed_on": "2026 年 3 月 2 日",
        "sealed_on": "2026 年 3 月 2 日", "effective_on": "2026 年 3 月 2 日",
        "parties": [{"id": 1, "role": "申请人", "name": "王建国", "gender": "男", "address": "3 栋 601",
                     "id_number": "320102198001011234", "phone": "138****5678", "agent_name": "", "agent_basis": "",
                     "signed_on": "2026 年 3 月 2 日", "method": "签名"},
                    {"id": 2, "role": "被申请人", "name": "李明", "gender": "", "address": "3 栋 701",
                     "id_number": "", "phone": "", "agent_name": "李华", "agent_basis": "委托代理",
                     "signed_on": "", "method": ""}],
        "facts": "701 漏水至 601。\n已持续两周。", "matters": "维修与赔偿。", "responsibilities": "李明负责。",
        "obligations": [{"position": 1, "party": "李明", "what": "赔偿修复费用", "amount": "1,000.00 元",
                         "due": "2026 年 3 月 31 日", "manner": "银行转账"}],
    }
    text = _text(docx.Document(io.BytesIO(agreement_docx(context))))
    for expected in ("人民调解协议书", "（2026）振兴路人调字第 7 号", "320102198001011234", "已持续两周。",
                     "赔偿修复费用", "1,000.00 元", "李明（代理人：李华，委托代理）", "本协议一式 3 份",
                     "人民调解员（签名）：陈淑芬", "本协议已于 2026 年 3 月 2 日 生效。", "申请人（签名、盖章或按指印）：王建国（签名）"):
        assert expected in text, expected
    assert "138****5678" not in text  # the agreement names no phone, as the PDF
    assert "被申请人（签名、盖章或按指印）：\n" in text  # an unsigned party's line stays empty


async def test_the_agreement_docx_matches_the_pdf_and_is_offered_on_the_page(as_user):
    med = await principal("mediator")
    d = await new_dispute("空调外机噪音")
    a, b = await ready_to_mediate(d)
    await held_session(med, d, "agreement", days_ago=random.randint(3000, 3400))
    await agreements.save_agreement(med, d["id"], {"form": "written", "facts": "空调外机夜间噪音。",
                                                   "matters": "移机与补偿。", "responsibilities": "李明负责移机。",
                                                   "reached_on": today().isoformat()})
    await agreements.add_obligation(med, d["id"], {"party": b, "what": "移装空调外机", "amount": "500"})
    c = as_user("mediator")
    page = c.get(f"/mediation/{d['id']}").text
    assert f'href="/mediation/{d["id"]}/agreement.docx"' in page and "调解协议书（可编辑 DOCX）" in page
    before = await AuditEntry.count().where(AuditEntry.action == "mediation.agreement_printed")
    r = c.get(f"/mediation/{d['id']}/agreement.docx")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    text = _text(docx.Document(io.BytesIO(r.content)))
    pdf = "".join(p.extract_text() for p in PdfReader(io.BytesIO(c.get(f"/mediation/{d['id']}/agreement.pdf").content)).pages)
    pdf = pdf.replace(" ", "").replace("\n", "")
    for expected in ("王建国", "李明", "空调外机夜间噪音。", "移装空调外机", "500.00元", d["number"].replace(" ", "")):
        assert expected in text.replace(" ", ""), expected
        assert expected in pdf, expected
    # masked exactly as the PDF: the applicant's full ID number on both, no phone on either
    assert "320102198001011234" in text and "320102198001011234" in pdf
    for phone in ("13812345678", "13987654321", "138****5678"):
        assert phone not in text and phone not in pdf
    assert await AuditEntry.count().where(AuditEntry.action == "mediation.agreement_printed") == before + 2
    # Who may not read the file gets no agreement; a file without one is refused in words.
    assert as_user("resident").get(f"/mediation/{d['id']}/agreement.docx").status_code in (403, 404)
    other = await new_dispute("无协议的纠纷")
    assert c.get(f"/mediation/{other['id']}/agreement.docx").status_code == 409
