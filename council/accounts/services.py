"""Use cases for accounts: users, sessions, API tokens, passwords."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from council import db
from council.accounts import passwords
from council.accounts.permissions import Role, is_area_role
from council.accounts.principal import Principal
from council.accounts.tables import ApiToken, Session, User, UserStation
from council.audit import service as audit
from council.core.errors import Conflict, Invalid, NotFound
from council.stations.tables import Station

TOKEN_PREFIX = "cncl_"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_hash(token: str) -> str:
    """What a session is known by in the database (and what its CSRF token is derived from)."""
    return _sha256(token)


async def _area_stations(user: dict) -> tuple[list[dict], str]:
    """The stations under an officer's area (street or district), and the area's name."""
    from council.accounts.principal import PlacedStation, area_of, stations_under
    from council.places.tables import Street

    street, district = area_of(user["role"], user.get("area_street"), user.get("area_district") or "")
    if street is None and not district:
        return [], ""
    query = Station.select(Station.id, Station.community, Station.name, Station.community.street.as_alias("street"),
                           Station.community.street.district.as_alias("district"))
    if street is not None:
        query = query.where(Station.community.street == street)
        row = await Street.select(Street.name, Street.district).where(Street.id == street).first()
        label = f"{row['district']} {row['name']}".strip() if row else ""
    else:
        query = query.where(Station.community.street.district == district)
        label = district
    rows = await query.order_by(Station.id)
    # The rule itself is pure (and unit-tested); the query above only narrows what it is given.
    keep = stations_under(user["role"], street, district, [
        PlacedStation(id=r["id"], community=r["community"], street=r["street"], district=r["district"] or "")
        for r in rows])
    return [{"station.id": r["id"], "station.community": r["community"], "station.name": r["name"]}
            for r in rows if r["id"] in keep], label


async def principal_for_user(user: dict, via: str) -> Principal:
    if user["role"] in (Role.street_officer, Role.district_officer, Role.judicial_officer):
        stations, area_label = await _area_stations(user)
        communities = frozenset(s["station.community"] for s in stations)
        return Principal(
            user_id=user["id"], username=user["username"], display_name=user["display_name"], role=user["role"],
            station_ids=frozenset(s["station.id"] for s in stations), community_ids=communities,
            locale=user["locale"], via=via, station_names=(area_label,) if area_label else (),
            area_street=user.get("area_street"), area_district=user.get("area_district") or "",
            area_label=area_label,
        )
    from council.stations.emblem import emblem_url

    stations = await (
        UserStation.select(UserStation.station.id, UserStation.station.community, UserStation.station.name,
                           UserStation.station.emblem)
        .where(UserStation.user == user["id"]).order_by(UserStation.station.id)
    )
    communities = frozenset(s["station.community"] for s in stations)
    if user["role"] == Role.resident and user["person"]:
        # A resident belongs to the community of their resident record (they have no stations).
        from council.people.tables import Person

        person = await Person.select(Person.community).where(Person.id == user["person"]).first()
        communities = frozenset({person["community"]}) if person else frozenset()
    return Principal(
        user_id=user["id"],
        username=user["username"],
        display_name=user["display_name"],
        role=user["role"],
        station_ids=frozenset(s["station.id"] for s in stations),
        community_ids=communities,
        organisation_id=user["organisation"],
        person_id=user["person"],
        locale=user["locale"],
        via=via,
        station_names=tuple(s["station.name"] for s in stations),
        station_emblem=emblem_url(stations[0]["station.id"], stations[0]["station.emblem"]) if stations else "",
    )


# ---------------------------------------------------------------- users

# Roles bound to no station: admins see all, liaisons their organisation, residents their record,
# officers their area.
UNBOUND = frozenset({Role.admin, Role.resident, Role.department_liaison,
                     Role.street_officer, Role.district_officer, Role.judicial_officer})


async def districts() -> list[str]:
    """The districts streets are filed under, for the admin's choice of a district officer's area."""
    from council.places.tables import Street

    rows = await Street.select(Street.district).where(Street.district != "").distinct().order_by(Street.district)
    return [r["district"] for r in rows]


async def _check_area(role: str, street: int | None, district: str | None) -> tuple[int | None, str]:
    """The area an officer's role needs, checked to exist; (None, "") for every other role.
    A street officer needs a street; a district officer a district some street is filed under;
    a judicial office either one (a street's 司法所, or the district's)."""
    from council.accounts.principal import area_of
    from council.places.tables import Street

    district = (district or "").strip()[:100]
    if role == Role.street_officer and not street:
        raise Invalid("A street officer must be tied to a street.", field="area_street")
    if role == Role.district_officer and not district:
        raise Invalid("A district officer must be tied to a district.", field="area_district")
    if role == Role.judicial_officer and not street and not district:
        raise Invalid("A judicial office must be tied to a street or a district.", field="area_street")
    street, district = area_of(role, street, district)
    if street is not None and not await Street.exists().where(Street.id == street):
        raise Invalid("Unknown street.", field="area_street")
    if district and not await Street.exists().where(Street.district == district):
        raise Invalid("No street is filed under that district.", field="area_district")
    return street, district


async def create_user(
    actor: Principal,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    station_ids: list[int] = (),
    organisation_id: int | None = None,
    person_id: int | None = None,
    area_street: int | None = None,
    area_district: str = "",
) -> int:
    username = username.strip()
    if not username or len(username) > 60:
        raise Invalid("Enter a username of at most 60 characters.", field="username")
    if role not in Role.__members__:
        raise Invalid("Unknown role.", field="role")
    try:
        passwords.check_strength(password, role)
    except ValueError as e:
        raise Invalid(str(e), field="password") from None
    if role == Role.department_liaison and not organisation_id:
        raise Invalid("A department liaison must belong to an organisation.", field="organisation")
    if role == Role.resident and not person_id:
        raise Invalid("A resident account must be linked to a resident record.", field="person")
    area_street, area_district = await _check_area(role, area_street, area_district)
    if is_area_role(role):
        station_ids = []  # officers see the stations of their area, never a list of their own
    if role not in UNBOUND and not station_ids:
        raise Invalid("Staff must serve at least one station.", field="stations")
    found = await Station.count().where(Station.id.is_in(list(station_ids))) if station_ids else 0
    if found != len(set(station_ids)):
        raise Invalid("Unknown station.", field="stations")
    password_hash = await passwords.hash_password(password)
    async with db.write():
        if await User.exists().where(User.username == username):
            raise Conflict("That username is taken.", field="username")
        rows = await User.insert(
            User(
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                role=role,
                organisation=organisation_id,
                person=person_id,
                area_street=area_street,
                area_district=area_district,
                created_at=_now(),
            )
        )
        user_id = rows[0]["id"]
        for sid in sorted(set(station_ids)):
            await UserStation.insert(UserStation(user=user_id, station=sid))
        after = {"username": username, "role": role, "stations": sorted(set(station_ids))}
        if is_area_role(role):
            after.update(area_street=area_street, area_district=area_district)
        await audit.record(actor, "user.create", entity_type="user", entity_id=user_id, after=after)
    return user_id


async def authenticate(username: str, password: str) -> dict | None:
    user = await User.select().where((User.username == username.strip()) & (User.is_active == True)).first()  # noqa: E712
    if not await passwords.verify_password(user["password_hash"] if user else "", password):
        return None
    if passwords.needs_rehash(user["password_hash"]):
        # Made with weaker parameters than today's: re-hash now, while the password is at hand.
        new_hash = await passwords.hash_password(password)
        async with db.write():
            await User.update({User.password_hash: new_hash}).where(
                (User.id == user["id"]) & (User.password_hash == user["password_hash"]))
            principal = Principal(user_id=user["id"], username=user["username"], display_name=user["display_name"],
                                  role=user["role"])
            await audit.record(principal, "user.password_rehash", entity_type="user", entity_id=user["id"])
        user["password_hash"] = new_hash
    return user


async def change_password(actor: Principal, current: str, new: str, keep_session_hash: str | None = None) -> None:
    user = await User.select().where(User.id == actor.user_id).first()
    if not user or not await passwords.verify_password(user["password_hash"], current):
        raise Invalid("The current password is wrong.", field="current")
    try:
        passwords.check_strength(new, user["role"])
    except ValueError as e:
        raise Invalid(str(e), field="new") from None
    new_hash = await passwords.hash_password(new)
    async with db.write():
        await User.update({User.password_hash: new_hash, User.version: User.version + 1}).where(User.id == actor.user_id)
        # Other browsers signed in as this user are signed out.
        others = Session.delete().where(Session.user == actor.user_id)
        if keep_session_hash:
            others = others.where(Session.token_hash != keep_session_hash)
        await others
        await audit.record(actor, "user.password_change", entity_type="user", entity_id=actor.user_id)


async def set_locale(actor: Principal, locale: str) -> None:
    async with db.write():
        await User.update({User.locale: locale}).where(User.id == actor.user_id)
        await audit.record(actor, "user.locale", entity_type="user", entity_id=actor.user_id,
                           before={"locale": actor.locale}, after={"locale": locale})


# ---------------------------------------------------------------- sessions

async def start_session(user: dict, days: int, ip: str = "") -> str:
    token = secrets.token_urlsafe(32)
    async with db.write():
        await purge_expired_sessions()  # at every sign-in: the table never fills with dead sessions
        await Session.insert(
            Session(token_hash=_sha256(token), user=user["id"], created_at=_now(), expires_at=_now() + dt.timedelta(days=days))
        )
        principal = Principal(user_id=user["id"], username=user["username"], display_name=user["display_name"], role=user["role"])
        await audit.record(principal, "user.login", entity_type="user", entity_id=user["id"], ip=ip)
    return token


# Who is asking is looked up on every request: one statement each, written once (no query
# building per request), reading only what a Principal needs. The user's columns come back
# under their own names; council.accounts.whois caches the rest (stations) by the user's version.
_USER_COLUMNS = ('u."id", u."username", u."display_name", u."role", u."organisation", u."person", '
                 'u."locale", u."is_active", u."version", u."area_street", u."area_district"')
SESSION_SQL = (f'SELECT s."expires_at", {_USER_COLUMNS} FROM "user_session" s '
               'JOIN "app_user" u ON u."id" = s."user" WHERE s."token_hash" = {}')
TOKEN_SQL = (f'SELECT t."id" AS "token_id", t."revoked_at", t."last_used_at", t."scope", t."expires_at", {_USER_COLUMNS} FROM "api_token" t '
             'JOIN "app_user" u ON u."id" = t."user" WHERE t."token_hash" = {}')


async def purge_expired_sessions() -> int:
    """Delete every expired session (and stale sign-in counts); returns how many sessions went."""
    from council.accounts.ratelimit import LoginThrottle

    gone = await Session.delete().where(Session.expires_at < _now()).returning(Session.id)
    await LoginThrottle.purge()
    return len(gone)


async def session_user(token: str) -> tuple[dict, str] | None:
    token_hash = _sha256(token)
    rows = await db.fetch(SESSION_SQL, token_hash)
    row = rows[0] if rows else None
    if not row or row["expires_at"] < _now() or not row["is_active"]:
        return None
    return row, token_hash


async def end_session(principal: Principal, token: str, ip: str = "") -> None:
    async with db.write():
        await Session.delete().where(Session.token_hash == _sha256(token))
        await audit.record(principal, "user.logout", entity_type="user", entity_id=principal.user_id, ip=ip)


# ---------------------------------------------------------------- API tokens

TOKEN_SCOPES = ("read", "full")


def parse_expiry(text: str | None) -> dt.datetime | None:
    """A token's last day as typed (2027-01-01): the token works until that day begins, local time.
    Empty means it never expires."""
    from council.core.localtime import LOCAL

    text = (text or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid("Enter a date like 2027-01-01.", field="expires_at") from None
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL).astimezone(dt.timezone.utc)


def _check_token_terms(scope: str, expires_at) -> None:
    if scope not in TOKEN_SCOPES:
        raise Invalid("Choose one of the listed options.", field="scope")
    if expires_at is not None and expires_at <= _now():
        raise Invalid("Choose a date in the future.", field="expires_at")


async def create_token(actor: Principal, username: str, name: str = "", *, scope: str = "full",
                       expires_at: dt.datetime | None = None) -> str:
    """Returns the token once; only its hash is kept. `scope` "read" allows reads only;
    `expires_at` (UTC) ends it without anyone revoking it."""
    _check_token_terms(scope, expires_at)
    user = await User.select().where(User.username == username).first()
    if not user:
        raise NotFound("No such user.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.write():
        rows = await ApiToken.insert(
            ApiToken(user=user["id"], name=name, prefix=token[:12], token_hash=_sha256(token), created_at=_now(),
                     scope=scope, expires_at=expires_at)
        )
        await audit.record(actor, "token.create", entity_type="api_token", entity_id=rows[0]["id"],
                           after={"user": username, "name": name, "prefix": token[:12], "scope": scope,
                                  "expires_at": expires_at.isoformat() if expires_at else None})
    return token


TOKEN_TOUCH_EVERY = dt.timedelta(minutes=5)


class TokenExpired(Exception):
    """A real token past its expiry: the API answers 401 saying so."""


async def token_user(token: str) -> dict | None:
    """The token's user (with "token_scope"), None for an unknown or revoked token; raises
    TokenExpired for an expired one."""
    rows = await db.fetch(TOKEN_SQL, _sha256(token))
    # A copy: on PostgreSQL db.raw hands back asyncpg's read-only records.
    row = dict(rows[0]) if rows else None
    if not row or row["revoked_at"] is not None or not row["is_active"]:
        return None
    now = _now()
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise TokenExpired()
    # "Last used" tells an admin which integrations are alive. Written at most every few minutes,
    # so a busy integration does not turn every read into a write (SQLite has one writer).
    if row["last_used_at"] is None or now - row["last_used_at"] > TOKEN_TOUCH_EVERY:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["token_id"])
    row["token_scope"] = row["scope"] or "full"
    return row


async def revoke_token(actor: Principal, prefix: str) -> None:
    async with db.write():
        row = await ApiToken.select(ApiToken.id).where((ApiToken.prefix == prefix) & ApiToken.revoked_at.is_null()).first()
        if not row:
            raise NotFound("No such token.")
        await ApiToken.update({ApiToken.revoked_at: _now()}).where(ApiToken.id == row["id"])
        await audit.record(actor, "token.revoke", entity_type="api_token", entity_id=row["id"])


# ---------------------------------------------------------------- user administration (admins)

def _require_user_admin(actor: Principal) -> None:
    from council.accounts import permissions
    from council.core.errors import Forbidden

    if not permissions.can_write(actor.role, "user"):
        raise Forbidden()


async def list_users(actor: Principal, *, q: str = "", role: str = "", page: int = 1,
                     per_page: int = 50) -> tuple[list[dict], int]:
    """A page of users (a city may have thousands of grid workers), with the stations each serves.
    `q` matches part of the username or name; `role` keeps one role."""
    _require_user_admin(actor)
    clauses = []
    term = q.strip()
    if term:
        clauses.append(db.contains(User.username, term) | db.contains(User.display_name, term))
    if role:
        clauses.append(User.role == role)
    query = User.select(
        User.id, User.username, User.display_name, User.role, User.is_active, User.organisation,
        User.organisation.name.as_alias("organisation_name"), User.person, User.version,
    ).order_by(User.username)
    count = User.count()
    for c in clauses:
        query = query.where(c)
        count = count.where(c)
    page = max(page, 1)
    users = await query.limit(per_page).offset(db.page_offset(page, per_page))
    by_user: dict[int, list[tuple[int, str]]] = {}
    if users:
        links = await UserStation.select(
            UserStation.user, UserStation.station, UserStation.station.name.as_alias("name"),
        ).where(UserStation.user.is_in([u["id"] for u in users]))
        for link in links:
            by_user.setdefault(link["user"], []).append((link["station"], link["name"]))
    for u in users:
        u["stations"] = sorted(by_user.get(u["id"], []), key=lambda s: s[1])
    return users, await count


async def get_user(actor: Principal, user_id: int) -> dict:
    _require_user_admin(actor)
    user = await User.select(
        User.id, User.username, User.display_name, User.role, User.is_active, User.organisation,
        User.organisation.name.as_alias("organisation_name"), User.person, User.person.name.as_alias("person_name"),
        User.created_at, User.version, User.area_street, User.area_street.name.as_alias("area_street_name"),
        User.area_district,
    ).where(User.id == user_id).first()
    if user is None:
        raise NotFound("No such user.")
    links = await UserStation.select(UserStation.station, UserStation.station.name.as_alias("name")).where(
        UserStation.user == user_id)
    user["stations"] = sorted(((s["station"], s["name"]) for s in links), key=lambda s: s[1])
    user["station_ids"] = sorted(s["station"] for s in links)
    return user


async def _check_assignment(role: str, station_ids: list[int], organisation_id: int | None,
                            person_id: int | None) -> None:
    """The same rules as create_user: what a role needs to be bound to, and that it exists."""
    from council.parties.tables import Organisation
    from council.people.tables import Person

    if role not in Role.__members__:
        raise Invalid("Unknown role.", field="role")
    if role == Role.department_liaison and not organisation_id:
        raise Invalid("A department liaison must belong to an organisation.", field="organisation")
    if role == Role.resident and not person_id:
        raise Invalid("A resident account must be linked to a resident record.", field="person")
    if role not in UNBOUND and not station_ids:
        raise Invalid("Staff must serve at least one station.", field="stations")
    if station_ids and await Station.count().where(Station.id.is_in(list(station_ids))) != len(set(station_ids)):
        raise Invalid("Unknown station.", field="stations")
    if organisation_id and not await Organisation.exists().where(Organisation.id == organisation_id):
        raise Invalid("Unknown organisation.", field="organisation")
    if person_id and not await Person.exists().where(Person.id == person_id):
        raise Invalid("No resident record has that number.", field="person")


async def check_new_user(actor: Principal, *, role: str, station_ids: list[int], organisation_id: int | None,
                         person_id: int | None) -> None:
    """What create_user does not look at itself: that the organisation and resident record exist."""
    _require_user_admin(actor)
    await _check_assignment(role, station_ids, organisation_id, person_id)


async def update_user(
    actor: Principal,
    user_id: int,
    *,
    version: int | str | None,
    role: str,
    display_name: str,
    station_ids: list[int],
    is_active: bool,
    organisation_id: int | None = None,
    person_id: int | None = None,
    area_street: int | None = None,
    area_district: str = "",
) -> None:
    """Change a user's role, stations, area, name or active flag. Optimistic locking: `version` is the one
    the admin's form showed; if someone saved in between, nothing changes and Conflict is raised.
    Deactivating ends every session of the user (their API tokens stop working with the account)."""
    from council.core.errors import Forbidden

    _require_user_admin(actor)
    try:
        expected = int(version)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Invalid("The form is missing its version; reload the page.", field="version") from None
    display_name = display_name.strip()
    if len(display_name) > 100:
        raise Invalid("Enter at most 100 characters.", field="display_name")
    station_ids = sorted(set(station_ids))
    # Only the binding the role uses is kept, so a former liaison does not keep reading their organisation.
    organisation_id = organisation_id if role == Role.department_liaison else None
    person_id = person_id if role == Role.resident else None
    if role in UNBOUND:
        station_ids = []
    await _check_assignment(role, station_ids, organisation_id, person_id)
    area_street, area_district = await _check_area(role, area_street, area_district)
    if user_id == actor.user_id and (not is_active or role != Role.admin):
        # An admin who locks themselves out may leave nobody able to undo it.
        raise Forbidden("You cannot deactivate your own account or give up your own admin role.")
    async with db.write():
        current = await User.select().where(User.id == user_id).first()
        if current is None:
            raise NotFound("No such user.")
        old_stations = sorted(s["station"] for s in await UserStation.select(UserStation.station).where(
            UserStation.user == user_id))
        before = {"role": current["role"], "display_name": current["display_name"], "stations": old_stations,
                  "is_active": current["is_active"], "organisation": current["organisation"],
                  "person": current["person"], "area_street": current["area_street"],
                  "area_district": current["area_district"]}
        after = {"role": role, "display_name": display_name, "stations": station_ids, "is_active": is_active,
                 "organisation": organisation_id, "person": person_id, "area_street": area_street,
                 "area_district": area_district}
        result = await User.update({
            User.role: role, User.display_name: display_name, User.is_active: is_active,
            User.organisation: organisation_id, User.person: person_id, User.version: expected + 1,
            User.area_street: area_street, User.area_district: area_district,
        }).where((User.id == user_id) & (User.version == expected)).returning(User.id)
        if not result:
            raise Conflict("Someone else saved this record after you opened it. Reload to see their changes, then edit again.")
        if station_ids != old_stations:
            await UserStation.delete().where(UserStation.user == user_id)
            for sid in station_ids:
                await UserStation.insert(UserStation(user=user_id, station=sid))
        if not is_active:
            await Session.delete().where(Session.user == user_id)
        old, new = audit.diff(before, after)
        await audit.record(actor, "user.update", entity_type="user", entity_id=user_id, before=old, after=new)


async def set_user_password(actor: Principal, user_id: int, password: str) -> None:
    """An admin sets a new password (the user forgot theirs); every session of the user ends."""
    _require_user_admin(actor)
    target = await User.select(User.role).where(User.id == user_id).first()
    try:
        passwords.check_strength(password, target["role"] if target else None)
    except ValueError as e:
        raise Invalid(str(e), field="password") from None
    password_hash = await passwords.hash_password(password)
    async with db.write():
        result = await User.update({User.password_hash: password_hash, User.version: User.version + 1}).where(
            User.id == user_id).returning(User.id)
        if not result:
            raise NotFound("No such user.")
        await Session.delete().where(Session.user == user_id)
        await audit.record(actor, "user.password_reset", entity_type="user", entity_id=user_id)


async def list_tokens(actor: Principal, user_id: int) -> list[dict]:
    """A user's API tokens, newest first: prefixes only, never the secret."""
    _require_user_admin(actor)
    return await ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at, ApiToken.last_used_at, ApiToken.revoked_at,
        ApiToken.scope, ApiToken.expires_at,
    ).where(ApiToken.user == user_id).order_by(ApiToken.id, ascending=False)


async def create_token_for(actor: Principal, user_id: int, name: str, *, scope: str = "full",
                           expires_at: dt.datetime | None = None) -> str:
    """A new API token for the user, returned once."""
    _require_user_admin(actor)
    name = name.strip()
    if len(name) > 100:
        raise Invalid("Enter at most 100 characters.", field="name")
    user = await User.select(User.username, User.is_active).where(User.id == user_id).first()
    if user is None:
        raise NotFound("No such user.")
    if not user["is_active"]:
        raise Conflict("This account is deactivated; activate it before giving it a token.")
    return await create_token(actor, user["username"], name, scope=scope, expires_at=expires_at)


async def revoke_token_by_id(actor: Principal, user_id: int, token_id: int) -> None:
    _require_user_admin(actor)
    async with db.write():
        row = await ApiToken.select(ApiToken.id, ApiToken.prefix, ApiToken.revoked_at).where(
            (ApiToken.id == token_id) & (ApiToken.user == user_id)).first()
        if row is None:
            raise NotFound("No such token.")
        if row["revoked_at"] is not None:
            raise Conflict("This token has already been revoked.")
        await ApiToken.update({ApiToken.revoked_at: _now()}).where(ApiToken.id == token_id)
        await audit.record(actor, "token.revoke", entity_type="api_token", entity_id=token_id,
                           before={"revoked": False}, after={"revoked": True, "prefix": row["prefix"], "user": user_id})
