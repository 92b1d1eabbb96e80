"""Who is told: turning users, organisations, stations, residents and dispute parties into
targets with their channels, inside the caller's transaction.

Defaults when nobody set a preference: a user gets the in-app message (and e-mail or SMS only
once they entered an address in their preferences); an organisation gets an SMS at its registered
phone and its WeCom group robot when one is set; a station's WeCom group when set. A resident gets
an SMS only with consent: the contact consent recorded at intake for their own case, or channels
they agreed to in their preference (recorded by staff).
"""

from __future__ import annotations

from typing import Iterable

from council.notify.outbox import Target, apply_preference, preferences

USER_DEFAULT = ("inapp", "email", "sms")  # e-mail and SMS need the address from the preference
ORG_DEFAULT = ("sms", "wecom", "email")
STATION_DEFAULT = ("wecom",)
RESIDENT_DEFAULT: tuple[str, ...] = ()  # nothing without consent


async def users(user_ids: Iterable[int | None]) -> list[Target]:
    from council.accounts.tables import User

    ids = sorted({u for u in user_ids if u})
    if not ids:
        return []
    rows = await User.select(User.id, User.username, User.display_name, User.locale).where(
        User.id.is_in(ids) & (User.is_active == True))  # noqa: E712
    prefs = await preferences(f"user:{r['id']}" for r in rows)
    out = []
    for r in rows:
        t = Target(f"user:{r['id']}", r["display_name"] or r["username"], r["locale"] or "zh_CN", {"inapp": ""})
        out.append(apply_preference(t, prefs.get(t.key), USER_DEFAULT))
    return out


async def station_staff(station_id: int, roles: tuple[str, ...] = ("secretary",), *, group: bool = True) -> list[Target]:
    """The station's staff in these roles (in-app and their own channels), and its WeCom group."""
    from council.accounts.tables import UserStation

    rows = await UserStation.select(UserStation.user).where(
        (UserStation.station == station_id) & UserStation.user.role.is_in(list(roles)))
    out = await users(r["user"] for r in rows)
    if group:
        pref = (await preferences([f"station:{station_id}"])).get(f"station:{station_id}")
        if pref and pref["wecom_key"]:
            from council.stations.tables import Station

            st = await Station.select(Station.name).where(Station.id == station_id).first()
            t = apply_preference(Target(f"station:{station_id}", st["name"] if st else ""), pref, STATION_DEFAULT)
            out.append(t)
    return out


async def organisation(org_id: int | None, *, link: tuple[str, int] | None = None,
                       with_users: bool = True) -> list[Target]:
    """The organisation itself (SMS to its phone, its group robot, with a signed link when it has
    no account to sign in with) and its liaisons' accounts."""
    from council.accounts.tables import User
    from council.parties.tables import ContactPerson, Organisation

    if not org_id:
        return []
    org = await Organisation.select(Organisation.id, Organisation.name, Organisation.phone).where(
        Organisation.id == org_id).first()
    if org is None:
        return []
    phone = org["phone"]
    if not phone:
        contact = await ContactPerson.select(ContactPerson.phone).where(
            (ContactPerson.organisation == org_id) & (ContactPerson.phone != "")).order_by(ContactPerson.id).first()
        phone = contact["phone"] if contact else ""
    pref = (await preferences([f"org:{org_id}"])).get(f"org:{org_id}")
    t = apply_preference(Target(f"org:{org_id}", org["name"], addresses={"sms": phone}, link=link), pref, ORG_DEFAULT)
    out = [t]
    if with_users:
        liaisons = await User.select(User.id).where((User.organisation == org_id) & (User.is_active == True))  # noqa: E712
        out += await users(r["id"] for r in liaisons)
    return out


async def residents(person_ids: Iterable[int | None], *, consented: Iterable[int] = ()) -> list[Target]:
    """Residents: in-app for those with an account; SMS to those who consented (at intake for this
    case: `consented`, or in their recorded preference)."""
    from council.accounts.tables import User
    from council.people.tables import Person

    ids = sorted({p for p in person_ids if p})
    if not ids:
        return []
    consented = set(consented)
    out: list[Target] = []
    for chunk in range(0, len(ids), 900):
        part = ids[chunk:chunk + 900]
        people = await Person.select(Person.id, Person.name, Person.phone).where(
            Person.id.is_in(part) & Person.anonymised_at.is_null())
        prefs = await preferences(f"person:{p['id']}" for p in people)
        for p in people:
            key = f"person:{p['id']}"
            defaults = ("sms",) if p["id"] in consented else RESIDENT_DEFAULT
            t = apply_preference(Target(key, p["name"], addresses={"sms": p["phone"]}), prefs.get(key), defaults)
            if t.addresses:
                out.append(t)
        accounts = await User.select(User.id).where(User.person.is_in(part) & (User.is_active == True))  # noqa: E712
        out += await users(r["id"] for r in accounts)
    return out


async def dispute_parties(dispute_id: int, *, link_session: int | None = None) -> list[Target]:
    """The parties of a dispute who agreed to mediation (consent given), at their phone or their
    agent's; with a link to confirm the session when one is named."""
    from council.mediation.tables import DisputeParty

    rows = await DisputeParty.select().where((DisputeParty.dispute == dispute_id) & (DisputeParty.consent == "given"))
    prefs = await preferences(f"party:{r['id']}" for r in rows)
    out = []
    for r in rows:
        phone = r["phone"] or r["agent_phone"]
        key = f"party:{r['id']}"
        t = apply_preference(Target(key, r["name"], addresses={"sms": phone},
                                    link=("session_confirm", link_session) if link_session else None),
                             prefs.get(key), ("sms",))
        if t.addresses:
            out.append(t)
    return out


def merge(*groups: list[Target]) -> list[Target]:
    seen: dict[str, Target] = {}
    for group in groups:
        for t in group:
            seen.setdefault(t.key, t)
    return list(seen.values())
