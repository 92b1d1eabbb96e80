"""The reception day's pure rules, to their boundaries: schedule and exceptions, roster
rotation and swaps, the WeChat paste parser, queue numbers, and the report's counting."""

from __future__ import annotations

import datetime as dt

import pytest

from council.reception import paste, queue, report, roster, schedule
from council.reception.schedule import CANCELLED, MOVED, ReceptionException

D = dt.date
NINE, HALF11 = dt.time(9, 0), dt.time(11, 30)
FRI = 4


# ---------------------------------------------------------------- schedule

def test_regular_days_include_both_ends():
    assert schedule.regular_days(FRI, D(2026, 11, 6), D(2026, 11, 20)) == [D(2026, 11, 6), D(2026, 11, 13), D(2026, 11, 20)]
    assert schedule.regular_days(FRI, D(2026, 11, 7), D(2026, 11, 12)) == []
    assert schedule.regular_days(FRI, D(2026, 11, 20), D(2026, 11, 6)) == []
    assert schedule.regular_days(0, D(2026, 11, 23), D(2026, 11, 23)) == [D(2026, 11, 23)]


def test_cancelled_day_is_skipped_and_holiday_cancels():
    ex = [ReceptionException(D(2026, 11, 13), CANCELLED, note="全市防汛值班")]
    got = schedule.occurrences(FRI, NINE, HALF11, D(2026, 11, 1), D(2026, 11, 30), ex, holidays=[D(2026, 11, 27)])
    assert [o.day for o in got] == [D(2026, 11, 6), D(2026, 11, 20)]


def test_moved_day_lands_on_its_new_date_with_new_hours():
    ex = [ReceptionException(D(2027, 1, 1), MOVED, moved_to=D(2026, 12, 31), start=dt.time(14, 0), end=dt.time(16, 0))]
    got = schedule.occurrences(FRI, NINE, HALF11, D(2026, 12, 28), D(2027, 1, 3), ex, holidays=[D(2027, 1, 1)])
    assert len(got) == 1
    assert (got[0].day, got[0].start, got[0].end, got[0].moved_from) == (D(2026, 12, 31), dt.time(14, 0), dt.time(16, 0), D(2027, 1, 1))


def test_moved_across_the_range_edge():
    ex = [ReceptionException(D(2026, 11, 6), MOVED, moved_to=D(2026, 11, 9))]
    # the regular day is outside the range, the new day inside: included
    assert [o.day for o in schedule.occurrences(FRI, NINE, HALF11, D(2026, 11, 9), D(2026, 11, 12), ex)] == [D(2026, 11, 9)]
    # the regular day inside, the new day outside: neither
    assert schedule.occurrences(FRI, NINE, HALF11, D(2026, 11, 6), D(2026, 11, 8), ex) == []
    # moved without new hours keeps the usual ones
    o = schedule.occurrence_on(D(2026, 11, 9), FRI, NINE, HALF11, ex)
    assert (o.start, o.end) == (NINE, HALF11)


def test_next_occurrence_skips_cancelled():
    ex = [ReceptionException(D(2026, 11, 27), CANCELLED)]
    assert schedule.next_occurrence(D(2026, 11, 22), FRI, NINE, HALF11, ex).day == D(2026, 12, 4)
    assert schedule.next_occurrence(D(2026, 11, 20), FRI, NINE, HALF11).day == D(2026, 11, 20)  # the day itself


def test_occurrence_bounds_are_local():
    from zoneinfo import ZoneInfo

    start, end = schedule.Occurrence(D(2026, 11, 20), NINE, HALF11).bounds(ZoneInfo("Asia/Shanghai"))
    assert start.astimezone(dt.timezone.utc).hour == 1 and (end - start) == dt.timedelta(hours=2, minutes=30)


@pytest.mark.parametrize("e,field", [
    (ReceptionException(D(2026, 11, 19), CANCELLED), "day"),  # a Thursday
    (ReceptionException(D(2026, 11, 20), "later"), "kind"),
    (ReceptionException(D(2026, 11, 20), MOVED), "moved_to"),
    (ReceptionException(D(2026, 11, 20), MOVED, moved_to=D(2026, 11, 20)), "moved_to"),
    (ReceptionException(D(2026, 11, 20), MOVED, moved_to=D(2026, 11, 27)), "moved_to"),  # already a reception day
    (ReceptionException(D(2026, 11, 20), MOVED, moved_to=D(2026, 11, 19), start=NINE), "end"),
    (ReceptionException(D(2026, 11, 20), MOVED, moved_to=D(2026, 11, 19), start=NINE, end=NINE), "end"),
])
def test_exception_checks(e, field):
    assert field in schedule.check_exception(FRI, e)


def test_exception_checks_pass_and_collisions():
    ok = ReceptionException(D(2026, 11, 20), MOVED, moved_to=D(2026, 11, 19), start=NINE, end=HALF11)
    assert schedule.check_exception(FRI, ok) == {}
    assert schedule.check_exception(FRI, ReceptionException(D(2026, 11, 20), CANCELLED)) == {}
    other = ReceptionException(D(2026, 11, 27), MOVED, moved_to=D(2026, 11, 19))
    assert "moved_to" in schedule.check_exception(FRI, ok, [other])
    # onto a regular day that is itself cancelled: allowed
    onto = ReceptionException(D(2026, 11, 20), MOVED, moved_to=D(2026, 11, 27))
    assert schedule.check_exception(FRI, onto, [ReceptionException(D(2026, 11, 27), CANCELLED)]) == {}


# ---------------------------------------------------------------- roster

ANCHOR = D(2026, 11, 2)  # a Monday


def test_rotation_goes_round_the_list():
    members = [1, 2, 3]
    got = [roster.on_duty(ANCHOR + dt.timedelta(weeks=i), members, ANCHOR) for i in range(4)]
    assert got == [[1], [2], [3], [1]]
    # any day of the week gives that week's duty; before the anchor it runs backwards
    assert roster.on_duty(D(2026, 11, 8), members, ANCHOR) == [1]
    assert roster.on_duty(ANCHOR - dt.timedelta(days=1), members, ANCHOR) == [3]


def test_rotation_in_pairs_and_edge_cases():
    assert roster.on_duty(ANCHOR, [1, 2, 3], ANCHOR, per_week=2) == [1, 2]
    assert roster.on_duty(ANCHOR + dt.timedelta(weeks=1), [1, 2, 3], ANCHOR, per_week=2) == [3, 1]
    assert roster.on_duty(ANCHOR, [1, 2], ANCHOR, per_week=5) == [1, 2]  # never more than the roster
    assert roster.on_duty(ANCHOR, [], ANCHOR) == []
    assert roster.on_duty(ANCHOR, [1], ANCHOR, per_week=0) == []


def test_approved_swap_overrides_and_exchange_returns():
    members = [1, 2, 3]
    w0, w1 = ANCHOR, ANCHOR + dt.timedelta(weeks=1)
    swap = roster.Swap(week=w0, out_member=1, in_member=2, return_week=w1)
    assert roster.on_duty(w0, members, ANCHOR, swaps=[swap]) == [2]
    assert roster.on_duty(w1, members, ANCHOR, swaps=[swap]) == [1]
    plain = roster.Swap(week=w0 + dt.timedelta(days=3), out_member=1, in_member=3)  # any day of the week
    assert roster.on_duty(w0, members, ANCHOR, swaps=[plain]) == [3]
    # a stale swap (out member no longer on duty) changes nothing
    assert roster.on_duty(w1, members, ANCHOR, swaps=[roster.Swap(w1, 1, 3)]) == [2]
    # applied in order: 1→3 then 3→2
    assert roster.on_duty(w0, members, ANCHOR, swaps=[plain, roster.Swap(w0, 3, 2)]) == [2]


def test_swap_checks():
    members = [1, 2, 3]
    w0, w1 = ANCHOR, ANCHOR + dt.timedelta(weeks=1)
    assert roster.check_swap(roster.Swap(w0, 1, 2, w1), members, ANCHOR) == {}
    assert "week" in roster.check_swap(roster.Swap(w0, 2, 3), members, ANCHOR)
    assert "in_member" in roster.check_swap(roster.Swap(w0, 1, 1), members, ANCHOR)
    assert "in_member" in roster.check_swap(roster.Swap(w0, 1, 9), members, ANCHOR)
    assert "in_member" in roster.check_swap(roster.Swap(w0, 1, 2), members, ANCHOR, per_week=2)
    assert "return_week" in roster.check_swap(roster.Swap(w0, 1, 2, w0), members, ANCHOR)
    assert "return_week" in roster.check_swap(roster.Swap(w0, 1, 3, w1), members, ANCHOR)
    # against swaps already approved
    assert "week" in roster.check_swap(roster.Swap(w0, 1, 3), members, ANCHOR, approved=[roster.Swap(w0, 1, 2)])
    assert [d for _, d in roster.weeks(w0, 3, members, ANCHOR)] == [[1], [2], [3]]


# ---------------------------------------------------------------- WeChat paste

def test_paste_plain_and_full_width_colons():
    got = paste.parse("张三: 3栋电梯又坏了\n李四：楼道灯不亮")
    assert [(d.sender, d.text, d.time) for d in got.drafts] == [("张三", "3栋电梯又坏了", ""), ("李四", "楼道灯不亮", "")]


def test_paste_times_before_and_after_the_name():
    text = "[10:32] 张三：楼道灯不亮\n10:35 李四: 垃圾没人收\n【10:40】王五：谢谢"
    assert [(d.sender, d.time) for d in paste.parse(text).drafts] == [("张三", "10:32"), ("李四", "10:35"), ("王五", "10:40")]


def test_paste_desktop_headers_with_multi_line_messages():
    text = ("张三 10:32\n楼道里堆满了杂物\n地址：5栋2单元\n\n李四 2026/11/20 10:40\n电动车在楼道充电\n太危险了\n"
            "张三 10:41：谢谢网格员")
    got = paste.parse(text).drafts
    assert [d.sender for d in got] == ["张三", "李四", "张三"]
    assert got[0].text == "楼道里堆满了杂物\n地址：5栋2单元"  # "地址" is no sender seen: the message goes on
    assert got[1].text == "电动车在楼道充电\n太危险了" and got[1].time == "2026/11/20 10:40"
    assert got[2].text == "谢谢网格员" and got[0].line == 1


def test_paste_continuation_lines_and_system_lines():
    text = ("以下为新消息\n—— 10:30 ——\n昨天 09:12\n\"王五\"邀请\"赵六\"加入了群聊\n张三：3栋门口的路灯\n已经坏了一周\n"
            "\"李四\" 撤回了一条消息\n\"张三\" 拍了拍 \"网格员小李\"\n李四：我拍了拍照片发群里了\n"
            "王五修改群名为\"5栋：业主群\"")
    got = paste.parse(text)
    assert [(d.sender, d.text) for d in got.drafts] == [("张三", "3栋门口的路灯\n已经坏了一周"), ("李四", "我拍了拍照片发群里了")]
    assert got.skipped == 7


def test_paste_edges():
    assert paste.parse("").drafts == [] and paste.parse(None).drafts == []
    got = paste.parse("没有发送人的一行\n张三：\n李四：有事\n12:30: 不是人名\nhttps://example.com/x")
    # text before the first message is dropped; an empty message is dropped; a number is no
    # sender, a link is no sender: both continue the message before
    assert [(d.sender, d.text) for d in got.drafts] == [("李四", "有事\n12:30: 不是人名\nhttps://example.com/x")]
    assert got.skipped == 1
    long = "一" * 25 + "：太长的名字"
    assert paste.parse(long).drafts == []
    assert paste.parse("张三：a\r\nb").drafts[0].text == "a\nb"


# ---------------------------------------------------------------- queue

def test_queue_numbers_and_moves():
    assert queue.next_number([]) == 1
    assert queue.next_number([1, 2, None, 5]) == 6  # gaps are not reused
    assert queue.ticket(7) == "007" and queue.ticket(1234) == "1234" and queue.ticket(None) == ""
    assert queue.target("waiting", "call") == "called"
    assert queue.target("called", "call") is None
    assert queue.target("called", "finish") == "done" and queue.target("waiting", "finish") == "done"
    assert queue.target("done", "finish") is None and queue.target("done", "left") is None
    assert queue.target("draft", "confirm") == "waiting" and queue.target("waiting", "confirm") is None
    assert queue.position([1, 3, 4], 4) == 2 and queue.position([5], 2) == 0


# ---------------------------------------------------------------- report

def _v(status, outcome="", category="property", case_kind="", number=1, day=D(2026, 11, 20)):
    return dict(status=status, outcome=outcome, category=category, case_kind=case_kind, number=number, day=day)


def test_day_summary():
    visits = [_v("done", "answered"), _v("done", "case", case_kind="request"), _v("done", "case", "neighbours", "dispute"),
              _v("done", "news"), _v("waiting"), _v("left"), _v("draft", number=None), _v("left", number=None)]
    s = report.summarise_day(visits)
    assert (s.visitors, s.done, s.waiting, s.left, s.answered, s.cases_opened, s.news) == (6, 4, 1, 1, 1, 2, 1)
    assert s.by_category == [("property", 5), ("neighbours", 1)]
    assert s.by_outcome == [("answered", 1), ("case", 2), ("news", 1)]
    assert s.by_case_kind == [("request", 1), ("dispute", 1)]


def test_period_bounds():
    assert report.period_bounds("week", D(2026, 11, 22)) == (D(2026, 11, 16), D(2026, 11, 22))
    assert report.period_bounds("week", D(2026, 11, 16)) == (D(2026, 11, 16), D(2026, 11, 22))
    assert report.period_bounds("month", D(2026, 12, 31)) == (D(2026, 12, 1), D(2026, 12, 31))
    assert report.period_bounds("month", D(2028, 2, 10)) == (D(2028, 2, 1), D(2028, 2, 29))
    assert report.period_bounds("year", D(2026, 6, 1)) == (D(2026, 1, 1), D(2026, 12, 31))
    with pytest.raises(ValueError):
        report.period_bounds("decade", D(2026, 1, 1))
    assert report.shift("month", D(2026, 12, 15), 1) == D(2027, 1, 1)
    assert report.shift("month", D(2026, 1, 15), -1) == D(2025, 12, 1)
    assert report.shift("week", D(2026, 11, 22), -1) == D(2026, 11, 9)
    assert report.shift("year", D(2026, 11, 22), -2) == D(2024, 1, 1)


def test_totals_include_both_ends():
    visits = [_v("done", "answered", day=D(2026, 11, 1)), _v("done", "case", day=D(2026, 11, 30)),
              _v("done", "news", day=D(2026, 11, 30)), _v("waiting", day=D(2026, 11, 30)),
              _v("done", "answered", day=D(2026, 12, 1)), _v("draft", number=None, day=D(2026, 11, 6))]
    t = report.totals(D(2026, 11, 1), D(2026, 11, 30), visits, opened=[D(2026, 11, 1), D(2026, 10, 31), D(2026, 11, 30)],
                      closed=[D(2026, 12, 1)])
    assert (t.reception_days, t.visitors, t.answers_given, t.services_provided, t.cases_opened_at_reception) == (2, 4, 1, 3, 1)
    assert (t.cases_opened, t.cases_closed) == (2, 0)
