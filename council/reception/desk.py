"""The desk's use cases: find or quick-add the visitor, log a visit into the queue, call it,
finish it with an outcome, or mark that the visitor left.

Each is validate → permission → write → audit in one transaction. A visit's moves are one
conditional UPDATE (WHERE status IN (…) AND version = …): when two people on duty call the same
number at once, the database lets exactly one of them change the row and the other is told who
got there first. The outcomes reuse the cases package: a new case is registered by
council.cases.intake.register_case (a request dispatched by council.cases.requests, a dispute
handed to a mediator gets its mediation file through council.mediation.handover), news on a case
is a note on its timeline (council.cases.common.add_event).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.accounts.tables import User, UserStation
from council.audit import service as audit
from council.cases import intake, policy as case_policy, requests
from council.cases.calendar_store import LOCAL, categories_for, today
from council.cases.common import add_event, load_case, now, view_of
from council.cases.tables import Case
from council.core import scope
from council.core.errors import Conflict, Invalid, NotFound, OutOfScope
from council.core.locking import parse_version
from council.core.reading import ident as _id, text as _text
from council.mediation import handover
from council.people.tables import Ownership, Person, Residence
from council.places.tables import Estate, Unit
from council.privacy import mask_phone
from council.reception import queue
from council.core import search
from council.reception.store import desk_station, reading
from council.reception.tables import Visit
from council.stations.tables import StationEstate

FIX = "Please correct the marked fields."
CASE_KINDS = ("request", "proposal", "dispute")
NUMBER_RETRIES = 5


def _day(value: Any, errors: dict, name: str = "day") -> dt.date:
    if value in (None, ""):
        return today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return today()


def _yes(value: Any) -> bool:
    return value in (True, "1", "true", "on", "yes")


# ---------------------------------------------------------------- visitors

async def served_estate_ids(station_id: int) -> list[int]:
    return [r["estate"] for r in await StationEstate.select(StationEstate.estate).where(StationEstate.station == station_id)]


async def find_visitors(principal: Principal, station_id: int | None, q: str, limit: int = 20, ip: str = "") -> list[dict]:
    """Residents of the station's community by name, unit number (3-1502), the last four digits
    of a phone or (roles that may reveal, audited) the whole number. Phones come back masked."""
    q = (q or "").strip()[:50]
    async with reading():  # one connection for the few small reads (store.read_all)
        station = await desk_station(principal, station_id)
    if not q:
        return []
    if re.fullmatch(r"[\dA-Za-z]+-[\dA-Za-z]+", q):
        match = None
    else:  # outside the read transaction: a whole-number search writes its audit entry
        match = await search.person_clause(principal, Person.name, Person.phone, q, ip=ip, station_id=station["id"])
    async with reading():
        return await _find(station, q, limit, match)


async def _find(station: dict, q: str, limit: int, match) -> list[dict]:
    base = (Person.community == station["community"]) & Person.anonymised_at.is_null()
    ids: list[int] = []
    if match is None:
        estates = await served_estate_ids(station["id"])
        units = [r["id"] for r in await Unit.select(Unit.id).where(Unit.estate.is_in(estates or [-1]) & (Unit.number == q))]
        for t in (Ownership, Residence):
            ids += [r["person"] for r in await t.select(t.person).where(t.unit.is_in(units or [-1]))]
        match = Person.id.is_in(ids or [-1])
    rows = await Person.select(Person.id, Person.name, Person.phone).where(base & match).order_by(Person.name).limit(limit)
    return await _with_units(rows)


async def _with_units(rows: list[dict]) -> list[dict]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    units: dict[int, list[str]] = {}
    for t in (Ownership, Residence):
        for u in await t.select(t.person, t.unit.number.as_alias("number"), t.unit.estate.name.as_alias("estate")).where(
                t.person.is_in(ids)):
            label = f'{u["estate"]} {u["number"]}'
            if label not in units.setdefault(u["person"], []):
                units[u["person"]].append(label)
    return [{"id": r["id"], "name": r["name"], "phone": mask_phone(r["phone"]),
             "units": units.get(r["id"], [])[:3]} for r in rows]


async def _unit_id(station: dict, data: dict, errors: dict) -> int | None:
    unit_id = _id(data, "unit", errors)
    number = _text(data, "unit_number", errors, limit=30)
    if unit_id is None and not number:
        return None
    estates = await served_estate_ids(station["id"])
    if unit_id is not None:
        row = await Unit.select(Unit.id).where((Unit.id == unit_id) & Unit.estate.is_in(estates or [-1])).first()
        if row is None:
            errors["unit"] = "Choose one of the listed options."
        return unit_id
    estate = _id(data, "estate", errors)
    where = (Unit.number == number) & Unit.estate.is_in([estate] if estate in estates else estates or [-1])
    rows = await Unit.select(Unit.id).where(where).limit(2)
    if not rows:
        errors["unit_number"] = "No unit with this number in the estates of the station."
    elif len(rows) > 1:
        errors["unit_number"] = "Several estates have this unit number: choose the estate."
    return rows[0]["id"] if len(rows) == 1 else None


async def estates_with_unit(station_id: int, number: str) -> list[dict]:
    """The station's estates that have a unit with this number: more than one, and the desk asks
    which estate beside the unit number."""
    number = (number or "").strip()[:30]
    if not number:
        return []
    estates = await served_estate_ids(station_id)
    rows = await Unit.select(Unit.estate.id.as_alias("id"), Unit.estate.name.as_alias("name")).where(
        (Unit.number == number) & Unit.estate.is_in(estates or [-1])).order_by(Unit.estate.name)
    seen: dict[int, dict] = {}
    for r in rows:
        seen.setdefault(r["id"], r)
    return list(seen.values())


async def _quick_add(principal: Principal, station: dict, data: dict, errors: dict, ip: str) -> int | None:
    """A visitor not yet in the register: name, and a phone only with their consent."""
    name = _text(data, "new_name", errors, limit=100)
    if not name:
        return None
    phone = re.sub(r"[\s-]", "", _text(data, "new_phone", errors, limit=20))
    if phone and not re.fullmatch(r"\+?\d{7,15}", phone):
        errors["new_phone"] = "Enter a phone number of 7 to 15 digits."
    if phone and not _yes(data.get("contact_consent")):
        errors["contact_consent"] = "Record the resident's consent to keep their contact details, or register the concern anonymously."
    if errors:
        return None
    person_id = (await Person.insert(Person(community=station["community"], name=name, phone=phone,
                                            note="接待日登记")))[0]["id"]
    await audit.record(principal, "person.create", entity_type="person", entity_id=person_id,
                       after={"name": name, "phone": mask_phone(phone), "via": "reception_desk"},
                       station_id=station["id"], ip=ip)
    return person_id


# ---------------------------------------------------------------- logging a visit

VISIT_FIELDS = {"station", "day", "person", "visitor_name", "new_name", "new_phone", "contact_consent", "unit",
                "unit_number", "estate", "topic", "category", "detail"}
OUTCOME_FIELDS = {"outcome", "answer", "case_kind", "case_title", "case", "case_number", "organisation",
                  "mediator", "handover_note", "priority", "version", "contact_consent"}


# Every id a visit names, checked against the visit's station before anything else is read
# (council/core/scope.py), whether or not this outcome goes on to use it.
REF_FIELDS = {"person": "person", "unit": "unit", "estate": "estate", "organisation": "organisation",
              "case": "case", "mediator": "user"}


async def log_visit(principal: Principal, data: dict[str, Any], ip: str = "") -> dict:
    """A visitor arrives: they get the next number of the day. With an `outcome` in `data` the
    visit is finished at once (someone who needed a minute). Returns the visit row."""
    errors = {k: "Unknown field." for k in data if k not in VISIT_FIELDS | OUTCOME_FIELDS}
    station = await desk_station(principal, _id(data, "station", errors) if data.get("station") not in (None, "") else None)
    day = _day(data.get("day"), errors)
    topic = _text(data, "topic", errors, required=True)
    detail = _text(data, "detail", errors, limit=5000)
    person_id = _id(data, "person", errors)
    visitor_name = _text(data, "visitor_name", errors, limit=100)
    await scope.check_fields(principal, data, REF_FIELDS, station=station["id"], errors=errors)
    if errors:
        raise Invalid(FIX, errors=errors)
    for attempt in range(NUMBER_RETRIES):
        try:
            async with db.write():
                visit = await _insert_visit(principal, station, day, data, topic, detail, person_id, visitor_name, ip)
                if data.get("outcome"):
                    visit = await _finish(principal, visit, data, ip, sources=queue.MOVES["finish"][0])
                return visit
        except Exception as exc:  # noqa: BLE001 — only a number collision is retried
            if not db.is_unique_violation(exc) or attempt == NUMBER_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def _category(station_id: int, value: Any, errors: dict, *, required: bool) -> str:
    codes = {c["code"] for c in await categories_for(station_id) if c["active"]}
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value:
        if required:
            errors["category"] = "This field is required."
        return ""
    if value not in codes:
        errors["category"] = "Choose one of the listed options."
    return value


async def _insert_visit(principal, station, day, data, topic, detail, person_id, visitor_name, ip,
                        *, status: str = queue.WAITING, source: str = "desk", extra: dict | None = None) -> dict:
    errors: dict[str, str] = {}
    category = await _category(station["id"], data.get("category"), errors, required=False)
    if person_id is not None:
        person = await Person.select(Person.community, Person.name).where(Person.id == person_id).first()
        if person is None or person["community"] != station["community"]:
            errors["person"] = "Choose one of the listed options."
        else:
            visitor_name = visitor_name or person["name"]
    unit_id = await _unit_id(station, data, errors)
    if person_id is None:
        person_id = await _quick_add(principal, station, data, errors, ip)
        if person_id is not None:
            visitor_name = _text(data, "new_name", errors, limit=100)
    if errors:
        raise Invalid(FIX, errors=errors)
    number = None
    if status != queue.DRAFT:
        taken = await db.raw('SELECT MAX("number") AS n FROM "reception_visit" WHERE "station" = {} AND "day" = {}',
                             station["id"], day)
        number = queue.next_number([taken[0]["n"]] if taken else [])
    at = now()
    values = dict(station=station["id"], community=station["community"], day=day, number=number, status=status,
                  source=source, arrived_at=at if status != queue.DRAFT else None, person=person_id,
                  visitor_name=visitor_name, unit=unit_id, topic=topic, category=category, detail=detail,
                  created_by=principal.user_id or None, created_at=at, **(extra or {}))
    visit_id = (await Visit.insert(Visit(**values)))[0]["id"]
    await audit.record(principal, "reception.visit.create", entity_type="reception_visit", entity_id=visit_id,
                       after={k: v for k, v in values.items() if k not in ("created_at", "arrived_at", "message")},
                       station_id=station["id"], ip=ip)
    return await Visit.select().where(Visit.id == visit_id).first()


# ---------------------------------------------------------------- moves

async def _load(principal: Principal, visit_id: int) -> dict:
    row = await Visit.select().where(Visit.id == visit_id).first()
    if row is None:
        raise NotFound()
    await desk_station(principal, row["station"])
    return row


_version = parse_version


async def _claim(principal: Principal, row: dict, move: str, values: dict, version: Any, ip: str,
                 sources: frozenset[str] | None = None) -> dict:
    """One conditional UPDATE: the move happens only if the visit is still where the mover saw it."""
    sources = sources or queue.MOVES[move][0]
    to = queue.MOVES[move][1]
    expected = _version(version)
    where = (Visit.id == row["id"]) & Visit.status.is_in(list(sources))
    if expected is not None:
        where &= Visit.version == expected
    changed = await Visit.update({**{getattr(Visit, k): v for k, v in values.items()}, Visit.status: to,
                                  Visit.version: Visit.version + 1}).where(where).returning(Visit.id)
    if not changed:
        now_row = await Visit.select(Visit.status, Visit.called_by.display_name.as_alias("called_by_name"),
                                     Visit.version).where(Visit.id == row["id"]).first()
        if move == "call" and now_row["status"] == queue.CALLED:
            raise Conflict("Number %(number)s has already been called by %(name)s.",
                           number=queue.ticket(row["number"]), name=now_row["called_by_name"] or "—")
        if now_row["status"] not in sources:
            raise Conflict(queue.REFUSED[move])
        raise Conflict("Someone else changed this visit after you opened it. Reload to see their changes.")
    after = await Visit.select().where(Visit.id == row["id"]).first()
    await audit.record(principal, f"reception.visit.{move}", entity_type="reception_visit", entity_id=row["id"],
                       before={"status": row["status"]},
                       after={"status": to, **{k: v for k, v in values.items() if not k.endswith("_at")}},
                       station_id=row["station"], ip=ip)
    return after


async def call_visit(principal: Principal, visit_id: int, version: Any = None, ip: str = "") -> dict:
    async with db.write():
        row = await _load(principal, visit_id)
        return await _claim(principal, row, "call", {"called_at": now(), "called_by": principal.user_id or None},
                            version, ip)


async def requeue_visit(principal: Principal, visit_id: int, version: Any = None, ip: str = "") -> dict:
    async with db.write():
        row = await _load(principal, visit_id)
        return await _claim(principal, row, "requeue", {"called_at": None, "called_by": None}, version, ip)


async def mark_left(principal: Principal, visit_id: int, version: Any = None, ip: str = "") -> dict:
    async with db.write():
        row = await _load(principal, visit_id)
        return await _claim(principal, row, "left", {"done_at": now(), "done_by": principal.user_id or None}, version, ip)


async def finish_visit(principal: Principal, visit_id: int, data: dict[str, Any], ip: str = "") -> dict:
    """Finish a visit with its outcome: answered / case / news (see _finish)."""
    unknown = {k: "Unknown field." for k in data if k not in OUTCOME_FIELDS | {"topic", "category", "detail"}}
    if unknown:
        raise Invalid(FIX, errors=unknown)
    async with db.write():
        row = await _load(principal, visit_id)
        errors: dict[str, str] = {}
        await scope.check_fields(principal, data, REF_FIELDS, station=row["station"], errors=errors)
        if errors:
            raise Invalid(FIX, errors=errors)
        return await _finish(principal, row, data, ip)


async def _mediator_ok(user_id: int, station_id: int) -> dict | None:
    user = await User.select(User.id, User.role, User.display_name, User.username, User.is_active).where(
        User.id == user_id).first()
    if user is None or user["role"] != "mediator" or not user["is_active"]:
        return None
    if not await UserStation.exists().where((UserStation.user == user_id) & (UserStation.station == station_id)):
        return None
    return user


async def mediators_for(station_id: int) -> list[dict]:
    at_station = UserStation.select(UserStation.user).where(UserStation.station == station_id)
    return await User.select(User.id, User.display_name, User.username).where(
        User.id.is_in(at_station) & (User.role == "mediator") & (User.is_active == True)).order_by(User.id)  # noqa: E712


async def _finish(principal: Principal, row: dict, data: dict, ip: str, sources: frozenset[str] | None = None) -> dict:
    errors: dict[str, str] = {}
    outcome = data.get("outcome") or ""
    if outcome not in {code for code, _ in queue.OUTCOMES}:
        errors["outcome"] = "Choose one of the listed options."
    topic = _text(data, "topic", errors) or row["topic"]
    detail = _text(data, "detail", errors, limit=5000) or row["detail"]
    category = await _category(row["station"], data.get("category"), errors, required=False) or row["category"]
    answer = _text(data, "answer", errors, limit=5000)
    values: dict[str, Any] = {"done_at": now(), "done_by": principal.user_id or None, "outcome": outcome,
                              "topic": topic, "detail": detail, "category": category}
    if outcome == queue.ANSWERED and not answer:
        errors["answer"] = "Write the answer given."
    if outcome == queue.NEWS:
        if not answer:
            errors["answer"] = "Write the update given to the visitor."
        if not data.get("case") and not (data.get("case_number") or "").strip():
            errors["case"] = "Choose the case the visitor asked about."
    kind = data.get("case_kind") or ""
    if outcome == queue.CASE:
        if kind not in CASE_KINDS:
            errors["case_kind"] = "Choose one of the listed options."
        if not category:
            errors["category"] = "This field is required."
    if errors:
        raise Invalid(FIX, errors=errors)
    values["answer"] = answer

    # Claim the visit first: if someone else finished it, nothing below happens.
    after = await _claim(principal, row, "finish", values, data.get("version"), ip, sources=sources)
    extra: dict[str, Any] = {}
    if outcome == queue.CASE:
        extra = await _open_case(principal, after, data, kind, ip)
    elif outcome == queue.NEWS:
        extra = await _give_news(principal, after, data, answer, ip)
    if extra:
        await Visit.update({getattr(Visit, k): v for k, v in extra.items()}).where(Visit.id == row["id"])
        await audit.record(principal, "reception.visit.outcome", entity_type="reception_visit", entity_id=row["id"],
                           after=extra, station_id=row["station"], ip=ip)
        after = {**after, **extra}
    return after


async def _open_case(principal: Principal, visit: dict, data: dict, kind: str, ip: str) -> dict:
    """A new case prefilled from the visit, registered by the cases package and then flowing
    through its own process; a request can be dispatched at once, a dispute handed to a mediator."""
    errors: dict[str, str] = {}
    org = _id(data, "organisation", errors)
    mediator_id = _id(data, "mediator", errors)
    mediator = None
    if org is not None and kind != "request":
        errors["organisation"] = "Only a request is dispatched to an organisation."
    if mediator_id is not None:
        if kind != "dispute":
            errors["mediator"] = "Only a dispute is handed to a mediator."
        else:
            mediator = await _mediator_ok(mediator_id, visit["station"])
            if mediator is None:
                errors["mediator"] = "Choose one of the listed options."
    if errors:
        raise Invalid(FIX, errors=errors)
    unit_estate = None
    if visit["unit"]:
        unit_estate = (await Unit.select(Unit.estate).where(Unit.id == visit["unit"]).first())["estate"]
    case_data = {
        "station": visit["station"], "kind": kind, "title": (data.get("case_title") or "").strip() or visit["topic"],
        "description": visit["detail"] or visit["message"], "category": visit["category"],
        "channel": "grid_group" if visit["source"] == "grid_group" else "reception_day",
        "reporter": visit["person"], "contact_consent": _yes(data.get("contact_consent")) or None,
        "unit": visit["unit"], "estate": unit_estate, "priority": data.get("priority") or "normal",
    }
    made = await intake.register_case(principal, {k: v for k, v in case_data.items() if v is not None}, ip=ip)
    extra: dict[str, Any] = {"case": made["id"], "case_kind": kind}
    await add_event(principal, made["id"], "note", text=f'接待日来访（{queue.ticket(visit["number"]) or "群"}号）：{visit["topic"]}',
                    data={"source": "reception_day", "visit": visit["id"]})
    if org is not None:
        case = await Case.select(Case.version).where(Case.id == made["id"]).first()
        await requests.move_request(principal, made["id"], "dispatch", organisation=org, version=case["version"], ip=ip)
        extra["organisation"] = org
    if mediator is not None:
        # The dispute really reaches mediation: its file is opened, numbered by the committee,
        # and led by the chosen mediator, in this same transaction (council.mediation.handover).
        label = mediator["display_name"] or mediator["username"]
        note = (data.get("handover_note") or "").strip()[:500]
        dispute = await handover.hand_over(principal, made["id"], mediator["id"], note, ip,
                                           applicant=await _visitor_as_party(visit))
        await add_event(principal, made["id"], "note",
                        text=f'交由调解员{label}调解（{dispute["number"]}）' + (f"：{note}" if note else ""),
                        data={"mediator": mediator["id"], "dispute": dispute["id"], "source": "reception_day",
                              "visit": visit["id"]})
        extra["mediator"] = mediator["id"]
    return extra


async def _visitor_as_party(visit: dict) -> dict:
    """The visitor as the mediation file's applicant: the resident linked (their registered
    name, phone and ID number are copied by the mediation package), or the name given at the
    desk; the unit they came about as the address."""
    address = ""
    if visit["unit"]:
        u = await Unit.select(Unit.number, Unit.estate.name.as_alias("estate")).where(Unit.id == visit["unit"]).first()
        address = f'{u["estate"]} {u["number"]}' if u else ""
    person = visit["person"]
    if person is not None and not await Person.exists().where((Person.id == person) & Person.anonymised_at.is_null()):
        person = None  # erased since the visit: only what the desk wrote down is carried over
    return {"person": person, "name": (visit["visitor_name"] or "").strip()[:120], "address": address[:200]}


async def _give_news(principal: Principal, visit: dict, data: dict, answer: str, ip: str) -> dict:
    """The update given to the visitor, recorded on the case's own timeline."""
    errors: dict[str, str] = {}
    case_id = _id(data, "case", errors)
    number = (data.get("case_number") or "").strip()
    if case_id is None and number and not errors:
        found = await Case.select(Case.id).where(Case.number == number).first()
        if found is None:
            errors["case_number"] = "No case with this number."
        case_id = found["id"] if found else None
    if errors or case_id is None:
        raise Invalid(FIX, errors=errors or {"case": "Choose the case the visitor asked about."})
    try:
        case = await load_case(principal, case_id)
    except NotFound:
        raise Invalid(FIX, errors={"case": "Choose the case the visitor asked about."}) from None
    if case["station"] != visit["station"] or not case_policy.can_follow_up(principal, view_of(case)):
        raise OutOfScope()
    await add_event(principal, case_id, "note", text=answer,
                    data={"source": "reception_day", "visit": visit["id"], "visitor_news": True})
    await audit.record(principal, "case.note", entity_type="case", entity_id=case_id,
                       after={"text": answer, "via": "reception_day", "visit": visit["id"]},
                       station_id=case["station"], ip=ip)
    return {"case": case_id, "case_kind": case["kind"]}


# ---------------------------------------------------------------- reading the queue

async def day_visits(station_id: int, day: dt.date, *, drafts: bool = False) -> list[dict]:
    """The day's visits in queue order (drafts apart), with the visitor's masked phone."""
    queue_rows, draft_rows = await day_queue(station_id, day)
    return draft_rows if drafts else queue_rows


async def day_queue(station_id: int, day: dt.date) -> tuple[list[dict], list[dict]]:
    """The day's numbered visits in queue order, and its grid-group drafts: one query for both
    (the desk page is the hot path of the reception day)."""
    rows = await Visit.select(
        Visit.all_columns(), Visit.person.name.as_alias("person_name"), Visit.person.phone.as_alias("person_phone"),
        Visit.unit.number.as_alias("unit_number"), Visit.case.number.as_alias("case_number"),
        Visit.called_by.display_name.as_alias("called_by_name"), Visit.organisation.name.as_alias("organisation_name"),
        Visit.mediator.display_name.as_alias("mediator_name"),
    ).where((Visit.station == station_id) & (Visit.day == day)).order_by(Visit.number, Visit.id)
    numbered, drafts = [], []
    for r in rows:
        r["phone_masked"] = mask_phone(r.pop("person_phone") or "")
        r["ticket"] = queue.ticket(r["number"])
        r["arrived"] = r["arrived_at"].astimezone(LOCAL).strftime("%H:%M") if r["arrived_at"] else ""
        r["who"] = r["person_name"] or r["visitor_name"] or r["sender"]
        if r["status"] == queue.DRAFT:
            drafts.append(r)
        elif r["number"] is not None:
            numbered.append(r)
    return numbered, drafts


__all__ = ["find_visitors", "log_visit", "call_visit", "requeue_visit", "mark_left", "finish_visit", "day_visits", "day_queue",
           "mediators_for", "Estate"]
