"""Importing a property register into an estate, and exporting it back.

preview() checks a parsed file against the estate and writes nothing. commit() checks it
again inside ONE write transaction (the estate may have changed since the preview) and then
writes everything or, on any error, nothing: buildings that are missing, units, owners
(people) and ownerships with exactly one representative per unit, and one audit entry
"register.import" with the counts.

Owners are matched to people already registered in the community by name + phone (or name +
ID number when there is no phone), so an owner of several units stays one person — the vote
count (DOMAIN §5) depends on it. An owner with neither phone nor ID number is always a new
person: a name alone may belong to two neighbours. Existing people are never changed.

What happens to unit numbers already in the estate is the mode's business; see the
re-import policy in council.places.register_file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from council import db
from council.accounts import permissions
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.people.tables import Ownership, Person
from council.places import register_file as rf
from council.places.tables import Building, Estate, Unit
from council.privacy import mask_id_number, mask_phone, Unmasked
from council.stations.tables import Station, StationEstate


class RegisterRejected(Invalid):
    """The file has errors: nothing was written. Carries the report for the page or API to show."""

    def __init__(self, message: str, *, report: rf.Report, **kw):
        super().__init__(message, **kw)
        self.report = report


@dataclass
class Outcome:
    report: rf.Report
    summary: dict[str, int]
    estate: dict


# ---------------------------------------------------------------- access

def require_import(principal: Principal) -> None:
    if not permissions.can_write(principal.role, "register_import"):
        raise Forbidden()


async def estate_for(principal: Principal, estate_id: int) -> dict:
    estate = await Estate.select().where(Estate.id == estate_id).first()
    if estate is None:
        raise NotFound()
    principal.require_community(estate["community"])
    return estate


async def importable_estates(principal: Principal) -> list[dict]:
    """The estates this principal may import into, by name."""
    require_import(principal)
    query = Estate.select(Estate.id, Estate.name, Estate.community.name.as_alias("community_name")).order_by(Estate.name)
    if not principal.is_admin:
        query = query.where(Estate.community.is_in(list(principal.community_ids) or [-1]))
    return await query


async def _station_of(principal: Principal, estate: dict) -> int | None:
    """The station an audit entry belongs to: one serving the estate (the principal's own first),
    else a station of the estate's community — a new estate may not be assigned to one yet."""
    serving = await StationEstate.select(StationEstate.station).where(StationEstate.estate == estate["id"]).order_by(StationEstate.station)
    ids = [r["station"] for r in serving]
    if not ids:
        local = await Station.select(Station.id).where(Station.community == estate["community"]).order_by(Station.id)
        ids = [r["id"] for r in local]
    mine = [s for s in ids if s in principal.station_ids]
    return (mine or ids or [None])[0]


# ---------------------------------------------------------------- checking

async def _existing(estate_id: int) -> tuple[dict[str, dict], dict[str, int]]:
    units = await Unit.select().where(Unit.estate == estate_id)
    buildings = await Building.select(Building.id, Building.number).where(Building.estate == estate_id)
    return {u["number"]: u for u in units}, {b["number"]: b["id"] for b in buildings}


async def _check(estate_id: int, sheet: rf.Sheet, mode: str) -> tuple[rf.Report, dict[str, int], dict, dict]:
    units, buildings = await _existing(estate_id)
    report = rf.validate(sheet, units.keys(), mode)
    return report, report.summary(buildings.keys()), units, buildings


async def preview(principal: Principal, estate_id: int, rows: rf.Sheet, mode: str = "create") -> Outcome:
    """What the file would do. Writes nothing."""
    require_import(principal)
    estate = await estate_for(principal, estate_id)
    report, summary, _, _ = await _check(estate_id, rows, mode)
    return Outcome(report=report, summary=summary, estate=estate)


# ---------------------------------------------------------------- writing

async def commit(principal: Principal, estate_id: int, rows: rf.Sheet, mode: str = "create", ip: str = "") -> Outcome:
    require_import(principal)
    try:
        async with db.write():
            estate = await estate_for(principal, estate_id)
            report, summary, units, buildings = await _check(estate_id, rows, mode)
            if not report.ok:
                raise RegisterRejected("The file has errors. Nothing was imported.", report=report)
            counts, before = await _write(estate, report, units, buildings)
            summary.update(counts)
            await audit.record(
                principal, "register.import", entity_type="estate", entity_id=estate_id,
                before={"units": before} if before else None,
                after={"mode": mode, **summary}, station_id=await _station_of(principal, estate), ip=ip,
            )
    except Exception as e:
        # Someone else registered the same unit or building between our check and our insert.
        if db.is_unique_violation(e):
            raise Conflict("Someone changed this estate's register while importing. Nothing was imported; try again.") from None
        raise
    return Outcome(report=report, summary=summary, estate=estate)


async def _write(estate: dict, report: rf.Report, units: dict[str, dict], buildings: dict[str, int]) -> tuple[dict, list]:
    community = estate["community"]
    now = dt.datetime.now(dt.timezone.utc)
    new_numbers = sorted({r.building for r in report.rows} - buildings.keys())
    if new_numbers:
        created = await Building.insert(*[
            Building(community=community, estate=estate["id"], number=n) for n in new_numbers
        ]).returning(Building.id, Building.number)
        buildings.update({b["number"]: b["id"] for b in created})

    unit_ids: dict[str, int] = {}
    fresh = [r for r in report.rows if r.action == "create"]
    for chunk in range(0, len(fresh), 300):
        inserted = await Unit.insert(*[
            Unit(community=community, estate=estate["id"], building=buildings[r.building], number=r.unit,
                 area_m2=r.area_m2, area_source=r.area_source, developer_unsold=r.developer_unsold, updated_at=now)
            for r in fresh[chunk:chunk + 300]
        ]).returning(Unit.id, Unit.number)
        unit_ids.update({u["number"]: u["id"] for u in inserted})

    before = []
    for r in (r for r in report.rows if r.action == "update"):
        current = units[r.unit]
        owners = await Ownership.select(Ownership.person, Ownership.is_representative).where(Ownership.unit == current["id"])
        before.append({
            "unit": r.unit, "building": current["building"], "area_m2": current["area_m2"],
            "area_source": current["area_source"], "developer_unsold": current["developer_unsold"],
            "owners": [o["person"] for o in owners],
            "representative": next((o["person"] for o in owners if o["is_representative"]), None),
        })
        await Unit.update({
            Unit.building: buildings[r.building], Unit.area_m2: r.area_m2, Unit.area_source: r.area_source,
            Unit.developer_unsold: r.developer_unsold, Unit.updated_at: now, Unit.version: Unit.version + 1,
        }).where(Unit.id == current["id"])
        await Ownership.delete().where(Ownership.unit == current["id"])
        unit_ids[r.unit] = current["id"]

    people = _PersonFinder(community)
    await people.load([o for r in report.rows for o in r.owners])
    planned = [(unit_ids[r.unit], owner, people.resolve(owner)) for r in report.rows for owner in r.owners]
    person_ids = await people.insert_new()
    ownerships = [
        Ownership(community=community, unit=unit_id, person=person_ids(ref), is_representative=owner.is_representative)
        for unit_id, owner, ref in planned
    ]
    for chunk in range(0, len(ownerships), 300):
        await Ownership.insert(*ownerships[chunk:chunk + 300])
    return {
        "buildings_created": len(new_numbers), "units_created": len(fresh), "units_updated": len(before),
        "people_created": people.created, "people_matched": people.matched, "ownerships_created": len(ownerships),
    }, before


class _PersonFinder:
    """Owners by rf.person_key: first those met earlier in this file, then the community's people.

    The community's candidates are read in one go and new people inserted in batches, so a
    register of thousands of units holds the write lock for moments, not for a query per owner.
    A reference is ("old", person id) or ("new", index into the people to insert)."""

    def __init__(self, community: int):
        self.community = community
        self.known: dict[tuple, tuple[str, int]] = {}
        self.by_phone: dict[tuple[str, str], list[dict]] = {}
        self.by_id_number: dict[tuple[str, str], list[dict]] = {}
        self.new: list[Person] = []
        self.matched = 0

    @property
    def created(self) -> int:
        return len(self.new)

    async def load(self, owners: list[rf.Owner]) -> None:
        names = sorted({o.name for o in owners if rf.person_key(o) is not None})
        for chunk in range(0, len(names), 500):
            rows = await Person.select(Person.id, Person.name, Person.phone, Person.id_number).where(
                (Person.community == self.community) & Person.name.is_in(names[chunk:chunk + 500])
                & Person.anonymised_at.is_null()
            ).order_by(Person.id)
            for row in rows:
                if row["phone"]:
                    self.by_phone.setdefault((row["name"], row["phone"]), []).append(row)
                if row["id_number"]:
                    self.by_id_number.setdefault((row["name"], row["id_number"]), []).append(row)

    def resolve(self, owner: rf.Owner) -> tuple[str, int]:
        key = rf.person_key(owner)
        if key is not None and key in self.known:
            return self.known[key]
        found = self._match(owner) if key is not None else None
        if found is None:
            self.new.append(Person(community=self.community, name=owner.name, phone=owner.phone, id_number=owner.id_number))
            ref = ("new", len(self.new) - 1)
        else:
            self.matched += 1
            ref = ("old", found)
        if key is not None:
            self.known[key] = ref
        return ref

    def _match(self, owner: rf.Owner) -> int | None:
        if owner.phone:
            candidates = self.by_phone.get((owner.name, owner.phone), [])
        else:
            candidates = self.by_id_number.get((owner.name, owner.id_number), [])
        for candidate in candidates:
            # Same name and phone but a different ID number: a family sharing a phone, not this owner.
            if owner.id_number and candidate["id_number"] and candidate["id_number"] != owner.id_number:
                continue
            return candidate["id"]
        return None

    async def insert_new(self):
        ids: list[int] = []
        for chunk in range(0, len(self.new), 300):
            rows = await Person.insert(*self.new[chunk:chunk + 300]).returning(Person.id)
            # One INSERT numbers its rows in VALUES order; RETURNING need not list them in that order.
            ids += sorted(r["id"] for r in rows)

        def person_id(ref: tuple[str, int]) -> int:
            kind, value = ref
            return ids[value] if kind == "new" else value

        return person_id


# ---------------------------------------------------------------- export

def may_export_full(principal: Principal) -> bool:
    """Full phone and ID numbers in an export: admins and secretaries (who import), audited."""
    return permissions.can_write(principal.role, "register_import") and permissions.can_view_pii(principal.role)


async def export_records(principal: Principal, estate_id: int, *, full: bool = False, ip: str = "") -> tuple[dict, list[dict]]:
    """The estate's register as rows of the import's columns; phone and ID numbers masked
    unless `full` (DOMAIN §8), which is allowed to admins and secretaries and audited as pii.export."""
    if not (permissions.can_read(principal.role, "unit") and permissions.can_read(principal.role, "person")):
        raise Forbidden()
    if full and not may_export_full(principal):
        raise Forbidden("Your role does not show full phone or ID numbers.")
    estate = await estate_for(principal, estate_id)
    units = await Unit.select(
        Unit.id, Unit.number, Unit.area_m2, Unit.area_source, Unit.developer_unsold,
        Unit.building.number.as_alias("building_number"),
    ).where(Unit.estate == estate_id)
    owners = await Ownership.select(
        Ownership.unit, Ownership.is_representative, Ownership.person.name.as_alias("name"),
        Ownership.person.phone.as_alias("phone"), Ownership.person.id_number.as_alias("id_number"),
    ).where(Ownership.unit.is_in([u["id"] for u in units] or [-1])).order_by(Ownership.id)
    by_unit: dict[int, list[dict]] = {}
    for o in owners:
        by_unit.setdefault(o["unit"], []).append(o)
    # A full export was allowed and is audited: its numbers are marked to pass the export writer's masking.
    phone = (lambda v: Unmasked(v or "")) if full else mask_phone
    id_number = (lambda v: Unmasked(v or "")) if full else mask_id_number
    records = []
    for u in sorted(units, key=lambda u: (_natural(u["building_number"]), _natural(u["number"]))):
        listed = sorted(by_unit.get(u["id"], []), key=lambda o: not o["is_representative"])
        main = listed[0] if listed else None
        records.append({
            "building": u["building_number"], "unit": u["number"], "area_m2": u["area_m2"],
            "area_source": u["area_source"], "developer_unsold": u["developer_unsold"],
            "owner_name": main["name"] if main else "", "phone": phone(main["phone"]) if main else "",
            "id_number": id_number(main["id_number"]) if main else "",
            "co_owners": (Unmasked if full else str)(rf.co_owners_cell((o["name"], phone(o["phone"])) for o in listed[1:])),
            "representative": main["name"] if main and main["is_representative"] else "",
        })
    if full:
        async with db.write():
            await audit.record(principal, "pii.export", entity_type="estate", entity_id=estate_id,
                               after={"units": len(records), "fields": ["phone", "id_number"]},
                               station_id=await _station_of(principal, estate), ip=ip)
    return estate, records


def _natural(value: Any) -> list:
    """'2-301' before '10-101': digits compare as numbers."""
    import re

    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", str(value or "")) if p]
