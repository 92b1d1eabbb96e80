"""The station's people's mediation committee: its name, and the abbreviation in its file numbers
(（2026）振兴路人调字第 15 号). The secretariat keeps it; a change applies to files numbered after it."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Forbidden
from council.mediation import store
from council.mediation.fields import Reader
from council.mediation.tables import MediationCommittee


async def _station(principal: Principal, station_id: int, *, reading: bool = False) -> None:
    """Not found before not yours: an unknown station says nothing about anyone's stations."""
    from council.core.errors import NotFound
    from council.stations.tables import Station

    store.require_role(principal)
    if not await Station.exists().where(Station.id == station_id):
        raise NotFound()
    store.require_station(principal, station_id, reading=reading)


async def committee(principal: Principal, station_id: int) -> dict:
    await _station(principal, station_id, reading=True)
    return await store.committee_for(station_id)


async def update_committee(principal: Principal, station_id: int, data: dict[str, Any], ip: str = "") -> dict:
    r = Reader(data, {"name", "abbreviation"})
    name = r.text("name", required=True, limit=120)
    abbreviation = r.text("abbreviation", required=True, limit=20)
    version = r.version()
    if abbreviation and any(c in abbreviation for c in "（）()第号 "):
        r.errors["abbreviation"] = "Only the place name, e.g. 振兴路."
    if principal.role not in (Role.admin, Role.secretary):
        raise Forbidden()  # the role first: a mediator learns nothing about which stations exist
    await _station(principal, station_id)
    r.check()
    async with db.write():
        row = await store.committee_for(station_id)
        values = {"name": name, "abbreviation": abbreviation}
        await store.update_versioned(MediationCommittee, row["id"], version, row["version"], values)
        b, a = audit.diff({k: row[k] for k in values}, values)
        await audit.record(principal, "mediation.committee", entity_type="mediation_committee", entity_id=row["id"],
                           before=b, after=a, station_id=station_id, ip=ip)
    return await store.committee_for(station_id)
