"""Mediation sessions as busy times for the meetings package's registry (council.meetings.busy).

A session is booked as a meeting (council.meetings.linked), and that meeting holds its room and
its mediators through the meetings' own source — so a session with a meeting is not counted here
again (it would be busy twice, and clash with its own meeting when moved). Only sessions booked
before sessions became meetings (meeting is null, migration 0009) are registered here, until they
are moved (which books their meeting) or cancelled. Imported by that registry (its _load_sources).
"""

from __future__ import annotations

import datetime as dt
import json

from council.meetings import busy
from council.mediation.tables import MediationSession


@busy.source
async def mediation_sessions(start: dt.datetime, end: dt.datetime, keys: frozenset[str]) -> list[busy.Busy]:
    rows = await MediationSession.select(
        MediationSession.id, MediationSession.starts_at, MediationSession.ends_at, MediationSession.room,
        MediationSession.mediators,
    ).where((MediationSession.starts_at < end.astimezone(dt.timezone.utc))
            & (MediationSession.ends_at > start.astimezone(dt.timezone.utc))
            & MediationSession.meeting.is_null() & MediationSession.cancelled_at.is_null())
    out = []
    for r in rows:
        ref = f"mediation_session:{r['id']}"
        mediators = r["mediators"]
        if isinstance(mediators, str):  # SQLite hands JSON back as text
            mediators = json.loads(mediators or "[]")
        who = [f"user:{u}" for u in mediators or []] + ([f"room:{r['room']}"] if r["room"] else [])
        out.extend(busy.Busy(k, r["starts_at"], r["ends_at"], "调解会", ref) for k in who if k in keys)
    return out
