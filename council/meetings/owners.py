"""Meetings that another package's record owns: a mediation session is booked as a meeting
(council.meetings.linked), and its time, room and cancellation belong to the session — moved on the
meetings pages, the meeting and the session would tell different times. So the meetings use cases
ask this registry before moving, cancelling or re-rooming a meeting, and send the user to the
owning record instead.

A package registers an async lookup (meeting id → Owner or None), imported by the same loader as
the busy-time sources (council.meetings.busy._load_sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable


@dataclass(frozen=True)
class Owner:
    url: str  # the owning record's page
    message: str  # msgid: why the meeting cannot be moved here, and where to do it
    resource: str  # permissions.MATRIX key a reader needs to follow `url`


OwnerFn = Callable[[int], Awaitable["Owner | None"]]
OWNERS: list[OwnerFn] = []


def owner(fn: OwnerFn) -> OwnerFn:
    if fn not in OWNERS:
        OWNERS.append(fn)
    return fn


async def owner_of(meeting_id: int) -> Owner | None:
    from council.meetings.busy import _load_sources

    _load_sources()
    for fn in list(OWNERS):
        found = await fn(meeting_id)
        if found is not None:
            return found
    return None
