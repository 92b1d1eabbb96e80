"""The registers: places, people, parties and stations share one way to be listed, read,
created and edited — validate → permission → write → audit, in one transaction.

A Register describes one table: its fields, how a row is scoped to stations, which columns
it derives from its parent (a unit copies its building's estate and community), and which
combinations must be unique. Domain packages declare their registers; this module and
council.web.registers serve them as pages and as /api/v1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from piccolo.columns import Text, Varchar
from piccolo.table import Table

from council import db
from council.accounts import permissions
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict, Forbidden, Invalid, NotFound, OutOfScope
from council.core.fields import Field, FieldErrors, parse_input

PER_PAGE = 25


@dataclass(frozen=True)
class Register:
    name: str  # URL segment: "units"
    key: str  # permission and audit entity type: "unit"
    singular: str  # msgid
    plural: str  # msgid
    table: type[Table]
    fields: tuple[Field, ...]
    label_column: str = "name"
    search: tuple[str, ...] = ("name",)
    # community: rows carry `community`; shared: community may be empty (visible to all staff);
    # station: the row is a station or has `station`; self: the row is a community; street: via communities.
    scope: str = "community"
    # Columns computed from referenced rows: fn(data, refs) -> dict. refs maps field -> row.
    derive: Callable[[dict, dict[str, dict]], dict] | None = None
    unique_together: tuple[tuple[str, ...], ...] = ()
    unique_message: str = "A record with the same values already exists."
    after_write: Callable[[Principal, int, dict], Awaitable[None]] | None = None
    order_by: str = "id"
    filters: tuple[str, ...] = ()  # ref fields usable as ?name=id list filters
    nav_group: str = ""  # msgid of the menu group
    # Checks across fields, after parsing: fn(row values) -> {field: msgid} of what is wrong.
    check: Callable[[dict], dict[str, str]] | None = None
    # Lists shown from a row's page: (register name, its filter field pointing back here).
    related: tuple[tuple[str, str], ...] = ()

    @property
    def field_map(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def has_column(self, name: str) -> bool:
        return name in {c._meta.name for c in self.table._meta.columns}


REGISTERS: dict[str, Register] = {}


# Grows with every register row written in this process: what is read from the registers and kept
# a few seconds (the case list's filter choices) is read again after a change made here.
generation = 0


def _changed() -> None:
    global generation
    generation += 1


def register(reg: Register) -> Register:
    REGISTERS[reg.name] = reg
    return reg


def by_key(key: str) -> Register:
    for reg in REGISTERS.values():
        if reg.key == key:
            return reg
    raise KeyError(key)


# ---------------------------------------------------------------- permission and scope

def require_read(principal: Principal, reg: Register) -> None:
    if not permissions.can_read(principal.role, reg.key):
        raise Forbidden()


def require_write(principal: Principal, reg: Register) -> None:
    if not permissions.can_write(principal.role, reg.key):
        raise Forbidden()


def scope_where(principal: Principal, reg: Register):
    """A WHERE clause limiting rows to the principal's stations, or None for no limit."""
    t = reg.table
    if principal.is_admin:
        return None
    if principal.role == permissions.Role.department_liaison:
        # A liaison sees their own organisation and its contacts, nothing else here.
        org = principal.organisation_id or -1
        if reg.key == "organisation":
            return t.id == org
        if reg.key == "contact_person":
            return t.organisation == org
    communities = list(principal.community_ids) or [-1]
    stations = list(principal.station_ids) or [-1]
    if reg.scope == "community":
        return t.community.is_in(communities)
    if reg.scope == "shared":
        return t.community.is_in(communities) | t.community.is_null()
    if reg.scope == "self":
        return t.id.is_in(communities)
    if reg.scope == "street":
        from council.places.tables import Community

        return t.id.is_in(Community.select(Community.street).where(Community.id.is_in(communities)))
    if reg.scope == "station":
        return (t.id if reg.key == "station" else t.station).is_in(stations)
    raise AssertionError(reg.scope)


def row_in_scope(principal: Principal, reg: Register, row: dict) -> bool:
    if principal.is_admin:
        return True
    if principal.role == permissions.Role.department_liaison:
        org = principal.organisation_id
        if reg.key == "organisation":
            return row["id"] == org
        if reg.key == "contact_person":
            return row["organisation"] == org
        return False
    if reg.scope == "community":
        return row["community"] in principal.community_ids
    if reg.scope == "shared":
        return row["community"] is None or row["community"] in principal.community_ids
    if reg.scope == "self":
        return row["id"] in principal.community_ids
    if reg.scope == "station":
        return (row["id"] if reg.key == "station" else row["station"]) in principal.station_ids
    return True  # street: checked through scope_where on lists; streets hold nothing private


def station_of(reg: Register, row: dict) -> int | None:
    if reg.key == "station":
        return row["id"]
    return row.get("station")


# ---------------------------------------------------------------- reading

def _label_columns(reg: Register) -> list:
    """Selects the label of each referenced row too, so lists show names, not ids."""
    cols = []
    for f in reg.fields:
        if f.kind == "ref" and f.ref:
            target = REGISTERS[f.ref]
            cols.append(getattr(getattr(reg.table, f.name), target.label_column).as_alias(f"{f.name}__label"))
    return cols


async def list_rows(
    principal: Principal, reg: Register, *, q: str = "", filters: dict[str, int] | None = None,
    page: int = 1, per_page: int = PER_PAGE, ip: str = "",
) -> tuple[list[dict], int]:
    require_read(principal, reg)
    t = reg.table
    clauses = []
    scope = scope_where(principal, reg)
    if scope is not None:
        clauses.append(scope)
    if q:
        term = q.strip()
        search = None
        for col in reg.search:
            f = reg.field_map.get(col)
            if f is not None and f.kind == "phone":
                # Phones: the last four digits or the whole number (a reveal), never a fragment.
                from council.core.search import phone_clause

                c = await phone_clause(principal, getattr(t, col), term, entity_type=reg.key, ip=ip)
                if c is None:
                    continue
            else:
                c = db.contains(getattr(t, col), term)
            search = c if search is None else (search | c)
        if search is not None:
            clauses.append(search)
    for name, value in (filters or {}).items():
        if name in reg.filters:
            clauses.append(getattr(t, name) == value)
    query = t.select(t.all_columns(), *_label_columns(reg)).output(load_json=True)
    count = t.count()
    for c in clauses:
        query = query.where(c)
        count = count.where(c)
    page = max(page, 1)
    rows = await query.order_by(getattr(t, reg.order_by)).limit(per_page).offset(db.page_offset(page, per_page))
    return rows, await count


async def get_row(principal: Principal, reg: Register, row_id: int) -> dict:
    require_read(principal, reg)
    t = reg.table
    row = await t.select(t.all_columns(), *_label_columns(reg)).where(t.id == row_id).output(load_json=True).first()
    if row is None:
        raise NotFound()
    if not row_in_scope(principal, reg, row):
        raise OutOfScope()
    return row


async def choices_for(principal: Principal, ref: str, limit: int = 500) -> list[tuple[int, str]]:
    """The rows a select box may offer: only what the principal can see."""
    reg = REGISTERS[ref]
    if not permissions.can_read(principal.role, reg.key):
        return []
    t = reg.table
    query = t.select(t.id, getattr(t, reg.label_column)).order_by(getattr(t, reg.label_column)).limit(limit)
    scope = scope_where(principal, reg)
    if scope is not None:
        query = query.where(scope)
    return [(r["id"], str(r[reg.label_column])) for r in await query]


# ---------------------------------------------------------------- writing

def _require_writable_scope(principal: Principal, reg: Register, row: dict) -> None:
    if principal.is_admin or reg.scope == "street":
        return
    if reg.scope == "shared" and row.get("community") is None:
        raise Forbidden("Only an administrator can edit records shared by all stations.")
    if not row_in_scope(principal, reg, row):
        raise OutOfScope()


def _run_check(reg: Register, values: dict) -> None:
    if reg.check:
        errors = reg.check(values)
        if errors:
            raise Invalid("Please correct the marked fields.", errors=errors)


def _as_record(reg: Register, row: dict) -> dict:
    names = {f.name for f in reg.fields} | {"community", "estate", "station"}
    return {k: v for k, v in row.items() if k in names and reg.has_column(k)}


async def _resolve_refs(principal: Principal, reg: Register, values: dict) -> dict[str, dict]:
    """Each referenced row must exist and be visible to the principal."""
    refs: dict[str, dict] = {}
    for f in reg.fields:
        if f.kind == "ref" and values.get(f.name) is not None:
            target = REGISTERS[f.ref]
            t = target.table
            row = await t.select().where(t.id == values[f.name]).first()
            if row is None or not (permissions.can_read(principal.role, target.key) and row_in_scope(principal, target, row)):
                raise Invalid("Choose one of the listed options.", field=f.name)
            refs[f.name] = row
    return refs


async def _check_unique(reg: Register, values: dict, exclude_id: int | None) -> None:
    t = reg.table
    for combo in reg.unique_together:
        if any(values.get(c) is None for c in combo):
            continue
        query = t.exists()
        for c in combo:
            query = query.where(getattr(t, c) == values[c])
        if exclude_id is not None:
            query = query.where(t.id != exclude_id)
        if await query:
            raise Conflict(reg.unique_message, field=combo[-1])


def _blank_not_null(reg: Register, values: dict) -> dict:
    """An emptied optional text field is stored as "" where its column is NOT NULL (phone, note …)."""
    for col in reg.table._meta.columns:
        name = col._meta.name
        if name in values and values[name] is None and not col._meta.null:
            # Text is blanked; other columns (a room's seats, working hours) take their default.
            values[name] = "" if isinstance(col, (Varchar, Text)) else col.get_default_value()
    return values


def _field_errors(exc: FieldErrors) -> Invalid:
    return Invalid("Please correct the marked fields.", errors=exc.errors)


async def create_row(principal: Principal, reg: Register, data: dict[str, Any], ip: str = "") -> int:
    require_write(principal, reg)
    try:
        values = _blank_not_null(reg, parse_input(reg.fields, data, partial=False, creating=True))
    except FieldErrors as e:
        raise _field_errors(e) from None
    async with db.write():
        refs = await _resolve_refs(principal, reg, values)
        if reg.derive:
            values.update(reg.derive(values, refs))
        _require_writable_scope(principal, reg, {"id": values.get("community"), **values})
        _run_check(reg, values)
        await _check_unique(reg, values, None)
        try:
            rows = await reg.table.insert(reg.table(**values))
        except Exception as e:  # the unique index is the last word when two people race
            if db.is_unique_violation(e):
                raise Conflict(reg.unique_message) from None
            raise
        row_id = rows[0]["id"]
        if reg.after_write:
            await reg.after_write(principal, row_id, values)
        await audit.record(principal, f"{reg.key}.create", entity_type=reg.key, entity_id=row_id,
                           after=values, station_id=station_of(reg, {"id": row_id, **values}), ip=ip)
    _changed()
    return row_id


async def update_row(
    principal: Principal, reg: Register, row_id: int, data: dict[str, Any], version: Any, ip: str = "",
) -> None:
    """Optimistic locking: the caller says which version it edited; if someone saved in
    between, the update is refused with a conflict and nothing is overwritten."""
    require_write(principal, reg)
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise Invalid("The form is missing its version; reload the page.", field="version") from None
    try:
        values = _blank_not_null(reg, parse_input(reg.fields, data, partial=True, creating=False))
    except FieldErrors as e:
        raise _field_errors(e) from None
    t = reg.table
    async with db.write():
        current = await t.select().where(t.id == row_id).output(load_json=True).first()
        if current is None:
            raise NotFound()
        if not row_in_scope(principal, reg, current):
            raise OutOfScope()
        refs = await _resolve_refs(principal, reg, values)
        if reg.derive:
            values.update(reg.derive({**current, **values}, refs))
        merged = {**current, **values}
        _require_writable_scope(principal, reg, merged)
        _run_check(reg, merged)
        await _check_unique(reg, merged, row_id)
        changed = {k: v for k, v in values.items() if current.get(k) != v}
        result = await t.update({**{getattr(t, k): v for k, v in changed.items()}, t.version: expected + 1}).where(
            (t.id == row_id) & (t.version == expected)
        ).returning(t.id)
        if not result:
            raise Conflict("Someone else saved this record after you opened it. Reload to see their changes, then edit again.")
        if reg.after_write:
            await reg.after_write(principal, row_id, merged)
        before, after = audit.diff(_as_record(reg, current), _as_record(reg, merged))
        await audit.record(principal, f"{reg.key}.update", entity_type=reg.key, entity_id=row_id,
                           before=before, after=after, station_id=station_of(reg, merged), ip=ip)
    _changed()


async def reveal(principal: Principal, reg: Register, row_id: int, field_name: str, ip: str = "") -> str:
    """The full value of a masked field, for roles that need it; every look is logged."""
    if not permissions.can_view_pii(principal.role):
        raise Forbidden("Your role does not show full phone or ID numbers.")
    f = reg.field_map.get(field_name)
    if f is None or not f.is_pii:
        raise NotFound()
    row = await get_row(principal, reg, row_id)
    async with db.write():
        await audit.record(principal, "pii.view", entity_type=reg.key, entity_id=row_id,
                           after={"field": field_name}, station_id=station_of(reg, row), ip=ip)
    return row[field_name] or ""
