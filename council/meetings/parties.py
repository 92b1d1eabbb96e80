"""The parties a meeting can invite, their names and working hours, read from the registers."""

from __future__ import annotations

from council.accounts.tables import User, UserStation
from council.core.errors import Invalid
from council.parties.tables import Organisation
from council.people.tables import Person

# Staff keep the station's office hours; residents have no office hours, but nobody is invited
# to a meeting at midnight: their "hours" are the waking day, every day.
STAFF_HOURS = [{"weekday": d, "start": "08:30", "end": "17:30"} for d in range(5)]
RESIDENT_HOURS = [{"weekday": d, "start": "08:00", "end": "21:00"} for d in range(7)]
KINDS = ("org", "user", "person")


def split(key: str) -> tuple[str, int]:
    kind, _, ident = (key or "").partition(":")
    if kind not in KINDS or not ident.isdigit():
        raise Invalid("Please correct the marked fields.", errors={"parties": "Choose one of the listed options."})
    return kind, int(ident)


async def organisations_for(community: int) -> list[dict]:
    """Organisations a meeting of this community can name: its own, and the shared departments."""
    return await Organisation.select(Organisation.id, Organisation.name, Organisation.kind).where(
        Organisation.community.is_null() | (Organisation.community == community)).order_by(
        Organisation.kind, Organisation.name)


async def candidates(station: int, community: int) -> list[dict]:
    """Everyone a meeting at this station may invite: key, name, kind."""
    orgs = await Organisation.select(Organisation.id, Organisation.name, Organisation.kind).where(
        Organisation.community.is_null() | (Organisation.community == community)).order_by(
        Organisation.kind, Organisation.name)
    user_ids = [r["user"] for r in await UserStation.select(UserStation.user).where(UserStation.station == station)]
    users = await User.select(User.id, User.display_name, User.username, User.role).where(
        User.id.is_in(user_ids or [-1]) & (User.is_active == True)).order_by(User.id)  # noqa: E712
    out = [{"key": f"org:{o['id']}", "name": o["name"], "kind": "org", "org_kind": o["kind"]} for o in orgs]
    out += [{"key": f"user:{u['id']}", "name": u["display_name"] or u["username"], "kind": "user",
             "role": u["role"]} for u in users if u["role"] not in ("resident", "department_liaison")]
    return out


async def resolve(station: int, community: int, keys: list[str]) -> dict[str, dict]:
    """key → {"name", "hours", "organisation"/"user"/"person"}; refuses keys outside the station."""
    out: dict[str, dict] = {}
    by_kind: dict[str, list[int]] = {"org": [], "user": [], "person": []}
    for k in keys:
        kind, ident = split(k)
        by_kind[kind].append(ident)
    if by_kind["org"]:
        for o in await Organisation.select(Organisation.id, Organisation.name, Organisation.working_hours,
                                           Organisation.community).where(Organisation.id.is_in(by_kind["org"])):
            if o["community"] in (None, community):
                hours = o["working_hours"]
                if isinstance(hours, str):
                    import json

                    hours = json.loads(hours or "[]")
                out[f"org:{o['id']}"] = {"name": o["name"], "hours": hours or STAFF_HOURS, "organisation": o["id"]}
    if by_kind["user"]:
        served = {r["user"] for r in await UserStation.select(UserStation.user).where(
            (UserStation.station == station) & UserStation.user.is_in(by_kind["user"]))}
        for u in await User.select(User.id, User.display_name, User.username).where(User.id.is_in(by_kind["user"])):
            if u["id"] in served:
                out[f"user:{u['id']}"] = {"name": u["display_name"] or u["username"], "hours": STAFF_HOURS,
                                          "user": u["id"]}
    if by_kind["person"]:
        for p in await Person.select(Person.id, Person.name).where(
                Person.id.is_in(by_kind["person"]) & (Person.community == community)
                & Person.anonymised_at.is_null()):
            out[f"person:{p['id']}"] = {"name": p["name"], "hours": RESIDENT_HOURS, "person": p["id"]}
    missing = [k for k in keys if k not in out]
    if missing:
        raise Invalid("Please correct the marked fields.", errors={"parties": "Choose one of the listed options."})
    return out
