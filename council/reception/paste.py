"""Reading messages pasted from a grid's WeChat group (网格微信群) into draft visits.
Pure: no web or database imports.

What a copy from WeChat looks like varies with the device, so each line is read on its own:

    张三: 3栋电梯又坏了            name, colon (ASCII or full-width ：), message
    张三：3栋电梯又坏了
    [10:32] 张三：楼道灯不亮        a time in brackets (or bare) before the name
    10:32 张三: …
    张三 10:32                      a header alone (the desktop copy): the message follows on the
    楼道里堆满了杂物                next lines, until the next header
    张三 2026/11/20 10:32           a header with a date

A line that is no header continues the message before it (a message may span lines). System
lines (recalls, joins, pats, time separators, "以下为新消息") are dropped. Lines before the first
message that are not headers are dropped too, and counted.

Ambiguity: "地址：3栋" inside a message reads like "name: message". Inside a message whose
header stood alone (the desktop copy), such a line starts a new message only if the name is a
sender already seen in the paste.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_NAME = 20

_TIME = r"(?:[01]?\d|2[0-3])[:：][0-5]\d(?:[:：][0-5]\d)?"
_DATE = (r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}月\d{1,2}日|\d{1,2}/\d{1,2}"
         r"|昨天|前天|今天|星期[一二三四五六日天]|周[一二三四五六日天])")
_STAMP = rf"(?:{_DATE}\s*)?(?:(?:上午|下午|晚上|凌晨|中午)\s*)?{_TIME}"
_NAME = r"[^\s:：\[\]【】][^:：\[\]【】]{0,%d}?" % (MAX_NAME - 1)

# [10:32] 张三：text   /  10:32 张三: text   /  【10:32】张三：text
LEADING_TIME = re.compile(rf"^[\[【(（]?\s*(?P<time>{_STAMP})\s*[\]】)）]?\s*(?P<name>{_NAME})\s*[:：]\s?(?P<text>.*)$")
# 张三 10:32  (header alone)  /  张三 2026/11/20 10:32  /  张三 10:32：text
TRAILING_TIME = re.compile(rf"^(?P<name>{_NAME})\s+[\[【(（]?(?P<time>{_STAMP})[\]】)）]?\s*(?:[:：]\s?(?P<text>.*))?$")
# 张三: text
PLAIN = re.compile(rf"^(?P<name>{_NAME})\s*[:：]\s?(?P<text>.*)$")

SEPARATORS = [re.compile(p) for p in (
    rf"^[—\-=\s]*{_STAMP}[—\-=\s]*$",  # a time separator: "—— 10:32 ——" or a bare "10:32"
    rf"^[—\-=\s]*{_DATE}[—\-=\s]*$",
)]
# System notices; one counts only where its words come before any colon (so "张三：我拍了拍照片"
# stays a message).
SYSTEM = [re.compile(p) for p in (
    r"撤回了一条消息", r"邀请.+加入了群聊", r"加入了群聊", r"退出了群聊", r"移出了群聊", r"拍了拍",
    r"修改群名为", r"^以下为新消息", r"^—+\s*以下是新消息\s*—+$", r"^\s*以上是历史消息", r"群公告.*已更新",
    r"^\[?(?:系统消息|System Message)\]?", r"^你已添加了", r"开启了群聊邀请确认", r"成为新群主",
    r"recalled a message", r"joined the group chat", r"invited .+ to the group chat",
)]


@dataclass
class Draft:
    sender: str
    text: str
    time: str = ""  # as written ("10:32", "昨天 10:32"); the paste carries no reliable date
    line: int = 0  # where the message starts in the paste (1-based)
    parts: list[str] = field(default_factory=list, repr=False, compare=False)  # joined once at the end


@dataclass
class Parsed:
    drafts: list[Draft] = field(default_factory=list)
    skipped: int = 0  # lines dropped: system lines, and text before the first message


def _clean_name(name: str) -> str | None:
    name = name.strip().strip("@")
    if not name or len(name) > MAX_NAME:
        return None
    if re.fullmatch(r"[\d\s\-./:：]+", name):  # a number or a date is never a sender
        return None
    if re.search(r"https?$|www\.?$", name, re.I):  # "https://…" is a link in a message
        return None
    return name


# System notices and separators are short. Looking at a line's head only keeps the patterns with
# ".+" linear: over a whole 50 KB line of "邀请邀请…" each try scans to the end (quadratic, seconds).
SYSTEM_HEAD = 200
SEPARATOR_MAX = 80


def _is_system(line: str) -> bool:
    if len(line) <= SEPARATOR_MAX and any(p.search(line) for p in SEPARATORS):
        return True
    head = line[:SYSTEM_HEAD]
    colon = min((i for i in (head.find(":"), head.find("：")) if i >= 0), default=len(head))
    return any((m := p.search(head)) is not None and m.start() < colon for p in SYSTEM)


def parse(text: str) -> Parsed:
    out = Parsed()
    current: Draft | None = None
    header_alone = False  # the current message's header stood on its own line
    senders: set[str] = set()
    for number, raw in enumerate((text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = raw.strip().replace("\u200b", "").replace("\ufeff", "")
        if not line:
            if current is not None and current.parts:
                current.parts.append("\n")  # keep paragraph breaks inside a message; trimmed at the end
            continue
        if _is_system(line):
            out.skipped += 1
            continue
        found = None
        for pattern in (LEADING_TIME, TRAILING_TIME):
            m = pattern.match(line)
            if m and _clean_name(m.group("name")):
                found = (_clean_name(m.group("name")), m.group("time"), m.group("text"))
                break
        if found is None:
            m = PLAIN.match(line)
            name = _clean_name(m.group("name")) if m else None
            if name and (not header_alone or current is None or name in senders):
                found = (name, "", m.group("text"))
        if found is not None:
            name, time, body = found
            if current is not None:
                out.drafts.append(current)
            first = (body or "").strip()
            current = Draft(sender=name, text="", time=(time or "").replace("：", ":"), line=number,
                            parts=[first] if first else [])
            header_alone = body is None
            senders.add(name)
            continue
        if current is None:
            out.skipped += 1
            continue
        # Lines are collected and joined once: adding each to a growing string was quadratic.
        if current.parts and current.parts[-1] != "\n":
            current.parts.append("\n")
        current.parts.append(line)
    if current is not None:
        out.drafts.append(current)
    for d in out.drafts:
        d.text = re.sub(r"\n{2,}", "\n", "".join(d.parts)).strip()
        d.parts = []
    out.drafts = [d for d in out.drafts if d.text]
    return out
