"""The minutes PDF (会议纪要): Chinese text comes out of the PDF, a CJK font is embedded, the page
footer counts pages, and phone / ID numbers typed into the minutes never reach the paper."""

import io

from pypdf import PdfReader

from council.meetings.document import scrub
from council.pdf import render_sync


def snapshot(items: int = 2) -> dict:
    return {
        "title": "中南悦园自行车门改造协调会", "kind": "coordination", "kind_label": "Coordination (协调会)",
        "station_name": "振兴路社区红色议事驿站", "station_address": "", "room": "议事厅",
        "starts": "2026-11-27 15:00", "ends": "16:00", "date": "2026年11月27日", "chair": "王书记", "recorder": "李网格员",
        "attendees": [
            {"name": "悦园物业服务有限公司", "kind": "org", "org_kind": "property_manager", "delegates": ["张经理"],
             "attendance": "present", "represented_by": "", "required": True},
            {"name": "振兴路社区居民委员会", "kind": "org", "org_kind": "residents_committee", "delegates": [],
             "attendance": "represented", "represented_by": "赵主任", "required": True},
        ],
        "absentees": [{"name": "江北新区城市管理局泰山中队", "kind": "org", "org_kind": "department", "delegates": [],
                       "attendance": "absent", "represented_by": "", "required": False}],
        "items": [{"n": n, "title": f"议题{n}：自行车门太窄", "minutes": 20, "case_id": None, "case_number": "ZXL-2026-0001",
                   "discussion": scrub("居民反映老人多次摔倒，联系电话13812345678。" * 3),
                   "decisions": "物业负责将自行车门拓宽 1 米。",
                   "actions": [{"id": "a1", "what": "拓宽自行车门", "organisation": 1, "who": "悦园物业服务有限公司",
                                "person": "", "due": "2026-12-31"}],
                   "vote": {"id": 1, "title": "自行车门改造表决", "state": "closed", "passed": True, "summary": ""}}
                  for n in range(1, items + 1)],
        "notes": "", "number": 1, "reason": "", "approved_by": "王书记", "approved_at": "2026-11-28 10:00",
        "draft": False, "meeting_id": 1, "content_hash": "0" * 64,
    }


def fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            names.add(str(f.get_object().get("/BaseFont", "")))
    return names


def test_minutes_pdf_has_chinese_text_and_embeds_a_cjk_font():
    pdf = render_sync("pdf/minutes.html", snapshot(), "zh_CN")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages)
    for expected in ("中南悦园自行车门改造协调会", "会议纪要", "出席人员", "悦园物业服务有限公司", "张经理", "赵主任",
                     "缺席", "江北新区城市管理局泰山中队", "议定事项", "物业负责将自行车门拓宽", "拓宽自行车门",
                     "2026-12-31", "表决结果", "主持人", "记录人", "第 1 页 / 共"):
        assert expected in text, expected
    assert "13812345678" not in text and "138****5678" in text
    assert any("CJK" in f for f in fonts(reader)), fonts(reader)


def test_twenty_items_make_several_pages_with_the_page_count():
    pdf = render_sync("pdf/minutes.html", snapshot(items=30), "zh_CN")
    reader = PdfReader(io.BytesIO(pdf))
    n = len(reader.pages)
    assert n >= 3
    assert f"第 {n} 页 / 共 {n} 页" in reader.pages[-1].extract_text()
