"""User administration for admins (/users…), and /api/v1/me for every signed-in caller.

Controllers stay thin: parse the form, call council.accounts.services, render. The services
check the role again, so these pages are not the only thing standing between a secretary and
another user's account.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect

from council.accounts import permissions, services
from council.accounts.permissions import Role
from council.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from council.web.guards import signed_in
from council.web.rendering import locale_of, page, translator

ROLES = tuple(r.value for r in Role)
# Roles that serve stations; the others are bound to nothing (admin), an organisation or a resident record.
STATION_ROLES = (Role.secretary, Role.grid_worker, Role.mediator)


def admins_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None or not permissions.can_write(user.role, "user"):
        raise Forbidden()


GUARDS = [signed_in, admins_only]


# ---------------------------------------------------------------- form helpers

def _int_or_none(raw: str | None, field: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid("Enter a whole number.", field=field)
    return int(raw)


def _station_ids(form) -> list[int]:
    ids = []
    for raw in form.getall("stations", []):
        if not str(raw).isdigit():
            raise Invalid("Unknown station.", field="stations")
        ids.append(int(raw))
    return ids


async def _choices() -> dict[str, list[tuple[int, str]]]:
    from council.parties.tables import Organisation
    from council.places.tables import Street
    from council.stations.tables import Station

    stations = await Station.select(Station.id, Station.name).order_by(Station.name)
    orgs = await Organisation.select(Organisation.id, Organisation.name).order_by(Organisation.name)
    streets = await Street.select(Street.id, Street.name, Street.district).order_by(Street.district, Street.name)
    return {
        "stations": [(s["id"], s["name"]) for s in stations],
        "organisations": [(o["id"], o["name"]) for o in orgs],
        "streets": [(s["id"], f"{s['district']} {s['name']}".strip()) for s in streets],
        "districts": await services.districts(),
    }


def _translated(request: Request, e: DomainError) -> tuple[str, dict[str, str]]:
    _ = translator(locale_of(request))
    message = _(e.message, **e.params) if e.params else _(e.message)
    return message, {k: _(v) for k, v in e.errors.items()}


def _local_time(value) -> str:
    from council.audit.queries import LOCAL

    return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if value else ""


def _no_store(response):
    # Pages that show a secret (a new token) must not be kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- list and create

PER_PAGE = 50


@get("/users", guards=GUARDS, name="users.list")
async def users_list(request: Request) -> Any:
    q = (request.query_params.get("q") or "").strip()[:60]
    role = request.query_params.get("role") or ""
    role = role if role in ROLES else ""
    raw = request.query_params.get("page", "1")
    current = int(raw) if raw.isdigit() and int(raw) > 0 else 1
    users, total = await services.list_users(request.user, q=q, role=role, page=current, per_page=PER_PAGE)
    kept = {k: v for k, v in (("q", q), ("role", role)) if v}
    return page(request, "users/list.html", users=users, total=total, q=q, role=role, roles=ROLES,
                page_no=current, pages=max(1, -(-total // PER_PAGE)), query=urlencode(kept))


@get("/users/new", guards=GUARDS, name="users.new")
async def users_new(request: Request) -> Any:
    return page(request, "users/new.html", values={"role": Role.secretary}, selected=[], errors={},
                roles=ROLES, **await _choices())


@post("/users/new", guards=GUARDS, name="users.create")
async def users_create(request: Request) -> Any:
    form = await request.form()
    values = {k: (form.get(k) or "") for k in ("username", "display_name", "role", "organisation", "person",
                                                "area_street", "area_district")}
    selected: list[int] = []
    try:
        selected = _station_ids(form)
        role = values["role"]
        organisation_id = _int_or_none(values["organisation"], "organisation")
        person_id = _int_or_none(values["person"], "person")
        # Only what the role uses is kept, so an admin created from a half-filled form has no stations.
        stations = selected if role in STATION_ROLES else []
        organisation_id = organisation_id if role == Role.department_liaison else None
        person_id = person_id if role == Role.resident else None
        area_street = _int_or_none(values["area_street"], "area_street")
        await services.check_new_user(request.user, role=role, station_ids=stations,
                                      organisation_id=organisation_id, person_id=person_id)
        user_id = await services.create_user(
            request.user, username=values["username"], password=form.get("password") or "", role=role,
            display_name=values["display_name"].strip()[:100], station_ids=stations,
            organisation_id=organisation_id, person_id=person_id,
            area_street=area_street, area_district=values["area_district"],
        )
    except (Invalid, Conflict) as e:
        message, errors = _translated(request, e)
        return page(request, "users/new.html", status_code=e.status, values=values, selected=selected,
                    errors=errors, message=message, roles=ROLES, **await _choices())
    return Redirect(f"/users/{user_id}?saved=1", status_code=303)


# ---------------------------------------------------------------- one user

async def _detail(request: Request, user_id: int, *, status_code: int = 200, values: dict | None = None,
                  selected: list[int] | None = None, errors: dict | None = None, message: str = "",
                  notice: str = "", new_token: str = "") -> Any:
    user = await services.get_user(request.user, user_id)
    base = {
        "display_name": user["display_name"], "role": user["role"],
        "organisation": str(user["organisation"] or ""), "person": str(user["person"] or ""),
        "is_active": user["is_active"], "version": user["version"],
        "area_street": str(user["area_street"] or ""), "area_district": user["area_district"] or "",
    }
    response = page(
        request, "users/detail.html", status_code=status_code, u=user, values={**base, **(values or {})},
        selected=user["station_ids"] if selected is None else selected, errors=errors or {}, message=message,
        notice=notice, new_token=new_token, tokens=await services.list_tokens(request.user, user_id),
        roles=ROLES, is_self=user_id == request.user.user_id, local_time=_local_time, **await _choices(),
        now=dt.datetime.now(dt.timezone.utc),
    )
    return _no_store(response) if new_token else response


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where it is shown."""
    return message


NOTICES = {
    "1": N_("Saved."),
    "password": N_("The password has been set. The user's sessions have ended."),
    "revoked": N_("The token has been revoked."),
}


@get("/users/{user_id:int}", guards=GUARDS, name="users.detail")
async def users_detail(request: Request, user_id: FromPath[int]) -> Any:
    _ = translator(locale_of(request))
    saved = request.query_params.get("saved", "")
    return await _detail(request, user_id, notice=_(NOTICES[saved]) if saved in NOTICES else "")


@post("/users/{user_id:int}", guards=GUARDS, name="users.update")
async def users_update(request: Request, user_id: FromPath[int]) -> Any:
    form = await request.form()
    values = {k: (form.get(k) or "") for k in ("display_name", "role", "organisation", "person", "version",
                                                "area_street", "area_district")}
    values["is_active"] = bool(form.get("is_active"))
    selected: list[int] = []
    try:
        selected = _station_ids(form)
        await services.update_user(
            request.user, user_id, version=values["version"] or None, role=values["role"],
            display_name=values["display_name"], station_ids=selected, is_active=values["is_active"],
            organisation_id=_int_or_none(values["organisation"], "organisation"),
            person_id=_int_or_none(values["person"], "person"),
            area_street=_int_or_none(values["area_street"], "area_street"),
            area_district=values["area_district"],
        )
    except (Invalid, Conflict, Forbidden) as e:
        message, errors = _translated(request, e)
        if isinstance(e, Conflict):
            # Show what is stored now; the admin's attempt is not replayed over someone else's change.
            return await _detail(request, user_id, status_code=409, errors=errors, message=message)
        return await _detail(request, user_id, status_code=e.status, values=values, selected=selected,
                             errors=errors, message=message)
    return Redirect(f"/users/{user_id}?saved=1", status_code=303)


@post("/users/{user_id:int}/password", guards=GUARDS, name="users.password")
async def users_password(request: Request, user_id: FromPath[int]) -> Any:
    form = await request.form()
    password = form.get("password") or ""
    try:
        if password != (form.get("confirm") or ""):
            raise Invalid("The two new passwords differ.", field="confirm")
        await services.set_user_password(request.user, user_id, password)
    except Invalid as e:
        message, errors = _translated(request, e)
        return await _detail(request, user_id, status_code=422, errors=errors, message=message)
    return Redirect(f"/users/{user_id}?saved=password", status_code=303)


@post("/users/{user_id:int}/tokens", guards=GUARDS, name="users.token_create")
async def users_token_create(request: Request, user_id: FromPath[int]) -> Any:
    form = await request.form()
    try:
        token = await services.create_token_for(request.user, user_id, form.get("name") or "",
                                                scope=form.get("scope") or "full",
                                                expires_at=services.parse_expiry(form.get("expires_at")))
    except (Invalid, Conflict) as e:
        message, errors = _translated(request, e)
        return await _detail(request, user_id, status_code=e.status, errors=errors, message=message)
    # Shown on this response only: only the hash is stored, and a reload will not bring it back.
    return await _detail(request, user_id, status_code=201, new_token=token)


@post("/users/{user_id:int}/tokens/{token_id:int}/revoke", guards=GUARDS, name="users.token_revoke")
async def users_token_revoke(request: Request, user_id: FromPath[int], token_id: FromPath[int]) -> Any:
    try:
        await services.revoke_token_by_id(request.user, user_id, token_id)
    except (Conflict, NotFound) as e:
        message, errors = _translated(request, e)
        return await _detail(request, user_id, status_code=e.status, errors=errors, message=message)
    return Redirect(f"/users/{user_id}?saved=revoked", status_code=303)


# ---------------------------------------------------------------- API

class MeStation(msgspec.Struct):
    id: int
    name: str


class Me(msgspec.Struct, kw_only=True):
    id: int
    username: str
    display_name: str
    role: str
    stations: list[MeStation]
    organisation_id: int | None
    person_id: int | None
    locale: str
    # "token" on the API: how this request was authenticated.
    via: str


@get("/me", guards=[signed_in], summary="Who the token belongs to: role and stations", tags=["Accounts"])
async def me_api(request: Request) -> Me:
    from council.stations.tables import Station

    p = request.user
    rows = await Station.select(Station.id, Station.name).where(
        Station.id.is_in(sorted(p.station_ids) or [-1])).order_by(Station.name)
    return Me(id=p.user_id, username=p.username, display_name=p.display_name, role=p.role,
              stations=[MeStation(id=r["id"], name=r["name"]) for r in rows],
              organisation_id=p.organisation_id, person_id=p.person_id, locale=p.locale, via=p.via)


PAGE_ROUTES = [users_list, users_new, users_create, users_detail, users_update, users_password,
               users_token_create, users_token_revoke]
API_ROUTES = [me_api]
