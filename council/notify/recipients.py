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


# Recipients are resolved inside the write that causes the message, so each builder reads what it
# needs in as few statements as it can (raw SQL where Piccolo's query building would cost more than
# the query): the people in one statement, every preference of them in one more (or in the same one).
USERS_SQL = ('SELECT "id", "username", "display_name", "locale" FROM "app_user" '
             'WHERE "is_active" = {} AND "id" IN ({})')
STAFF_SQL = ('SELECT u."id", u."username", u."display_name", u."locale", s."name" AS "station_name" '
             'FROM "station" s LEFT JOIN "user_station" us ON us."station" = s."id" '
             'LEFT JOIN "app_user" u ON u."id" = us."user" AND u."is_active" = {} AND u."role" IN ({}) '
             'WHERE s."id" = {} ORDER BY u."id"')
PREF_COLUMNS = ("owner", "channels", "email", "mobile", "wecom_key", "quiet_start", "quiet_end", "digest")
ORG_SQL = ('SELECT o."id", o."name", o."phone", '
           '(SELECT c."phone" FROM "contact_person" c WHERE c."organisation" = o."id" AND c."phone" != \'\' '
           'ORDER BY c."id" LIMIT 1) AS "contact_phone", '
           'u."id" AS "user_id", u."username", u."display_name", u."locale", '
           + ", ".join(f'op."{c}" AS "op_{c}", up."{c}" AS "up_{c}"' for c in PREF_COLUMNS) + ' '
           'FROM "organisation" o LEFT JOIN "app_user" u ON u."organisation" = o."id" AND u."is_active" = {} '
           'LEFT JOIN "notify_preference" op ON op."owner" = {} '
           'LEFT JOIN "notify_preference" up ON up."owner" = {} || CAST(u."id" AS TEXT) '
           'WHERE o."id" = {} ORDER BY u."id"')


def _pref_of(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}owner"] is None:
        return None
    return {c: row[f"{prefix}{c}"] for c in PREF_COLUMNS}


def _user_target(r: dict, prefs: dict[str, dict]) -> Target:
    t = Target(f"user:{r['id']}", r["display_name"] or r["username"], r["locale"] or "zh_CN", {"inapp": ""})
    return apply_preference(t, prefs.get(t.key), USER_DEFAULT)


async def users(user_ids: Iterable[int | None]) -> list[Target]:
    from council import db

    ids = sorted({u for u in user_ids if u})
    if not ids:
        return []
    rows = await db.raw(USERS_SQL.format("{}", ", ".join(["{}"] * len(ids))), True, *ids)
    prefs = await preferences(f"user:{r['id']}" for r in rows)
    return [_user_target(r, prefs) for r in rows]


async def station_staff(station_id: int, roles: tuple[str, ...] = ("secretary",), *, group: bool = True) -> list[Target]:
    """The station's staff in these roles (in-app and their own channels), and its WeCom group:
    the station and its staff in one statement, their preferences in another."""
    from council import db

    rows = [r for r in await db.raw(STAFF_SQL.format("{}", ", ".join(["{}"] * len(roles)), "{}"),
                                    True, *roles, station_id)]
    if not rows:
        return []
    people = [r for r in rows if r["id"] is not None]
    owners = [f"user:{r['id']}" for r in people] + ([f"station:{station_id}"] if group else [])
    prefs = await preferences(owners)
    out = [_user_target(r, prefs) for r in people]
    pref = prefs.get(f"station:{station_id}") if group else None
    if pref and pref["wecom_key"]:
        out.append(apply_preference(Target(f"station:{station_id}", rows[0]["station_name"] or ""), pref,
                                    STATION_DEFAULT))
    return out


async def organisation(org_id: int | None, *, link: tuple[str, int] | None = None,
                       with_users: bool = True) -> list[Target]:
    """The organisation itself (SMS to its phone, else its first contact's; its group robot; a
    signed link when it has no account to sign in with) and its liaisons' accounts: the
    organisation, its contact's phone, its liaisons and all their preferences in one statement."""
    from council import db

    if not org_id:
        return []
    rows = await db.raw(ORG_SQL, True, f"org:{org_id}", "user:", org_id)
    if not rows:
        return []
    org = rows[0]
    liaisons = [r for r in rows if r["user_id"] is not None] if with_users else []
    prefs = {f"user:{r['user_id']}": p for r in liaisons if (p := _pref_of(r, "up_"))}
    if (p := _pref_of(org, "op_")) is not None:
        prefs[f"org:{org_id}"] = p
    phone = org["phone"] or org["contact_phone"] or ""
    t = apply_preference(Target(f"org:{org_id}", org["name"], addresses={"sms": phone}, link=link),
                         prefs.get(f"org:{org_id}"), ORG_DEFAULT)
    return [t] + [_user_target({**r, "id": r["user_id"]}, prefs) for r in liaisons]


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
