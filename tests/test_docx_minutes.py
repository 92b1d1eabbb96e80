"""The editable minutes (.docx) from a snapshot: the text, the action table, masked phones, and
the East Asian font set so Word and WPS show Chinese in a CJK face."""

import io

import docx

from council.meetings.docx_minutes import minutes_docx
from tests.test_meetings_pdf import snapshot


def test_minutes_docx_carries_the_snapshot():
    document = docx.Document(io.BytesIO(minutes_docx(snapshot(3))))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "中南悦园自行车门改造协调会 会议纪要" in text
    assert "议题3：自行车门太窄" in text and "物业负责将自行车门拓宽 1 米" in text
    assert "138****5678" in text and "13812345678" not in text
    assert "悦园物业服务有限公司（张经理） · 出席" in text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "拓宽自行车门" in cells and "2026-12-31" in cells and "王书记" in cells
    rfonts = document.styles["Normal"].element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "Noto Sans CJK SC"
