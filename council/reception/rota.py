"""Use cases for the schedule and the duty roster: the station's reception settings (room,
rotation), exceptions to the weekly day, roster members, and swap requests and decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.accounts.tables import User, UserStation
from council.audit import service as audit
from council.cases.common import now
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.people.tables import Person
from council.reception import policy, roster, schedule
from council.reception.desk import FIX, _day, _id, _text
from council.reception.store import approved_swaps, desk_station, exceptions_for, members_for, setting_for
from council.reception.tables import ReceptionException, ReceptionSetting, RosterMember, RosterSwap
from council.stations.tables import Room


def _time(value: Any, name: str, errors: dict) -> dt.time | None:
    if value in (None, ""):
        return None
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        errors[name] = "Enter a time as HH:MM."
        return None


async def save_settings(principal: Principal, station_id: int, data: dict[str, Any], ip: str = "") -> dict:
    errors = {k: "Unknown field." for k in data if k not in ("room", "roster_anchor", "per_week", "version")}
    station = await desk_station(principal, station_id, manage=True)
    room = _id(data, "room", errors)
    anchor = _day(data.get("roster_anchor"), errors, "roster_anchor")
    try:
        per_week = int(data.get("per_week") or 1)
        if not 1 <= per_week <= 10:
            raise ValueError
    except (TypeError, ValueError):
        errors["per_week"] = "Enter a whole number from 1 to 10."
        per_week = 1
    if room is not None and not await Room.exists().where((Room.id == room) & (Room.station == station["id"])):
        errors["room"] = "Choose one of the listed options."
    if errors:
        raise Invalid(FIX, errors=errors)
    values = {"room": room, "roster_anchor": roster.monday(anchor), "per_week": per_week}
    async with db.write():
        current = await setting_for(station["id"])
        if current["id"] is None:
            await ReceptionSetting.insert(ReceptionSetting(station=station["id"], **values))
        else:
            version = data.get("version")
            if version not in (None, "") and str(version) != str(current["version"]):
                raise Conflict("Someone else changed this record after you opened it. Reload to see their changes.")
            await ReceptionSetting.update({**{getattr(ReceptionSetting, k): v for k, v in values.items()},
                                           ReceptionSetting.version: current["version"] + 1}).where(
                ReceptionSetting.id == current["id"])
        before, after = audit.diff({k: current.get(k) for k in values}, values)
        await audit.record(principal, "reception.settings", entity_type="station", entity_id=station["id"],
                           before=before, after=after, station_id=station["id"], ip=ip)
    return await setting_for(station["id"])


async def add_exception(principal: Principal, station_id: int, data: dict[str, Any], ip: str = "") -> int:
    allowed = ("day", "kind", "moved_to", "start_time", "end_time", "note")
    errors = {k: "Unknown field." for k in data if k not in allowed}
    station = await desk_station(principal, station_id, manage=True)
    if not data.get("day"):
        errors["day"] = "This field is required."
    day = _day(data.get("day"), errors)
    moved_to = _day(data.get("moved_to"), errors, "moved_to") if data.get("moved_to") else None
    start, end = _time(data.get("start_time"), "start_time", errors), _time(data.get("end_time"), "end_time", errors)
    note = _text(data, "note", errors, limit=200)
    kind = data.get("kind") or ""
    if errors:
        raise Invalid(FIX, errors=errors)
    e = schedule.ReceptionException(day, kind, moved_to, start, end, note)
    async with db.write():
        errors = schedule.check_exception(station["reception_weekday"], e, await exceptions_for(station["id"]))
        if "end" in errors:
            errors["end_time"] = errors.pop("end")
        if await ReceptionException.exists().where((ReceptionException.station == station["id"]) & (ReceptionException.day == day)):
            errors["day"] = "This reception day already has an exception."
        if errors:
            raise Invalid(FIX, errors=errors)
        values = dict(station=station["id"], day=day, kind=kind, moved_to=moved_to if kind == schedule.MOVED else None,
                      start_time=start if kind == schedule.MOVED else None, end_time=end if kind == schedule.MOVED else None,
                      note=note, created_by=principal.user_id or None, created_at=now())
        new_id = (await ReceptionException.insert(ReceptionException(**values)))[0]["id"]
        await audit.record(principal, "reception.exception.create", entity_type="reception_exception", entity_id=new_id,
                           after={k: v for k, v in values.items() if k != "created_at"}, station_id=station["id"], ip=ip)
    return new_id


async def remove_exception(principal: Principal, exception_id: int, ip: str = "") -> None:
    async with db.write():
        row = await ReceptionException.select().where(ReceptionException.id == exception_id).first()
        if row is None:
            raise NotFound()
        await desk_station(principal, row["station"], manage=True)
        await ReceptionException.delete().where(ReceptionException.id == exception_id)
        await audit.record(principal, "reception.exception.delete", entity_type="reception_exception",
                           entity_id=exception_id, before={k: v for k, v in row.items() if k != "created_at"},
                           station_id=row["station"], ip=ip)


async def add_member(principal: Principal, station_id: int, data: dict[str, Any], ip: str = "") -> int:
    """A staff user of the station, or a volunteering party member (a resident, or a name)."""
    errors = {k: "Unknown field." for k in data if k not in ("user", "person", "name")}
    station = await desk_station(principal, station_id, manage=True)
    user_id, person_id = _id(data, "user", errors), _id(data, "person", errors)
    name = _text(data, "name", errors, limit=100)
    kind = "staff" if user_id is not None else "volunteer"
    if user_id is not None:
        user = await User.select(User.display_name, User.username).where(User.id == user_id).first()
        at = await UserStation.exists().where((UserStation.user == user_id) & (UserStation.station == station["id"]))
        if user is None or not at:
            errors["user"] = "Choose one of the listed options."
        else:
            name = name or user["display_name"] or user["username"]
    elif person_id is not None:
        person = await Person.select(Person.name, Person.community).where(Person.id == person_id).first()
        if person is None or person["community"] != station["community"]:
            errors["person"] = "Choose one of the listed options."
        else:
            name = name or person["name"]
    elif not name:
        errors["name"] = "This field is required."
    if errors:
        raise Invalid(FIX, errors=errors)
    async with db.write():
        members = await members_for(station["id"], active_only=False)
        if user_id is not None and any(m["user"] == user_id and m["active"] for m in members):
            raise Invalid(FIX, errors={"user": "Already on the roster."})
        position = max((m["position"] for m in members), default=0) + 1
        new_id = (await RosterMember.insert(RosterMember(station=station["id"], user=user_id, person=person_id,
                                                         name=name, kind=kind, position=position)))[0]["id"]
        await audit.record(principal, "reception.roster.add", entity_type="reception_roster_member", entity_id=new_id,
                           after={"name": name, "kind": kind, "user": user_id, "person": person_id, "position": position},
                           station_id=station["id"], ip=ip)
    return new_id


async def remove_member(principal: Principal, member_id: int, ip: str = "") -> None:
    """Off the roster (kept for the history of swaps): the rotation goes on without them."""
    async with db.write():
        row = await RosterMember.select().where(RosterMember.id == member_id).first()
        if row is None:
            raise NotFound()
        await desk_station(principal, row["station"], manage=True)
        await RosterMember.update({RosterMember.active: False, RosterMember.version: row["version"] + 1}).where(
            RosterMember.id == member_id)
        await audit.record(principal, "reception.roster.remove", entity_type="reception_roster_member",
                           entity_id=member_id, before={"active": True}, after={"active": False},
                           station_id=row["station"], ip=ip)


async def request_swap(principal: Principal, station_id: int, data: dict[str, Any], ip: str = "") -> int:
    allowed = ("week", "out_member", "in_member", "return_week", "reason")
    errors = {k: "Unknown field." for k in data if k not in allowed}
    station = await desk_station(principal, station_id)
    if not policy.can_request_swap(principal, station["id"]):
        raise Forbidden()
    if not data.get("week"):
        errors["week"] = "This field is required."
    week = _day(data.get("week"), errors, "week")
    return_week = _day(data.get("return_week"), errors, "return_week") if data.get("return_week") else None
    out_member, in_member = _id(data, "out_member", errors), _id(data, "in_member", errors)
    for name, value in (("out_member", out_member), ("in_member", in_member)):
        if value is None:
            errors.setdefault(name, "This field is required.")
    reason = _text(data, "reason", errors, limit=500)
    if errors:
        raise Invalid(FIX, errors=errors)
    async with db.write():
        setting = await setting_for(station["id"])
        members = [m["id"] for m in await members_for(station["id"])]
        swap = roster.Swap(roster.monday(week), out_member, in_member, roster.monday(return_week) if return_week else None)
        errors = roster.check_swap(swap, members, setting["roster_anchor"], setting["per_week"],
                                   await approved_swaps(station["id"]))
        if errors:
            raise Invalid(FIX, errors=errors)
        values = dict(station=station["id"], week=swap.week, out_member=out_member, in_member=in_member,
                      return_week=swap.return_week, reason=reason, status="pending",
                      requested_by=principal.user_id or None, requested_at=now())
        new_id = (await RosterSwap.insert(RosterSwap(**values)))[0]["id"]
        await audit.record(principal, "reception.swap.request", entity_type="reception_roster_swap", entity_id=new_id,
                           after={k: v for k, v in values.items() if k != "requested_at"}, station_id=station["id"], ip=ip)
    return new_id


async def decide_swap(principal: Principal, swap_id: int, approve: bool, version: Any = None, ip: str = "") -> dict:
    """The secretariat approves (checked again against the roster as it is now) or refuses."""
    async with db.write():
        row = await RosterSwap.select().where(RosterSwap.id == swap_id).first()
        if row is None:
            raise NotFound()
        await desk_station(principal, row["station"], manage=True)
        if row["status"] != "pending":
            raise Conflict("This swap has already been decided.")
        if version not in (None, "") and str(version) != str(row["version"]):
            raise Conflict("Someone else changed this record after you opened it. Reload to see their changes.")
        if approve:
            setting = await setting_for(row["station"])
            members = [m["id"] for m in await members_for(row["station"])]
            errors = roster.check_swap(roster.Swap(row["week"], row["out_member"], row["in_member"], row["return_week"]),
                                       members, setting["roster_anchor"], setting["per_week"],
                                       await approved_swaps(row["station"]))
            if errors:
                raise Conflict("The roster has changed since this swap was asked for; it no longer fits.")
        status = "approved" if approve else "refused"
        changed = await RosterSwap.update({RosterSwap.status: status, RosterSwap.decided_by: principal.user_id or None,
                                           RosterSwap.decided_at: now(), RosterSwap.version: row["version"] + 1}).where(
            (RosterSwap.id == swap_id) & (RosterSwap.version == row["version"])).returning(RosterSwap.id)
        if not changed:
            raise Conflict("This swap has already been decided.")
        await audit.record(principal, f"reception.swap.{status}", entity_type="reception_roster_swap", entity_id=swap_id,
                           before={"status": "pending"}, after={"status": status}, station_id=row["station"], ip=ip)
        return {**row, "status": status}
