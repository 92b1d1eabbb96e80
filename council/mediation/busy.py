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

from council.meetings import busy, owners
from council.mediation.tables import MediationSession

# msgid (mediation.po): shown when someone tries to move a session's meeting on the meetings pages.
OWNED = "This meeting books a mediation session: move or cancel the session in its mediation file."


@owners.owner
async def session_of_meeting(meeting_id: int) -> owners.Owner | None:
    """A session's meeting is moved and cancelled through the session (council.mediation.sessions),
    which keeps the two in step and writes the file's history."""
    row = await MediationSession.select(MediationSession.dispute).where(
        MediationSession.meeting == meeting_id).first()
    return owners.Owner(f"/mediation/{row['dispute']}", OWNED, "mediation") if row else None


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
