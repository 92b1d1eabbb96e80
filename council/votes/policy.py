"""Who may do what with a vote. Pure: decided from the role and the principal's stations."""

from __future__ import annotations

from council.accounts.permissions import OVERSIGHT, Role

SECRETARIAT = frozenset({Role.admin, Role.secretary})
STAFF = frozenset({Role.admin, Role.secretary, Role.grid_worker, Role.mediator})
# Who reads votes: the station's staff, and the street / district officers above it.
READERS = STAFF | OVERSIGHT
# Paper and meeting ballots are entered at the station by the secretary or a grid worker who
# collected the forms on home visits.
ENTERERS = frozenset({Role.admin, Role.secretary, Role.grid_worker})


def _at(p, station: int) -> bool:
    return p.role == Role.admin or station in p.station_ids


def can_view(p, station: int) -> bool:
    """The staff page of a vote: live progress, the electorate, who has voted. The street and
    district officers above the station read it too (they change nothing)."""
    return (p.role in STAFF or p.role in OVERSIGHT) and _at(p, station)


def can_manage(p, station: int) -> bool:
    """Create, open, close a vote; print its voting letters (they carry the voting links);
    correct a ballot before closing."""
    return p.role in SECRETARIAT and _at(p, station)


def can_enter(p, station: int) -> bool:
    """Enter a paper or meeting ballot for a voter."""
    return p.role in ENTERERS and _at(p, station)
