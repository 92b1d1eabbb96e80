"""Use cases that set a meeting's time, room and parties: create, edit, schedule, reschedule,
cancel, hold; the double-booking check; busy blocks (by hand, from .ics); the slot finder's data.

Each use case: validate → permission → write → audit, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.cases.calendar_store import calendar_for
from council.core import scope
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.core.localtime import LOCAL
from council.meetings import busy, ics, parties as party_reg, policy, slots, statemachine as sm
from council.meetings.common import bump, check_version, load_meeting, now, record, require, utc
from council.meetings.tables import BusyBlock, Meeting, MeetingParty
from council.notify import events as notify
from council.stations.tables import Room, Station

FIX = "Please correct the marked fields."
MAX_WINDOW_DAYS = 62


def parse_local(value: Any, field: str) -> dt.datetime | None:
    """A form's "2026-11-25T09:00" (station time) or an aware datetime → aware UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return utc(value if value.tzinfo else value.replace(tzinfo=LOCAL))
    try:
        moment = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(FIX, errors={field: "Enter a time like 2026-11-25 09:00."}) from None
    return utc(moment if moment.tzinfo else moment.replace(tzinfo=LOCAL))


@dataclass(frozen=True)
class Clash:
    who: str
    name: str
    label: str
    start: dt.datetime
    end: dt.datetime


async def find_conflicts(meeting_id: int | None, room: int | None, start: dt.datetime, end: dt.datetime,
                         required: dict[str, str]) -> list[Clash]:
    """Bookings that overlap [start, end) for the room or a required party (key → name)."""
    keys = dict(required)
    if room:
        r = await Room.select(Room.name).where(Room.id == room).first()
        keys[f"room:{room}"] = r["name"] if r else f"room:{room}"
    found = await busy.collect(start, end, keys, ignore_ref=f"meeting:{meeting_id}" if meeting_id else "")
    return [Clash(b.who, keys[b.who], b.label, b.start, b.end) for b in found]


def conflict_error(clashes: list[Clash]) -> Conflict:
    names = "、".join(dict.fromkeys(f"{c.name}（{c.label}）" if c.label else c.name for c in clashes))
    return Conflict("Double booking: %(names)s already busy at this time.", errors={"starts_at": "Double booking."},
                    names=names)


def _times(starts_at: Any, ends_at: Any, errors: dict) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Both times parsed, every error collected (not just the first)."""
    out = []
    for value, field in ((starts_at, "starts_at"), (ends_at, "ends_at")):
        try:
            out.append(parse_local(value, field))
        except Invalid as e:
            errors.update(e.errors)
            out.append(None)
    if field not in errors and "starts_at" not in errors:
        _validate_times(out[0], out[1], errors)
    return out[0], out[1]


def _validate_times(start: dt.datetime | None, end: dt.datetime | None, errors: dict) -> None:
    if (start is None) != (end is None):
        errors["ends_at" if end is None else "starts_at"] = "This field is required."
    elif start is not None and end <= start:
        errors["ends_at"] = "The end must be after the start."
    elif start is not None and end - start > dt.timedelta(hours=12):
        errors["ends_at"] = "A meeting lasts at most 12 hours."


async def _station(principal: Principal, station_id: int) -> dict:
    """The station a body names: one the principal serves, else the same 422 as for no such
    station (council/core/scope.py), so other stations cannot be probed. Roles that work at no
    station (liaisons, residents) are refused for their role first."""
    if principal.role in (Role.department_liaison, Role.resident):
        raise Forbidden()
    return await scope.ensure_station(principal, station_id, field="station")


async def _check_room(room: int | None, station: int) -> None:
    if room is not None and not await Room.exists().where((Room.id == room) & (Room.station == station)):
        raise Invalid(FIX, errors={"room": "Choose one of the listed options."})


async def _check_staff(user_id: int | None, station: int, field: str) -> None:
    if user_id is None:
        return
    from council.accounts.tables import UserStation

    if not await UserStation.exists().where((UserStation.user == user_id) & (UserStation.station == station)):
        raise Invalid(FIX, errors={field: "Choose one of the listed options."})


async def staff_names(*user_ids: int | None) -> dict[str, str]:
    """The chair and the recorder as busy keys ("user:3" → name): the meeting needs them there too."""
    from council.accounts.tables import User

    ids = [u for u in dict.fromkeys(user_ids) if u]
    if not ids:
        return {}
    rows = await User.select(User.id, User.display_name, User.username).where(User.id.is_in(ids))
    return {f"user:{r['id']}": r["display_name"] or r["username"] for r in rows}


def _party_specs(raw: list[dict] | None) -> list[dict]:
    out, seen = [], set()
    for p in raw or []:
        key = (p.get("key") or "").strip()
        party_reg.split(key)
        if key in seen:
            continue
        seen.add(key)
        out.append({"key": key, "required": bool(p.get("required", True)),
                    "delegates": (p.get("delegates") or "").strip()[:500]})
    return out


async def _guard_conflicts(principal: Principal, meeting_id: int | None, room: int | None,
                           start: dt.datetime | None, end: dt.datetime | None, required: dict[str, str],
                           force: bool) -> list[Clash]:
    if start is None:
        return []
    clashes = await find_conflicts(meeting_id, room, start, end, required)
    if clashes and not force:
        raise conflict_error(clashes)
    if clashes and not policy.can_force(principal):
        raise Forbidden("Only a secretary may book over a conflict.")
    return clashes


def _clash_log(clashes: list[Clash]) -> list[dict]:
    return [{"who": c.who, "name": c.name, "label": c.label, "start": c.start, "end": c.end} for c in clashes]


async def create_meeting(principal: Principal, *, station: int, kind: str, title: str, room: int | None = None,
                         starts_at: Any = None, ends_at: Any = None, chair: int | None = None,
                         recorder: int | None = None, parties: list[dict] | None = None, force: bool = False,
                         ip: str = "") -> int:
    errors: dict[str, str] = {}
    if kind not in sm.KIND_CODES:
        errors["kind"] = "Choose one of the listed options."
    title = (title or "").strip()
    if not title:
        errors["title"] = "This field is required."
    elif len(title) > 200:
        errors["title"] = "Keep it under 200 characters."
    start, end = _times(starts_at, ends_at, errors)
    if errors:
        raise Invalid(FIX, errors=errors)
    st = await _station(principal, station)
    require(policy.can_manage(principal, station=station))
    await _check_room(room, station)
    await _check_staff(chair, station, "chair")
    await _check_staff(recorder, station, "recorder")
    specs = _party_specs(parties)
    resolved = await party_reg.resolve(station, st["community"], [p["key"] for p in specs])
    async with db.write():
        required = {p["key"]: resolved[p["key"]]["name"] for p in specs if p["required"]}
        required.update(await staff_names(chair, recorder))
        clashes = await _guard_conflicts(principal, None, room, start, end, required, force)
        row = (await Meeting.insert(Meeting(
            station=station, community=st["community"], kind=kind, title=title, room=room, starts_at=start,
            ends_at=end, chair=chair, recorder=recorder, state="planned", forced=bool(clashes),
            created_by=principal.user_id or None, created_at=now(),
        )).returning(Meeting.id))[0]
        mid = row["id"]
        for p in specs:
            info = resolved[p["key"]]
            await MeetingParty.insert(MeetingParty(
                meeting=mid, party_key=p["key"], organisation=info.get("organisation"), person=info.get("person"),
                user=info.get("user"), name=info["name"], delegates=p["delegates"], required=p["required"]))
        await record(principal, "created", {"id": mid, "station": station}, None,
                     {"kind": kind, "title": title, "room": room, "starts_at": start, "ends_at": end,
                      "parties": specs, **({"forced_over": _clash_log(clashes)} if clashes else {})}, ip)
        await notify.meeting_created({"id": mid, "title": title, "starts_at": start}, [p["key"] for p in specs])
    return mid


async def _refuse_if_owned(meeting_id: int) -> None:
    """A meeting booked by another record (a mediation session) moves only with that record."""
    from council.meetings.owners import owner_of

    found = await owner_of(meeting_id)
    if found is not None:
        raise Conflict(found.message)


async def update_meeting(principal: Principal, meeting_id: int, *, version: Any, title: str | None = None,
                         kind: str | None = None, room: Any = "keep", starts_at: Any = "keep", ends_at: Any = "keep",
                         chair: Any = "keep", recorder: Any = "keep", force: bool = False, ip: str = "") -> dict:
    """Edit details before the meeting is held. A scheduled meeting's time is moved by reschedule."""
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if row["state"] not in sm.EDITABLE_STATES:
        raise Conflict("This meeting cannot do that in its current state.")
    check_version(row, version)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if title is not None:
        title = title.strip()
        if not title:
            errors["title"] = "This field is required."
        values["title"] = title[:200]
    if kind is not None:
        if kind not in sm.KIND_CODES:
            errors["kind"] = "Choose one of the listed options."
        values["kind"] = kind
    if room != "keep":
        await _check_room(room, row["station"])
        values["room"] = room
    for name, raw in (("chair", chair), ("recorder", recorder)):
        if raw != "keep":
            await _check_staff(raw, row["station"], name)
            values[name] = raw
    if starts_at != "keep" or ends_at != "keep":
        if row["state"] == "scheduled":
            raise Conflict("A scheduled meeting is moved by rescheduling it, with a reason.")
        values["starts_at"] = parse_local(starts_at, "starts_at") if starts_at != "keep" else row["starts_at"]
        values["ends_at"] = parse_local(ends_at, "ends_at") if ends_at != "keep" else row["ends_at"]
        _validate_times(values["starts_at"], values["ends_at"], errors)
    if errors:
        raise Invalid(FIX, errors=errors)
    if any(values.get(k, row[k]) != row[k] for k in ("room", "starts_at", "ends_at")):
        await _refuse_if_owned(meeting_id)
    async with db.write():
        row, view = await load_meeting(principal, meeting_id)
        check_version(row, version)
        changed = {k for k in ("room", "chair", "recorder", "starts_at", "ends_at")
                   if k in values and values[k] != row[k]}
        if changed & {"starts_at", "ends_at"}:  # a new time: everyone and the room again
            room_, needed = values.get("room", row["room"]), await required_names(meeting_id)
            needed.update(await staff_names(values.get("chair", row["chair"]), values.get("recorder", row["recorder"])))
        else:  # the same time: only who or what is new (a conflict forced earlier is not asked again)
            room_ = values["room"] if "room" in changed else None
            needed = await staff_names(*(values[k] for k in ("chair", "recorder") if k in changed))
        clashes = await _guard_conflicts(principal, meeting_id, room_, values.get("starts_at", row["starts_at"]),
                                         values.get("ends_at", row["ends_at"]), needed, force) if changed else []
        if clashes:
            values["forced"] = True
        after = await bump(row, values)
        await record(principal, "updated", row, {k: row.get(k) for k in values},
                     {**values, **({"forced_over": _clash_log(clashes)} if clashes else {})}, ip)
    return after


async def required_names(meeting_id: int) -> dict[str, str]:
    rows = await MeetingParty.select(MeetingParty.party_key, MeetingParty.name).where(
        (MeetingParty.meeting == meeting_id) & (MeetingParty.required == True)  # noqa: E712
        & (MeetingParty.response != "declined"))
    return {r["party_key"]: r["name"] for r in rows}


async def move(principal: Principal, meeting_id: int, action: str, *, version: Any = None, reason: str = "",
               starts_at: Any = None, ends_at: Any = None, room: Any = "keep", force: bool = False,
               ip: str = "") -> dict:
    """schedule / reschedule (new time, reason) / cancel (reason) / hold."""
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if action in ("reschedule", "cancel"):
        await _refuse_if_owned(meeting_id)
    try:
        target = sm.next_state(row["state"], action, reason)
    except sm.MoveRefused as e:
        raise Conflict(str(e), errors={"reason": str(e)} if "reason" in str(e) else {}) from None
    too_early = sm.time_refusal(action, row["starts_at"], now())
    if too_early:
        raise Conflict(too_early)
    values: dict[str, Any] = {"state": target}
    if sm.MOVES[action].needs_reason:
        values["reason"] = reason.strip()[:1000]
    errors: dict[str, str] = {}
    if action == "reschedule":
        values["starts_at"] = parse_local(starts_at, "starts_at")
        values["ends_at"] = parse_local(ends_at, "ends_at")
        if values["starts_at"] is None:
            errors["starts_at"] = "This field is required."
        _validate_times(values["starts_at"], values["ends_at"], errors)
        if room != "keep":
            await _check_room(room, row["station"])
            values["room"] = room
    if action == "schedule" and row["starts_at"] is None:
        errors["starts_at"] = "Set the time before scheduling."
    if errors:
        raise Invalid(FIX, errors=errors)
    async with db.write():
        row, view = await load_meeting(principal, meeting_id)
        check_version(row, version)
        if action in ("schedule", "reschedule"):
            clashes = await _guard_conflicts(principal, meeting_id, values.get("room", row["room"]),
                                             values.get("starts_at", row["starts_at"]),
                                             values.get("ends_at", row["ends_at"]),
                                             await required_names(meeting_id) | await staff_names(
                                                 row["chair"], row["recorder"]), force)
            if clashes:
                values["forced"] = True
        else:
            clashes = []
        after = await bump(row, values)
        await record(principal, action, row, {k: row.get(k) for k in values},
                     {**values, **({"forced_over": _clash_log(clashes)} if clashes else {})}, ip)
        if action in ("reschedule", "cancel"):
            from council.meetings.agenda import note_on_cases

            await note_on_cases(principal, after, action, values.get("reason", ""))
        await notify.meeting_moved(after, action)
    return after


# ------------------------------------------------------------------ parties

async def add_party(principal: Principal, meeting_id: int, key: str, *, required: bool = True,
                    delegates: str = "", ip: str = "", force: bool = False) -> None:
    """Invite a party. A required party already busy at the meeting's time is a double booking:
    refused naming the clash, unless a secretary forces it (recorded)."""
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if row["state"] not in sm.EDITABLE_STATES:
        raise Conflict("This meeting cannot do that in its current state.")
    info = (await party_reg.resolve(row["station"], row["community"], [key]))[key]
    async with db.write():
        if await MeetingParty.exists().where((MeetingParty.meeting == meeting_id) & (MeetingParty.party_key == key)):
            raise Conflict("This party is already invited.", errors={"parties": "This party is already invited."})
        clashes = await _guard_conflicts(principal, meeting_id, None, row["starts_at"], row["ends_at"],
                                         {key: info["name"]}, force) if required else []
        if clashes:
            await Meeting.update({Meeting.forced: True}).where(Meeting.id == meeting_id)
        try:
            await MeetingParty.insert(MeetingParty(
                meeting=meeting_id, party_key=key, organisation=info.get("organisation"), person=info.get("person"),
                user=info.get("user"), name=info["name"], delegates=(delegates or "").strip()[:500],
                required=required))
        except Exception as e:  # two secretaries adding the same party at once
            if db.is_unique_violation(e):
                raise Conflict("This party is already invited.") from None
            raise
        await record(principal, "party_added", row, None,
                     {"party": key, "required": required, **({"forced_over": _clash_log(clashes)} if clashes else {})},
                     ip)
        await notify.meeting_invited(row, key)


async def remove_party(principal: Principal, meeting_id: int, party_id: int, ip: str = "") -> None:
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if row["state"] not in sm.EDITABLE_STATES:
        raise Conflict("This meeting cannot do that in its current state.")
    async with db.write():
        p = await MeetingParty.select().where((MeetingParty.id == party_id) & (MeetingParty.meeting == meeting_id)).first()
        if p is None:
            raise NotFound()
        await MeetingParty.delete().where(MeetingParty.id == party_id)
        await record(principal, "party_removed", row, {"party": p["party_key"], "required": p["required"]}, None, ip)


# ------------------------------------------------------------------ busy blocks

async def add_busy_block(principal: Principal, station: int, who: str, starts_at: Any, ends_at: Any,
                         label: str = "", ip: str = "") -> int:
    errors: dict[str, str] = {}
    start, end = parse_local(starts_at, "starts_at"), parse_local(ends_at, "ends_at")
    if start is None:
        errors["starts_at"] = "This field is required."
    _validate_times(start, end, errors)
    if errors:
        raise Invalid(FIX, errors=errors)
    st = await _station(principal, station)
    require(policy.can_manage(principal, station=station))
    await _check_who(station, st["community"], who)
    async with db.write():
        bid = (await BusyBlock.insert(BusyBlock(
            station=station, who=who, starts_at=start, ends_at=end, label=(label or "").strip()[:200],
            source="manual", created_by=principal.user_id or None, created_at=now())).returning(BusyBlock.id))[0]["id"]
        await record(principal, "busy_added", {"id": bid, "station": station}, None,
                     {"who": who, "starts_at": start, "ends_at": end, "label": label}, ip,
                     entity_type="meeting_busy_block", entity_id=bid)
    return bid


async def _check_who(station: int, community: int, who: str) -> None:
    if who.startswith("room:"):
        rid = who[5:]
        if not rid.isdigit() or not await Room.exists().where((Room.id == int(rid)) & (Room.station == station)):
            raise Invalid(FIX, errors={"who": "Choose one of the listed options."})
        return
    try:
        await party_reg.resolve(station, community, [who])
    except Invalid:
        raise Invalid(FIX, errors={"who": "Choose one of the listed options."}) from None


async def delete_busy_block(principal: Principal, block_id: int, ip: str = "") -> None:
    row = await BusyBlock.select().where(BusyBlock.id == block_id).first()
    if row is None:
        raise NotFound()
    principal.require_station(row["station"])  # another station's: 404, as if it did not exist
    require(policy.can_manage(principal, station=row["station"]))
    async with db.write():
        await BusyBlock.delete().where(BusyBlock.id == block_id)
        await record(principal, "busy_deleted", {"id": block_id, "station": row["station"]},
                     {"who": row["who"], "starts_at": row["starts_at"], "ends_at": row["ends_at"]}, None, ip,
                     entity_type="meeting_busy_block", entity_id=block_id)


async def import_ics(principal: Principal, station: int, who: str, content: bytes, ip: str = "") -> dict:
    """Busy blocks from a calendar file. Re-importing replaces the earlier import for the same key."""
    st = await _station(principal, station)
    require(policy.can_manage(principal, station=station))
    await _check_who(station, st["community"], who)
    if len(content) > 2_000_000:
        raise Invalid(FIX, errors={"file": "The file is too large."})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(FIX, errors={"file": "This is not an .ics calendar file."}) from None
    # Repeating events are expanded into occurrences from a week ago to a year ahead (ics.HORIZON):
    # the blocks are stored, so the import says until when it covers.
    window_start = now() - dt.timedelta(days=7)
    window_end = now() + ics.HORIZON
    try:
        events = ics.parse(text, start=window_start, end=window_end)
    except ics.IcsError as e:
        raise Invalid(FIX, errors={"file": str(e)}) from None
    async with db.write():
        await BusyBlock.delete().where((BusyBlock.station == station) & (BusyBlock.who == who)
                                       & (BusyBlock.source == "ics"))
        stamp = now()
        rows = [BusyBlock(station=station, who=who, starts_at=utc(e.start), ends_at=utc(e.end),
                          label=e.summary, source="ics", created_by=principal.user_id or None, created_at=stamp)
                for e in events]
        for i in range(0, len(rows), 500):
            await BusyBlock.insert(*rows[i:i + 500])
        result = {"events": len(events), "recurring": sum(1 for e in events if e.recurring),
                  "until": window_end.astimezone(LOCAL).date().isoformat()}
        await record(principal, "busy_imported", {"id": 0, "station": station}, None, {"who": who, **result}, ip,
                     entity_type="meeting_busy_block", entity_id=None)
    return result


# ------------------------------------------------------------------ the slot finder's data

async def suggest(principal: Principal, station: int, parties: list[dict], *, duration_minutes: int,
                  first_day: dt.date, last_day: dt.date, need_room: bool = True, ignore_meeting: int | None = None,
                  limit: int = 10, per_day: int | None = 2,
                  include_holidays: bool = False) -> tuple[slots.Result, dict[str, str]]:
    """Ranked slots for these parties at this station. Returns the result and key → name.
    Holidays are not offered unless include_holidays (包括节假日); make-up working days are."""
    errors: dict[str, str] = {}
    if not 15 <= duration_minutes <= 12 * 60:
        errors["duration"] = "Choose a duration between 15 minutes and 12 hours."
    if last_day < first_day:
        errors["last_day"] = "The end must be after the start."
    elif (last_day - first_day).days > MAX_WINDOW_DAYS:
        errors["last_day"] = "Search at most two months at a time."
    specs = _party_specs(parties)
    if not specs:
        errors["parties"] = "Choose at least one party."
    if errors:
        raise Invalid(FIX, errors=errors)
    st = await _station(principal, station)
    if not (policy.can_manage(principal, station=station) or principal.sees_station(station)):
        raise Forbidden()
    resolved = await party_reg.resolve(station, st["community"], [p["key"] for p in specs])
    rooms = await Room.select(Room.id, Room.name).where(Room.station == station).order_by(Room.id) if need_room else []
    window_start = dt.datetime.combine(first_day, dt.time(0), tzinfo=LOCAL)
    window_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL)
    keys = [p["key"] for p in specs] + [f"room:{r['id']}" for r in rooms]
    found = await busy.collect(window_start, window_end, keys,
                               ignore_ref=f"meeting:{ignore_meeting}" if ignore_meeting else "")
    by_key: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    for b in found:
        by_key.setdefault(b.who, []).append((b.start, b.end))
    # China's statutory holidays and make-up working days, with the station's own days over them.
    closed, open_days = slots.calendar_days(await calendar_for(station), first_day, last_day,
                                            include_holidays=include_holidays)
    result = slots.find_slots(
        [slots.Party(p["key"], resolved[p["key"]]["name"], resolved[p["key"]]["hours"], by_key.get(p["key"], ()),
                     p["required"]) for p in specs],
        dt.timedelta(minutes=duration_minutes), first_day, last_day,
        rooms=[slots.Room(f"room:{r['id']}", r["name"], by_key.get(f"room:{r['id']}", ())) for r in rooms]
        if need_room else None,
        closed_days=closed, open_days=open_days, not_before=now(), limit=limit, per_day=per_day,
    )
    names = {k: v["name"] for k, v in resolved.items()}
    names.update({f"room:{r['id']}": r["name"] for r in rooms})
    names[slots.ROOM] = "No room free"
    return result, names
