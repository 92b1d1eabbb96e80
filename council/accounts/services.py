"""Use cases for accounts: users, sessions, API tokens, passwords."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from council import db
from council.accounts import passwords
from council.accounts.permissions import Role
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


async def principal_for_user(user: dict, via: str) -> Principal:
    stations = await (
        UserStation.select(UserStation.station.id, UserStation.station.community)
        .where(UserStation.user == user["id"])
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
    )


# ---------------------------------------------------------------- users

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
) -> int:
    username = username.strip()
    if not username or len(username) > 60:
        raise Invalid("Enter a username of at most 60 characters.", field="username")
    if role not in Role.__members__:
        raise Invalid("Unknown role.", field="role")
    try:
        passwords.check_strength(password)
    except ValueError as e:
        raise Invalid(str(e), field="password") from None
    if role == Role.department_liaison and not organisation_id:
        raise Invalid("A department liaison must belong to an organisation.", field="organisation")
    if role == Role.resident and not person_id:
        raise Invalid("A resident account must be linked to a resident record.", field="person")
    if role not in (Role.admin, Role.resident, Role.department_liaison) and not station_ids:
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
                created_at=_now(),
            )
        )
        user_id = rows[0]["id"]
        for sid in sorted(set(station_ids)):
            await UserStation.insert(UserStation(user=user_id, station=sid))
        await audit.record(
            actor, "user.create", entity_type="user", entity_id=user_id,
            after={"username": username, "role": role, "stations": sorted(set(station_ids))},
        )
    return user_id


async def authenticate(username: str, password: str) -> dict | None:
    user = await User.select().where((User.username == username.strip()) & (User.is_active == True)).first()  # noqa: E712
    if not await passwords.verify_password(user["password_hash"] if user else "", password):
        return None
    return user


async def change_password(actor: Principal, current: str, new: str, keep_session_hash: str | None = None) -> None:
    user = await User.select().where(User.id == actor.user_id).first()
    if not user or not await passwords.verify_password(user["password_hash"], current):
        raise Invalid("The current password is wrong.", field="current")
    try:
        passwords.check_strength(new)
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


# ---------------------------------------------------------------- sessions

async def start_session(user: dict, days: int, ip: str = "") -> str:
    token = secrets.token_urlsafe(32)
    async with db.write():
        await Session.insert(
            Session(token_hash=_sha256(token), user=user["id"], created_at=_now(), expires_at=_now() + dt.timedelta(days=days))
        )
        principal = Principal(user_id=user["id"], username=user["username"], display_name=user["display_name"], role=user["role"])
        await audit.record(principal, "user.login", entity_type="user", entity_id=user["id"], ip=ip)
    return token


async def session_user(token: str) -> tuple[dict, str] | None:
    token_hash = _sha256(token)
    row = await Session.select(Session.user.all_columns(), Session.expires_at).where(Session.token_hash == token_hash).first()
    if not row or row["expires_at"] < _now() or not row["user.is_active"]:
        return None
    return {k.removeprefix("user."): v for k, v in row.items()}, token_hash


async def end_session(principal: Principal, token: str, ip: str = "") -> None:
    async with db.write():
        await Session.delete().where(Session.token_hash == _sha256(token))
        await audit.record(principal, "user.logout", entity_type="user", entity_id=principal.user_id, ip=ip)


# ---------------------------------------------------------------- API tokens

async def create_token(actor: Principal, username: str, name: str = "") -> str:
    """Returns the token once; only its hash is kept."""
    user = await User.select().where(User.username == username).first()
    if not user:
        raise NotFound("No such user.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.write():
        rows = await ApiToken.insert(
            ApiToken(user=user["id"], name=name, prefix=token[:12], token_hash=_sha256(token), created_at=_now())
        )
        await audit.record(actor, "token.create", entity_type="api_token", entity_id=rows[0]["id"],
                           after={"user": username, "name": name, "prefix": token[:12]})
    return token


async def token_user(token: str) -> dict | None:
    row = await (
        ApiToken.select(ApiToken.id, ApiToken.revoked_at, ApiToken.user.all_columns())
        .where(ApiToken.token_hash == _sha256(token))
        .first()
    )
    if not row or row["revoked_at"] is not None or not row["user.is_active"]:
        return None
    return {k.removeprefix("user."): v for k, v in row.items() if k.startswith("user.")}


async def revoke_token(actor: Principal, prefix: str) -> None:
    async with db.write():
        row = await ApiToken.select(ApiToken.id).where((ApiToken.prefix == prefix) & ApiToken.revoked_at.is_null()).first()
        if not row:
            raise NotFound("No such token.")
        await ApiToken.update({ApiToken.revoked_at: _now()}).where(ApiToken.id == row["id"])
        await audit.record(actor, "token.revoke", entity_type="api_token", entity_id=row["id"])
