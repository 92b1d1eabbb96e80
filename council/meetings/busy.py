"""A registry of busy-time sources: who is busy when, from every package that books people or rooms.

The slot finder and the double-booking check ask every registered source for the busy intervals
of a set of keys inside a window. Keys name what is busy:

    "org:12"   an organisation (its delegates are taken as the organisation's time)
    "user:3"   a staff member (a Council user)
    "person:7" a resident / individual person
    "room:4"   a station room

A package that books time registers an async source by importing this module:

    from council.meetings import busy

    @busy.source
    async def mediation_sessions(start, end, keys):
        ...
        return [busy.Busy("user:3", s, e, "调解会")]

A source returns only intervals that overlap [start, end) and whose key is in ``keys``; it must not
raise for keys it does not know. Times are timezone-aware datetimes. This interface is stable:
other helpers build on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable

SourceFn = Callable[[dt.datetime, dt.datetime, frozenset[str]], Awaitable[list["Busy"]]]


@dataclass(frozen=True)
class Busy:
    who: str  # "org:12", "user:3", "person:7", "room:4"
    start: dt.datetime
    end: dt.datetime
    label: str = ""
    # What booked the time ("meeting:5", "mediation_session:9" …): lets a meeting being rescheduled
    # ignore its own booking. Optional so sources that do not care can leave it empty.
    ref: str = ""


SOURCES: list[SourceFn] = []


def source(fn: SourceFn) -> SourceFn:
    """Register an async busy-time source. Registering the same function twice is a no-op."""
    if fn not in SOURCES:
        SOURCES.append(fn)
    return fn


def key(kind: str, ident: int | str) -> str:
    return f"{kind}:{ident}"


def parse_key(value: str) -> tuple[str, int]:
    kind, _, ident = value.partition(":")
    return kind, int(ident)


def _load_sources() -> None:
    """Import the packages known to register sources, so the registry is full however the app
    was started. A package that is not there (yet) is skipped."""
    import importlib

    for module in ("council.meetings.sources", "council.mediation.busy", "council.reception.busy"):
        try:
            importlib.import_module(module)
        except ImportError:
            pass


async def collect(start: dt.datetime, end: dt.datetime, keys: Iterable[str], *,
                  ignore_ref: str = "") -> list[Busy]:
    """Every busy interval from every source for these keys within [start, end)."""
    _load_sources()
    wanted = frozenset(keys)
    if not wanted:
        return []
    found: list[Busy] = []
    for fn in list(SOURCES):
        for b in await fn(start, end, wanted):
            if b.who in wanted and b.start < end and b.end > start and (not ignore_ref or b.ref != ignore_ref):
                found.append(b)
    found.sort(key=lambda b: (b.who, b.start))
    return found
