"""Who may do what at the reception day. Pure: decided from the role and the principal's stations.

Staff of the station (secretary, grid workers, mediators) and admins work the desk: log visits,
call, finish, paste the grid group. The secretariat keeps the schedule and the roster, and
decides swaps; any staff member on the roster may ask for a swap.
"""

from __future__ import annotations

from council.accounts.permissions import Role

DESK = frozenset({Role.admin, Role.secretary, Role.grid_worker, Role.mediator})
SECRETARIAT = frozenset({Role.admin, Role.secretary})


def _at(p, station: int) -> bool:
    return p.role == Role.admin or station in p.station_ids


def can_work_desk(p, station: int) -> bool:
    return p.role in DESK and _at(p, station)


def can_manage(p, station: int) -> bool:
    return p.role in SECRETARIAT and _at(p, station)


def can_request_swap(p, station: int) -> bool:
    return can_work_desk(p, station)
