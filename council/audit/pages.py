"""The audit log, read-only: GET /audit, /audit/{id}, and /api/v1/audit with the same filters.

Who may read what is decided in council.audit.queries; these handlers only parse and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, get
from litestar.params import FromPath, FromQuery

from council.audit import queries
from council.audit.queries import AuditFilter
from council.core.errors import Invalid
from council.web.guards import signed_in
from council.web.rendering import locale_of, page, translator

MAX_PER_PAGE = 200
FILTER_NAMES = ("action", "entity_type", "entity_id", "actor", "date_from", "date_to", "station")


def entity_url(principal, entity_type: str, entity_id: int | None) -> str | None:
    """Where the changed thing can be opened, when there is a page for it."""
    from council.core.registry import REGISTERS

    if entity_id is None:
        return None
    if entity_type == "user":
        return f"/users/{entity_id}" if principal.is_admin else None
    for reg in REGISTERS.values():
        if reg.key == entity_type:
            return f"/{reg.name}/{entity_id}"
    return None


def entity_label(_, entity_type: str) -> str:
    """The register's own name for the kind of record (translated), or the recorded type."""
    from council.core.registry import REGISTERS

    for reg in REGISTERS.values():
        if reg.key == entity_type:
            return _(reg.singular)
    return entity_type


def _page_number(request: Request) -> int:
    from council.core.reading import bounded_int

    return bounded_int(request.query_params.get("page"), lo=1) or 1


@get("/", guards=[signed_in], name="audit.list")
async def audit_list(request: Request) -> Any:
    principal = request.user
    queries.require_read(principal)
    values = {k: request.query_params.get(k, "") for k in FILTER_NAMES}
    errors: dict[str, str] = {}
    rows: list[dict] = []
    total = 0
    current = _page_number(request)
    try:
        f = queries.parse_filter(request.query_params)
    except Invalid as e:
        _ = translator(locale_of(request))
        errors = {k: _(v) for k, v in e.errors.items()}
        status = 422
    else:
        rows, total = await queries.list_entries(principal, f, page=current)
        status = 200
    kept = {k: v for k, v in values.items() if v}
    return page(
        request, "audit/list.html", status_code=status, rows=rows, total=total, page_no=current,
        pages=max(1, -(-total // queries.PER_PAGE)), values=values, errors=errors,
        query=urlencode(kept), stations=await queries.stations_for_filter(principal),
        entity_url=lambda r: entity_url(principal, r["entity_type"], r["entity_id"]),
        entity_label=lambda t: entity_label(translator(locale_of(request)), t),
    )


@get("/{entry_id:int}", guards=[signed_in], name="audit.detail")
async def audit_detail(request: Request, entry_id: FromPath[int]) -> Any:
    principal = request.user
    row = await queries.get_entry(principal, entry_id)
    return page(request, "audit/detail.html", row=row, url=entity_url(principal, row["entity_type"], row["entity_id"]),
                entity_label=lambda t: entity_label(translator(locale_of(request)), t))


# ---------------------------------------------------------------- API

class AuditEntryOut(msgspec.Struct, kw_only=True):
    id: int
    at: dt.datetime
    action: str
    entity_type: str
    entity_id: int | None
    actor_id: int | None
    actor_username: str | None
    actor_label: str
    station_id: int | None
    station_name: str | None
    # Only the fields that changed; phone and ID numbers masked.
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    # The client address, for admins only (staff IP addresses are personal data too).
    ip: str | None = None


class AuditPage(msgspec.Struct, kw_only=True):
    items: list[AuditEntryOut]
    total: int
    page: int
    per_page: int


def _as_object(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    return {"value": value}


def to_out(principal, row: dict) -> AuditEntryOut:
    return AuditEntryOut(
        id=row["id"], at=row["at"], action=row["action"], entity_type=row["entity_type"], entity_id=row["entity_id"],
        actor_id=row["actor"], actor_username=row["actor_username"], actor_label=row["actor_label"],
        station_id=row["station"], station_name=row["station_name"],
        before=_as_object(row["before"]), after=_as_object(row["after"]),
        ip=row["ip"] if principal.is_admin else None,
    )


@get("/", guards=[signed_in], summary="List audit entries, newest first", tags=["Audit"])
async def audit_list_api(
    request: Request,
    action: FromQuery[str] = "",
    entity_type: FromQuery[str] = "",
    entity_id: FromQuery[int | None] = None,
    actor: FromQuery[str] = "",
    date_from: FromQuery[dt.date | None] = None,
    date_to: FromQuery[dt.date | None] = None,
    station: FromQuery[int | None] = None,
    page: FromQuery[int] = 1,
    per_page: FromQuery[int] = queries.PER_PAGE,
) -> AuditPage:
    """`action` is a prefix (`unit.` finds every unit change); `actor` is a username or part of a
    display name; `date_from`/`date_to` are local (Asia/Shanghai) dates, both included."""
    principal = request.user
    queries.require_read(principal)
    if per_page < 1 or per_page > MAX_PER_PAGE:
        raise Invalid("Choose between 1 and 200 entries per page.", field="per_page")
    if date_from and date_to and date_from > date_to:
        raise Invalid("The start date is after the end date.", field="date_to")
    f = AuditFilter(action=action.strip().lower()[:60], entity_type=entity_type.strip()[:40], entity_id=entity_id,
                    actor=actor.strip()[:100], date_from=date_from, date_to=date_to, station=station)
    page = max(page, 1)
    rows, total = await queries.list_entries(principal, f, page=page, per_page=per_page)
    return AuditPage(items=[to_out(principal, r) for r in rows], total=total, page=page, per_page=per_page)


@get("/{entry_id:int}", guards=[signed_in], summary="Read one audit entry", tags=["Audit"])
async def audit_detail_api(request: Request, entry_id: FromPath[int]) -> AuditEntryOut:
    return to_out(request.user, await queries.get_entry(request.user, entry_id))


PAGE_ROUTES = [audit_list, audit_detail]
API_ROUTES = [audit_list_api, audit_detail_api]
