"""Who may do what with a meeting. Pure: no web or database imports.

Secretaries (and admins) of the meeting's station run meetings: create, schedule, invite, force
a booking over a conflict, approve minutes. The chair and the recorder (staff of the station)
may also take attendance and write the minutes. Other staff of the station read. A liaison sees
the meetings their organisation is invited to, a resident the ones they are invited to, and each
answers their own invitation.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.accounts.permissions import OVERSIGHT, STAFF, Role
from council.accounts.principal import Principal


@dataclass(frozen=True)
class MeetingView:
    station: int
    chair: int | None = None
    recorder: int | None = None
    party_keys: frozenset[str] = frozenset()


def own_keys(p: Principal) -> frozenset[str]:
    """The busy/party keys that are this user: themselves, their organisation, their person record."""
    keys = {f"user:{p.user_id}"}
    if p.organisation_id:
        keys.add(f"org:{p.organisation_id}")
    if p.person_id:
        keys.add(f"person:{p.person_id}")
    return frozenset(keys)


def can_view(p: Principal, m: MeetingView) -> bool:
    if p.is_admin:
        return True
    if p.role in STAFF and m.station in p.station_ids:
        return True
    if p.role in OVERSIGHT and m.station in p.station_ids:
        return True  # the street / district above the station reads its meetings and minutes
    return bool(own_keys(p) & m.party_keys)


def can_manage(p: Principal, m: MeetingView | None = None, station: int | None = None) -> bool:
    station = m.station if m is not None else station
    return p.is_admin or (p.role == Role.secretary and station in p.station_ids)


def can_record(p: Principal, m: MeetingView) -> bool:
    """Attendance and minutes: the secretary, or the chair / recorder of this meeting."""
    if can_manage(p, m):
        return True
    return p.role in STAFF and m.station in p.station_ids and p.user_id in (m.chair, m.recorder)


def can_force(p: Principal) -> bool:
    """Booking over a conflict is a secretary's call (audited)."""
    return p.role in (Role.secretary, Role.admin)


def can_answer(p: Principal, m: MeetingView, party_key: str) -> bool:
    """Answer an invitation: the party itself, or the secretary on the party's behalf (phoned in)."""
    return can_manage(p, m) or party_key in own_keys(p)
