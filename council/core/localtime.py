"""Station-local time. Every station Council serves keeps China Standard Time, so one zone serves
all: deadlines are counted in its days and every time on a page, PDF or calendar is shown in it.
Times are stored timezone-aware (UTC on PostgreSQL); a naive value read back is UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")


def local_time(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` as the station's wall-clock time; '' for none."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(LOCAL).strftime(fmt)
