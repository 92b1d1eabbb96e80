"""Working hours written the way people say them: "Mon-Fri 09:00-17:30", "周一至周五 9:00-17:30".

Stored as [{"weekday": 0-6, "start": "09:00", "end": "17:30"}] (0 = Monday). No web or database imports.
"""

from __future__ import annotations

import re

DAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6, "周天": 6,
}
SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LINE = re.compile(
    r"^\s*(?P<d1>[A-Za-z]{3}|周.)\s*(?:(?:-|–|~|至|到)\s*(?P<d2>[A-Za-z]{3}|周.))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*(?:-|–|~|至|到)\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})\s*$"
)


def _day(token: str) -> int:
    key = token.lower() if token.isascii() else token
    if key not in DAY_NAMES:
        raise ValueError("Unknown weekday in working hours.")
    return DAY_NAMES[key]


def parse(text: str) -> list[dict]:
    periods: list[dict] = []
    for raw in re.split(r"[\n;；]+", text or ""):
        if not raw.strip():
            continue
        m = LINE.match(raw)
        if not m:
            raise ValueError("Write working hours like: Mon-Fri 09:00-17:30 (one period per line).")
        first = _day(m["d1"])
        last = _day(m["d2"]) if m["d2"] else first
        if last < first:
            raise ValueError("Unknown weekday in working hours.")
        h1, m1, h2, m2 = int(m["h1"]), int(m["m1"]), int(m["h2"]), int(m["m2"])
        if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
            raise ValueError("A working period must end after it starts.")
        for day in range(first, last + 1):
            period = {"weekday": day, "start": f"{h1:02d}:{m1:02d}", "end": f"{h2:02d}:{m2:02d}"}
            if period not in periods:  # a repeated line adds nothing: keep the stored form canonical
                periods.append(period)
    periods.sort(key=lambda p: (p["weekday"], p["start"], p["end"]))
    return periods


def format_hours(periods: list[dict]) -> str:
    """Group consecutive days with the same hours back into "Mon-Fri 09:00-17:30" lines."""
    by_time: dict[tuple[str, str], list[int]] = {}
    for p in periods or []:
        by_time.setdefault((p["start"], p["end"]), []).append(int(p["weekday"]))
    lines = []
    for (start, end), days in sorted(by_time.items(), key=lambda kv: (min(kv[1]), kv[0])):
        days = sorted(set(days))
        run_start = prev = days[0]
        for d in days[1:] + [None]:
            if d is not None and d == prev + 1:
                prev = d
                continue
            label = SHORT[run_start] if run_start == prev else f"{SHORT[run_start]}-{SHORT[prev]}"
            lines.append(f"{label} {start}-{end}")
            if d is not None:
                run_start = prev = d
    return "\n".join(lines)
