"""The station work report for one month (议事驿站工作月报), computed from plain rows.

Pure: rows in, figures out, so the figures can be checked against a hand-computed data set.
- received: cases registered in the month (any kind but disputes, which the mediation table
  reports), by channel and by category;
- done: cases closed in the month; on time: requests closed in the month on or before their
  deadline (a request without a deadline counts as on time); proposals have no single deadline;
- satisfaction: ratings given in the month, satisfied + basically satisfied over all ratings;
- typical cases: the month's done cases with the best ratings first, at most five.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

GOOD = ("satisfied", "basically_satisfied")


@dataclass
class StationMonth:
    station: str
    received: int = 0
    by_channel: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    done: int = 0
    done_requests: int = 0
    on_time: int = 0
    ratings: Counter = field(default_factory=Counter)
    typical: list[tuple[str, str]] = field(default_factory=list)  # (number, title)

    @property
    def on_time_rate(self) -> Fraction | None:
        return Fraction(self.on_time, self.done_requests) if self.done_requests else None

    @property
    def satisfaction(self) -> Fraction | None:
        total = sum(self.ratings.values())
        return Fraction(sum(self.ratings[r] for r in GOOD), total) if total else None


def local_day(moment: dt.datetime, zone) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone).date()


def compute(station: str, received: list[dict], done: list[dict], ratings: list[dict], zone) -> StationMonth:
    """received: {channel, category}; done: {id, number, title, kind, due_date, closed_at};
    ratings: {case, rating} — all already limited to the station and the month."""
    m = StationMonth(station)
    m.received = len(received)
    m.by_channel.update(r["channel"] for r in received)
    m.by_category.update(r["category"] for r in received)
    m.done = len(done)
    for r in done:
        if r["kind"] == "request":
            m.done_requests += 1
            closed = local_day(r["closed_at"], zone)
            m.on_time += r["due_date"] is None or closed <= r["due_date"]
    m.ratings.update(r["rating"] for r in ratings)
    score = {}
    for r in ratings:
        score[r["case"]] = score.get(r["case"], 0) + (2 if r["rating"] == "satisfied" else 1 if r["rating"] in GOOD else 0)
    ranked = sorted(done, key=lambda r: (-score.get(r["id"], 0), r["number"]))
    m.typical = [(r["number"], r["title"]) for r in ranked[:5]]
    return m


def percent(value: Fraction | None) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"
