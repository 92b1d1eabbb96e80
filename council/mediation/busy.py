"""Mediation sessions as busy times for the meetings package's registry (council.meetings.busy):
a session books its room and its mediators, so neither a meeting nor another session is put on
top of it. Imported by that registry (its _load_sources) and by the session use case."""

from __future__ import annotations

import datetime as dt

from council.meetings import busy
from council.mediation.tables import MediationSession


@busy.source
async def mediation_sessions(start: dt.datetime, end: dt.datetime, keys: frozenset[str]) -> list[busy.Busy]:
    rows = await MediationSession.select(
        MediationSession.id, MediationSession.starts_at, MediationSession.ends_at, MediationSession.room,
        MediationSession.mediators,
    ).where((MediationSession.starts_at < end) & (MediationSession.ends_at > start))
    out = []
    for r in rows:
        ref = f"mediation_session:{r['id']}"
        mediators = r["mediators"]
        if isinstance(mediators, str):  # SQLite hands JSON back as text
            import json

            mediators = json.loads(mediators or "[]")
        who = [f"user:{u}" for u in mediators or []] + ([f"room:{r['room']}"] if r["room"] else [])
        out.extend(busy.Busy(k, r["starts_at"], r["ends_at"], "调解会", ref) for k in who if k in keys)
    return out
