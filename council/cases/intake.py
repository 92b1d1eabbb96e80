"""Registering a concern as a case (立案受理)."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases import attachments, policy
from council.cases.calendar_store import calendar_for, categories_for, month_key, today
from council.cases.common import add_event, now
from council.cases.numbering import number_case, provisional_number
from council.cases.tables import Case
from council.cases.vocabulary import CHANNELS, KINDS, PRIORITIES, codes
from council.cases.workcalendar import due_date
from council.core import scope
from council.core.errors import DomainError, Forbidden, Invalid
from council.core.reading import ident as _id, text as _text
from council.people.tables import Person
from council.places.tables import Building, Unit
from council.stations.tables import Station, StationEstate

INITIAL_STATE = {"proposal": "propose", "request": "registered", "dispute": "registered"}

MAX_FILES = 10


async def register_case(principal: Principal, data: dict[str, Any], ip: str = "",
                        files: list[tuple[str | None, bytes]] = (), upload_dir=None) -> dict:
    """Validate → permission → write → audit, in one transaction. Returns {"id", "number"}.

    Photos brought at intake (`files`: (name, content) pairs) are checked before anything is
    written and recorded in the same transaction, so a refused photo leaves no case behind and a
    refused case leaves no stray file."""
    allowed = {"station", "kind", "title", "description", "category", "channel", "estate", "building", "unit",
               "reporter", "contact_consent", "priority"}
    errors: dict[str, str] = {k: "Unknown field." for k in data if k not in allowed}
    kind = data.get("kind") or ""
    if kind not in codes(KINDS):
        errors["kind"] = "Choose one of the listed options."
    title = _text(data, "title", errors, required=True)
    description = _text(data, "description", errors, limit=10000)
    channel = data.get("channel") or ("online" if principal.role == Role.resident else "")
    if channel not in codes(CHANNELS):
        errors["channel"] = "Choose one of the listed options."
    priority = data.get("priority") or "normal"
    if priority not in codes(PRIORITIES):
        errors["priority"] = "Choose one of the listed options."
    station_id = _id(data, "station", errors)
    estate_id, building_id, unit_id = (_id(data, k, errors) for k in ("estate", "building", "unit"))
    reporter_id = _id(data, "reporter", errors)
    consent = data.get("contact_consent") in (True, "1", "true", "on", "yes")

    if principal.role == Role.resident:
        reporter_id = principal.person_id  # residents raise their own concerns
        consent = True  # they gave their details themselves, through their own account
        if station_id is None:
            first = await Station.select(Station.id).where(Station.community.is_in(list(principal.community_ids) or [-1])).order_by(Station.id).first()
            station_id = first["id"] if first else None
    elif station_id is None and len(principal.station_ids) == 1:
        station_id = next(iter(principal.station_ids))
    if station_id is None:
        errors.setdefault("station", "This field is required.")
    if len(files) > MAX_FILES:
        errors["files"] = "Attach at most 10 files at once."
    for name, content in files:
        try:
            attachments.check_file(name, content)
        except DomainError as e:
            errors.setdefault("files", e.message)
    if errors:
        raise Invalid("Please correct the marked fields.", errors=errors)

    # The station and every place and person the concern names: rows the principal may name and
    # that belong to that station's community, else a 422 on the field (council/core/scope.py).
    if principal.role == Role.department_liaison:
        raise Forbidden()  # their role registers no concerns, at any station
    station = await scope.ensure_station(principal, station_id, field="station")
    if principal.role != Role.resident and not policy.can_register(principal, station_id, kind):
        raise Forbidden()
    await scope.check_fields(principal, {"estate": estate_id, "building": building_id, "unit": unit_id,
                                         "reporter": reporter_id},
                             {"estate": "estate", "building": "building", "unit": "unit", "reporter": "person"},
                             station=station_id, errors=errors)
    if errors:
        raise Invalid("Please correct the marked fields.", errors=errors)

    stored = [attachments.store(name, content, upload_dir) for name, content in files]
    try:
        return await _write_case(principal, data, ip, kind, title, description, channel, priority, station,
                                 estate_id, building_id, unit_id, reporter_id, consent, stored)
    except BaseException:
        attachments.discard(stored)
        raise


async def _write_case(principal, data, ip, kind, title, description, channel, priority, station,
                      estate_id, building_id, unit_id, reporter_id, consent, stored) -> dict:
    station_id = station["id"]
    errors: dict[str, str] = {}
    async with db.write():
        categories = {c["code"]: c for c in await categories_for(station_id) if c["active"]}
        category = data.get("category") or ""
        if category not in categories:
            errors["category"] = "Choose one of the listed options."
        # The scope must lie within the estates this station serves, and be consistent.
        served = {r["estate"] for r in await db.fetch(
            'SELECT "estate" FROM "station_estate" WHERE "station" = {}', station_id)}
        if unit_id is not None:
            unit = await Unit.select(Unit.estate, Unit.building).where(Unit.id == unit_id).first()
            if unit is None or (building_id and unit["building"] != building_id) or (estate_id and unit["estate"] != estate_id):
                errors["unit"] = "Choose one of the listed options."
            else:
                building_id, estate_id = unit["building"], unit["estate"]
        if building_id is not None and "unit" not in errors:
            building = await Building.select(Building.estate).where(Building.id == building_id).first()
            if building is None or (estate_id and building["estate"] != estate_id):
                errors["building"] = "Choose one of the listed options."
            else:
                estate_id = building["estate"]
        if estate_id is not None and estate_id not in served:
            errors["estate"] = "This estate is not served by the station."
        if reporter_id is not None:
            person = await Person.select(Person.community, Person.phone).where(Person.id == reporter_id).first()
            if person is None or person["community"] != station["community"]:
                errors["reporter"] = "Choose one of the listed options."
            elif person["phone"] and not consent:
                errors["contact_consent"] = "Record the resident's consent to keep their contact details, or register the concern anonymously."
        if errors:
            raise Invalid("Please correct the marked fields.", errors=errors)

        limit_days = due = None
        if kind == "request":
            limit_days = categories[category]["limit_days"]
            due = due_date(await calendar_for(station_id), today(), limit_days)
        created = now()
        values = dict(
            station=station_id, community=station["community"], number=provisional_number(), kind=kind, title=title,
            description=description, category=category, channel=channel, estate=estate_id, building=building_id,
            unit=unit_id, reporter=reporter_id, contact_consent=consent and reporter_id is not None, priority=priority,
            state=INITIAL_STATE[kind], limit_days=limit_days, due_date=due,
            created_by=principal.user_id or None, created_at=created, updated_at=created,
            created_month=month_key(created),
        )
        case_id = await db.insert_row(Case, values)
        await add_event(principal, case_id, "created", to_state=values["state"],
                        data={"channel": channel, "category": category})
        # The number last, with the audit entry that names it: from here the station's counter row
        # stays locked (on PostgreSQL) until this transaction commits, and every other intake there
        # waits for it.
        entry = audit.entry(principal, "case.create", entity_type="case", entity_id=case_id,
                            after={k: v for k, v in values.items() if k not in ("created_at", "updated_at")},
                            station_id=station_id, ip=ip)
        number = await number_case(case_id, station_id, station["case_prefix"], today().year, values["number"], entry)
        for s in stored:  # photos brought at intake (rare): after the case's own audit entry, as always
            await attachments.record(principal, case_id, s, station_id, ip)
    return {"id": case_id, "number": number}
