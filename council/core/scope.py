"""Station scoping of the ids a request carries: one check for every id a write names.

Paths are scoped where a row is loaded (council.core.registry.get_row, cases.common.load_case,
meetings.common.load_meeting, votes.common.load_vote …). The ids a write carries in its body or
query string — the resident an opinion is from, the organisation a task goes to, the estate a vote
covers — are checked here, by one function the services call before they write:

    await ensure_in_scope(principal, "person", data["person"], field="person", station=case["station"])

Two things are checked:

1. the principal may see the row at all (their stations and communities; an admin sees all), and
2. when `station` is given, the row belongs to that station (or its community): an admin linking
   a case of one community to a resident of another is as wrong as a secretary doing it.

A row that does not exist and a row the principal may not see fail the same way, so ids cannot
be probed: with `field`, a 422 on that field ("Choose one of the listed options."), as for any
bad choice in a form; without, a 404 (OutOfScope), as for a path id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.core.errors import Invalid, OutOfScope
from council.core.prepared import Prepared, prepared

FIX = "Please correct the marked fields."
CHOOSE = "Choose one of the listed options."


@dataclass(frozen=True)
class Kind:
    table: str  # "module:Class", imported on first use (this module is imported by the services)
    # How a row is placed: "community" (its community column), "shared" (community, or none: every
    # station's), "station" (its station column), "self_station" (the row is a station), "user".
    placed_by: str


KINDS: dict[str, Kind] = {
    "station": Kind("council.stations.tables:Station", "self_station"),
    "room": Kind("council.stations.tables:Room", "station"),
    "estate": Kind("council.places.tables:Estate", "community"),
    "building": Kind("council.places.tables:Building", "community"),
    "unit": Kind("council.places.tables:Unit", "community"),
    "person": Kind("council.people.tables:Person", "community"),
    "organisation": Kind("council.parties.tables:Organisation", "shared"),
    "case": Kind("council.cases.tables:Case", "station"),
    "vote": Kind("council.votes.tables:Vote", "station"),
    "meeting": Kind("council.meetings.tables:Meeting", "station"),
    "dispute_file": Kind("council.mediation.tables:DisputeFile", "station"),
    "user": Kind("council.accounts.tables:User", "user"),
}


def _table(kind: str):
    import importlib

    module, name = KINDS[kind].table.split(":")
    return getattr(importlib.import_module(module), name)


MAX_ID = 2**31 - 1  # ids are 32-bit serials: a larger number names nothing (and would be a 5xx on PostgreSQL)


def _as_id(ident: Any) -> int | None:
    if isinstance(ident, bool):
        return None
    if isinstance(ident, str) and ident.strip().isdigit() and len(ident.strip()) < 12:
        ident = int(ident.strip())
    if isinstance(ident, int) and 0 < ident <= MAX_ID:
        return ident
    return None


async def _user_stations(user_id: int) -> set[int]:
    from council.accounts.tables import UserStation

    return {r["station"] for r in await UserStation.select(UserStation.station).where(UserStation.user == user_id)}


async def _station_community(station: int) -> int | None:
    from council.stations.tables import Station

    row = await Station.select(Station.community).where(Station.id == station).first()
    return row["community"] if row else None


def _visible(principal: Principal, kind: str, row: dict, user_stations: set[int]) -> bool:
    if principal.is_admin:
        return True
    placed = KINDS[kind].placed_by
    if principal.role == Role.department_liaison:
        # A liaison names no one but their own organisation (council.core.registry.scope_where).
        return kind == "organisation" and row["id"] == principal.organisation_id
    if placed == "self_station":
        return row["id"] in principal.station_ids or (
            principal.role == Role.resident and row["community"] in principal.community_ids)
    if placed == "station":
        return row["station"] in principal.station_ids
    if placed == "shared":
        return row["community"] is None or row["community"] in principal.community_ids
    if placed == "community":
        return row["community"] in principal.community_ids
    if placed == "user":
        return bool(user_stations & principal.station_ids) or row["id"] == principal.user_id
    raise AssertionError(placed)


def _belongs(kind: str, row: dict, station: int, community: int | None, user_stations: set[int]) -> bool:
    placed = KINDS[kind].placed_by
    if placed == "self_station":
        return row["id"] == station
    if placed == "station":
        return row["station"] == station
    if placed == "shared":
        return row["community"] is None or row["community"] == community
    if placed == "community":
        return row["community"] == community
    if placed == "user":
        return station in user_stations
    raise AssertionError(placed)


def _refuse(field: str | None):
    if field:
        return Invalid(FIX, errors={field: CHOOSE})
    return OutOfScope()


async def ensure_in_scope(principal: Principal, kind: str, ident: Any, *, field: str | None = None,
                          station: int | None = None) -> dict | None:
    """The row `kind`/`ident` if the principal may name it (and it belongs to `station`, when
    given); None for no id. Raises Invalid on `field`, or OutOfScope (404) without a field."""
    if ident is None or ident == "":
        return None
    rows = await ensure_all_in_scope(principal, kind, [ident], field=field, station=station)
    return rows[0]


_BY_ID: dict[str, Prepared] = {}


def _by_id(kind: str) -> Prepared:
    p = _BY_ID.get(kind)
    if p is None:
        t = _table(kind)
        p = _BY_ID[kind] = prepared(lambda ident: t.select().where(t.id == ident).first())
    return p


async def ensure_all_in_scope(principal: Principal, kind: str, idents: Iterable[Any], *, field: str | None = None,
                              station: int | None = None) -> list[dict]:
    """Every id of a list (buildings of a vote, voters, mediators …), checked as ensure_in_scope."""
    ids = [_as_id(i) for i in idents]
    if any(i is None for i in ids):
        raise _refuse(field)
    if not ids:
        return []
    if len(ids) == 1:  # the usual case (a form's station, estate, unit …): a select built once per kind
        row = await _by_id(kind)(ids[0])
        found = {row["id"]: row} if row is not None else {}
    else:
        t = _table(kind)
        found = {r["id"]: r for r in await t.select().where(t.id.is_in(sorted(set(ids))))}
    community = await _station_community(station) if station is not None else None
    out = []
    for i in ids:
        row = found.get(i)
        if row is None:
            raise _refuse(field)
        user_stations = await _user_stations(i) if KINDS[kind].placed_by == "user" else set()
        if not _visible(principal, kind, row, user_stations):
            raise _refuse(field)
        if station is not None and not _belongs(kind, row, station, community, user_stations):
            raise _refuse(field)
        out.append(row)
    return out


async def ensure_station(principal: Principal, station: Any, *, field: str | None = None) -> dict | None:
    """A station named in a query string or a body (`?station=`): one the principal serves."""
    return await ensure_in_scope(principal, "station", station, field=field)


async def check_fields(principal: Principal, data: dict, fields: dict[str, str], *, station: int | None,
                       errors: dict[str, str]) -> None:
    """Every id `data` carries in `fields` (field name → kind), checked as ensure_in_scope; what
    fails is added to `errors` (field → message) so it is reported with the form's other errors."""
    for name, kind in fields.items():
        value = data.get(name)
        if value is None or value == "" or name in errors:
            continue
        try:
            if isinstance(value, (list, tuple)):
                await ensure_all_in_scope(principal, kind, value, field=name, station=station)
            else:
                await ensure_in_scope(principal, kind, value, field=name, station=station)
        except Invalid as e:
            errors.update(e.errors)
