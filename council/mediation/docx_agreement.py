"""The mediation agreement (调解协议书, People's Mediation Law Art. 29) as an editable .docx beside
its PDF, built with python-docx from the very context the PDF template prints
(council.mediation.documents._agreement): the parties' full ID numbers on purpose, as on the PDF
(a court reviews the agreement for judicial confirmation), phones masked, the signature lines
filled only where the PDF fills them. No web or database imports: context in, bytes out."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from council.meetings.docx_minutes import _set_font


def _table(doc, head: list[str], rows: list[list[str]]):
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = str(text or "")
    return table


def agreement_docx(c: dict) -> bytes:
    doc = Document()
    _set_font(doc)
    title = doc.add_heading(level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("人民调解协议书")
    number = doc.add_paragraph(c["number"])
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(f"{c['committee']}　{c['station_name']}")

    doc.add_heading("当事人", level=2)
    parties = []
    for p in c["parties"]:
        name = p["name"]
        if p.get("agent_name"):
            name += f"（代理人：{p['agent_name']}" + (f"，{p['agent_basis']}" if p.get("agent_basis") else "") + "）"
        parties.append([p["role"], name, p.get("gender", ""), str(p["id_number"]), p.get("address", "")])
    _table(doc, ["身份", "姓名（名称）", "性别", "身份证号码（统一社会信用代码）", "住址"], parties)

    for heading, key in (("纠纷主要事实", "facts"), ("争议事项", "matters"), ("各方当事人的责任", "responsibilities")):
        doc.add_heading(heading, level=2)
        for line in (c.get(key) or "").split("\n"):
            doc.add_paragraph(line)

    doc.add_heading("经调解，各方自愿达成如下协议", level=2)
    _table(doc, ["序号", "履行方", "内容", "金额", "履行期限", "履行方式"],
           [[str(o["position"]), o["party"], o["what"], o["amount"], o["due"], o["manner"]] for o in c["obligations"]])

    doc.add_paragraph(f"本协议自各方当事人签名（盖章或者按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。"
                      f"本协议一式 {c['copies']} 份，当事人各执一份，人民调解委员会留存一份。")
    doc.add_paragraph("当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。")

    signatures = []
    for p in c["parties"]:
        signed = f"{p['name']}（{p['method']}）" if p.get("signed_on") else ""
        signatures.append([f"{p['role']}（签名、盖章或按指印）：{signed}", f"日期：{p.get('signed_on') or ''}"])
    signatures.append([f"人民调解员（签名）：{c['mediator'] if c.get('mediator_signed_on') else ''}",
                       f"日期：{c.get('mediator_signed_on') or ''}"])
    signatures.append([f"{c['committee']}（印章）", f"日期：{c.get('sealed_on') or ''}"])
    table = doc.add_table(rows=0, cols=2)
    for left, right in signatures:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = left, right
    if c.get("effective_on"):
        doc.add_paragraph(f"本协议已于 {c['effective_on']} 生效。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
