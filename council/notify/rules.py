"""Notification rules with no web or database imports: backoff, quiet hours, SMS segments.

Unit-tested at their boundaries in tests/test_notify_rules.py.
"""

from __future__ import annotations

import datetime as dt
import math

# Tries before a message goes to the dead letter, and the waits between them (seconds):
# 30 s, 1 min, 2 min, 4 min, … capped at one hour, so a provider's short outage costs minutes and
# a long one does not hammer it.
MAX_ATTEMPTS = 6
BACKOFF_BASE = 30
BACKOFF_CAP = 3600

CHANNELS = ("inapp", "email", "wecom", "sms")

# GSM-7 would allow 160/153, but Chinese text is UCS-2: 70 characters fit one SMS, and a long
# message is split into parts of 67 (each part carries a 3-character concatenation header).
SMS_SINGLE = 70
SMS_PART = 67


def backoff_seconds(attempts: int) -> int:
    """The wait after the `attempts`-th failed try (1-based)."""
    if attempts < 1:
        return 0
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1))


def is_dead(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS


def sms_segments(text: str) -> int:
    """How many SMS parts the provider bills for `text` (signature included by the caller)."""
    n = len(text)
    if n == 0:
        return 0
    if n <= SMS_SINGLE:
        return 1
    return math.ceil(n / SMS_PART)


def _hm(value: str) -> dt.time:
    h, m = value.split(":")
    return dt.time(int(h), int(m))


def parse_hm(value: str) -> dt.time | None:
    try:
        return _hm(value.strip())
    except (ValueError, AttributeError):
        return None


def in_quiet_hours(local: dt.datetime, start: str = "21:00", end: str = "08:00") -> bool:
    """Quiet hours may wrap midnight (21:00–08:00). Equal start and end: no quiet hours."""
    s, e, t = _hm(start), _hm(end), local.time()
    if s == e:
        return False
    if s < e:
        return s <= t < e
    return t >= s or t < e


def quiet_until(local: dt.datetime, start: str = "21:00", end: str = "08:00") -> dt.datetime:
    """The first moment at or after `local` outside quiet hours (local wall-clock time)."""
    if not in_quiet_hours(local, start, end):
        return local
    e = _hm(end)
    candidate = local.replace(hour=e.hour, minute=e.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


def holds_for_quiet(channel: str, urgent: bool) -> bool:
    """Only SMS waits for the morning: an in-app line, an e-mail or a group message does not ring
    anyone's phone at night. Urgent messages never wait."""
    return channel == "sms" and not urgent


# ---------------------------------------------------------------- reminders by date

# An overdue obligation is reminded once, when the scheduler first sees it overdue within this many
# days after its due date: a scheduler down for longer (or a first start on old data) does not
# flood the parties with reminders about terms long past, which the mediator follows up in person.
OBLIGATION_OVERDUE_DAYS = 7
DUTY_REMIND_HOUR = 8  # the duty reminder goes from 08:00 the day before


def obligation_mark(due: dt.date | None, today: dt.date, performed: bool = False) -> str | None:
    """Which reminder an agreement's term is due on `today`: "tomorrow" (the day before it falls
    due), "today" (its due day), "overdue" (from the day after, for OBLIGATION_OVERDUE_DAYS days),
    or None (nothing due, no date, or already performed)."""
    if due is None or performed:
        return None
    left = (due - today).days
    if left == 1:
        return "tomorrow"
    if left == 0:
        return "today"
    if -OBLIGATION_OVERDUE_DAYS <= left < 0:
        return "overdue"
    return None


def duty_reminder_due(now_local: dt.datetime, day: dt.date, start: dt.time) -> bool:
    """The person on duty at a reception day hears of it from 08:00 the day before until the
    reception starts (a scheduler that was down the day before catches up on the morning)."""
    begin = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(DUTY_REMIND_HOUR), now_local.tzinfo)
    end = dt.datetime.combine(day, start, now_local.tzinfo)
    return begin <= now_local < end
