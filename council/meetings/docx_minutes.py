"""Editable minutes (会议纪要 .docx) beside the PDF, for the street office and departments that
file or amend them in Word/WPS. Built with python-docx from the same frozen snapshot as the
approved PDF (council.meetings.document.snapshot_for: phones and ID numbers already masked), so
the two say the same thing. No web or database imports: snapshot in, bytes out."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

FONT = "Noto Sans CJK SC"  # Word/WPS substitute a local CJK font where this one is missing

ATTENDANCE = {"present": "出席", "represented": "委托出席", "absent": "缺席", "": "未记录"}


def _set_font(document: Document) -> None:
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    # East Asian text takes its font from w:eastAsia, which python-docx does not set by itself.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _party_line(p: dict) -> str:
    line = p["name"]
    if p.get("delegates"):
        line += "（" + "、".join(p["delegates"]) + "）"
    if p.get("represented_by"):
        line += f"（由{p['represented_by']}代为出席）"
    return f"{line} · {ATTENDANCE.get(p.get('attendance', ''), p.get('attendance', ''))}"


def minutes_docx(s: dict) -> bytes:
    doc = Document()
    _set_font(doc)
    title = doc.add_heading(level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(f"{s['title']} 会议纪要")
    doc.add_paragraph(f"{s['station_name']}　第 {s['number']} 版")
    facts = doc.add_table(rows=0, cols=2)
    facts.style = "Table Grid"
    for label, value in (("时间", f"{s['starts']}–{s['ends']}"), ("地点", s.get("room", "")),
                         ("主持人", s.get("chair", "")), ("记录人", s.get("recorder", ""))):
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = label, value or ""
    doc.add_heading("参会各方", level=2)
    for p in s.get("attendees", []):
        doc.add_paragraph(_party_line(p), style="List Bullet")
    if s.get("absentees"):
        doc.add_heading("缺席", level=2)
        for p in s["absentees"]:
            doc.add_paragraph(_party_line(p), style="List Bullet")
    for item in s.get("items", []):
        doc.add_heading(f"议题{item['n']}：{item['title']}" if not item["title"].startswith("议题") else item["title"],
                        level=2)
        if item.get("case_number"):
            doc.add_paragraph(f"关联案件：{item['case_number']}")
        if item.get("discussion"):
            doc.add_paragraph("讨论情况：" + item["discussion"])
        if item.get("decisions"):
            doc.add_paragraph("议定事项：" + item["decisions"])
        if item.get("vote"):
            v = item["vote"]
            verdict = "通过" if v.get("passed") else ("未通过" if v.get("state") == "closed" else "表决中")
            doc.add_paragraph(f"表决：{v['title']}（{verdict}）{v.get('summary') or ''}")
        if item.get("actions"):
            table = doc.add_table(rows=1, cols=3)
            table.style = "Table Grid"
            head = table.rows[0].cells
            head[0].text, head[1].text, head[2].text = "事项", "责任方", "完成时限"
            for a in item["actions"]:
                cells = table.add_row().cells
                cells[0].text, cells[1].text, cells[2].text = a["what"], a.get("who") or "", a.get("due") or ""
    if s.get("notes"):
        doc.add_heading("其他", level=2)
        doc.add_paragraph(s["notes"])
    if s.get("reason"):
        doc.add_paragraph(f"更正理由：{s['reason']}")
    if s.get("approved_by"):
        doc.add_paragraph(f"审定：{s['approved_by']}　{s.get('approved_at', '')}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
