"""Who may work on dispute files. Pure: from the role and the principal's stations.

Mediation files hold what parties said in confidence and their identity papers: only the
mediators, the secretariat and admins open them — not grid workers, liaisons or residents."""

from __future__ import annotations

from council.accounts.permissions import JUDICIAL, Role

MEDIATION_ROLES = frozenset({Role.admin, Role.secretary, Role.mediator})


def can_use(p) -> bool:
    """Open the mediation pages: those who work the files, and the judicial office of the area
    (司法所), which reads files and statistics, masked, and changes nothing."""
    return p is not None and (p.role in MEDIATION_ROLES or p.role in JUDICIAL)


def can_change(p) -> bool:
    """Write anything in a mediation file: not the judicial office, which only reads."""
    return p is not None and p.role in MEDIATION_ROLES


def can_read_file(p, station_id: int) -> bool:
    return can_use(p) and (p.role == Role.admin or station_id in p.station_ids)


def can_work_on(p, station_id: int) -> bool:
    return can_change(p) and (p.role == Role.admin or station_id in p.station_ids)
