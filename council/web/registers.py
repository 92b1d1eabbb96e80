"""Pages and /api/v1 endpoints for every register (council.core.registry).

Controllers stay thin: parse the request, call the register's use case, render.
"""

from typing import Any

import msgspec
from litestar import Request, Router, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED

from council.accounts import permissions
from council.core import registry
from council.core.errors import Conflict, Forbidden, Invalid
from council.core.fields import Field, python_type
from council.core.registry import REGISTERS, Register
from council.parties import hours
from council.privacy import mask_id_number, mask_phone
from council.web.guards import client_ip, signed_in
from council.web import list_filters
from council.web.rendering import format_value, page, translator, locale_of

FORM_META = {"_csrf_token", "version"}


def masked(field: Field, value: Any) -> Any:
    if field.kind == "phone":
        return mask_phone(value)
    if field.kind == "id_number":
        return mask_id_number(value)
    return value


def display(reg: Register, row: dict, revealed: dict[str, str] | None = None) -> dict[str, str]:
    """What a person sees in each column: labels for references, masks for personal data."""
    out = {}
    for f in reg.fields:
        value = row.get(f.name)
        if f.kind == "ref":
            out[f.name] = str(row.get(f"{f.name}__label") or "") if value is not None else ""
        elif f.is_pii:
            out[f.name] = (revealed or {}).get(f.name) or masked(f, value)
        elif f.kind == "hours":
            out[f.name] = hours.format_hours(value or [])
        else:
            out[f.name] = format_value(value)
    return out


def _filters(reg: Register, request: Request) -> dict[str, int]:
    found = {}
    for name in reg.filters:
        raw = request.query_params.get(name)
        if raw and raw.isdigit():
            found[name] = int(raw)
    return found


def _page_number(request: Request) -> int:
    from council.core.reading import bounded_int

    return bounded_int(request.query_params.get("page"), lo=1) or 1


async def _form_context(request: Request, reg: Register, *, creating: bool) -> dict:
    principal = request.user
    options = {}
    for f in reg.fields:
        if f.kind == "ref" and (creating or f.editable):
            options[f.name] = await registry.choices_for(principal, f.ref)
    return {"options": options}


def _form_values(reg: Register, row: dict) -> dict[str, str]:
    """Values to pre-fill an edit form (personal data stays masked until revealed)."""
    values = {}
    for f in reg.fields:
        v = row.get(f.name)
        if f.kind == "hours":
            values[f.name] = hours.format_hours(v or [])
        elif f.kind in ("ref", "weekday") and v is not None:
            values[f.name] = str(v)
        elif f.kind == "bool":
            values[f.name] = "1" if v else ""
        elif f.kind == "time" and v is not None:
            values[f.name] = v.strftime("%H:%M")
        elif f.is_pii and v:
            values[f.name] = masked(f, v)  # a masked value posted back unchanged is ignored by _submitted
        else:
            values[f.name] = "" if v is None else str(v)
    return values


def _submitted(reg: Register, form: dict) -> dict:
    data = {k: v for k, v in form.items() if k not in FORM_META}
    for f in reg.fields:
        if f.kind == "bool" and f.name not in data:
            data[f.name] = ""  # an unticked checkbox sends nothing
        if f.is_pii and data.get(f.name, "").find("*") >= 0:
            data.pop(f.name)  # the masked value came back untouched: keep what is stored
    return data


def _form_message(reg: Register, e: Any, _: Any) -> str:
    """The message above a refused form. Errors on fields the form does not show (an unknown
    field, the version) are named here, since no field on the page can be marked for them."""
    unshown = [f"{k}: {_(v)}" for k, v in e.errors.items() if k not in reg.field_map and v != e.message]
    return " ".join([_(e.message), *unshown])


def page_router(reg: Register) -> Router:
    base = f"/{reg.name}"

    @get("/", name=f"{reg.name}.list")
    async def list_page(request: Request) -> Any:
        q = request.query_params.get("q", "")
        current = _page_number(request)
        rows, total = await registry.list_rows(request.user, reg, q=q, filters=_filters(reg, request), ip=client_ip(request), page=current)
        return page(
            request, "registers/list.html", reg=reg, rows=rows, total=total, q=q, page_no=current,
            pages=max(1, -(-total // registry.PER_PAGE)), display=lambda r: display(reg, r),
            can_write=permissions.can_write(request.user.role, reg.key), filters=_filters(reg, request),
            filter_controls=await list_filters.controls(request.user, reg, _filters(reg, request), q),
        )

    @get("/new", name=f"{reg.name}.new")
    async def new_page(request: Request) -> Any:
        registry.require_write(request.user, reg)
        prefill = {k: v for k, v in request.query_params.items() if k in reg.field_map}
        return page(request, "registers/form.html", reg=reg, values=prefill, errors={}, creating=True,
                    **await _form_context(request, reg, creating=True))

    @post("/new", name=f"{reg.name}.create")
    async def create(request: Request) -> Any:
        form = dict(await request.form())
        data = _submitted(reg, form)
        try:
            row_id = await registry.create_row(request.user, reg, data, ip=client_ip(request))
        except (Invalid, Conflict) as e:
            _ = translator(locale_of(request))
            return page(request, "registers/form.html", status_code=e.status, reg=reg, values=form,
                        errors={k: _(v) for k, v in e.errors.items()}, message=_form_message(reg, e, _), creating=True,
                        **await _form_context(request, reg, creating=True))
        return Redirect(f"{base}/{row_id}?saved=1", status_code=303)

    @get("/{row_id:int}", name=f"{reg.name}.detail")
    async def detail(request: Request, row_id: FromPath[int]) -> Any:
        row = await registry.get_row(request.user, reg, row_id)
        return page(request, "registers/detail.html", reg=reg, row=row, shown=display(reg, row),
                    values=_form_values(reg, row), errors={}, saved=bool(request.query_params.get("saved")),
                    can_write=permissions.can_write(request.user.role, reg.key),
                    can_reveal=permissions.can_view_pii(request.user.role),
                    related=list_filters.related(request.user, reg, row_id),
                    **await _form_context(request, reg, creating=False))

    @post("/{row_id:int}", name=f"{reg.name}.update")
    async def update(request: Request, row_id: FromPath[int]) -> Any:
        form = dict(await request.form())
        data = _submitted(reg, form)
        data = {k: v for k, v in data.items() if reg.field_map.get(k) is None or reg.field_map[k].editable}
        try:
            await registry.update_row(request.user, reg, row_id, data, form.get("version"), ip=client_ip(request))
        except (Invalid, Conflict) as e:
            _ = translator(locale_of(request))
            row = await registry.get_row(request.user, reg, row_id)
            return page(request, "registers/detail.html", status_code=e.status, reg=reg, row=row,
                        shown=display(reg, row), values={**_form_values(reg, row), **form},
                        errors={k: _(v) for k, v in e.errors.items()}, message=_form_message(reg, e, _), saved=False,
                        can_write=True, can_reveal=permissions.can_view_pii(request.user.role),
                        related=list_filters.related(request.user, reg, row_id),
                        **await _form_context(request, reg, creating=False))
        return Redirect(f"{base}/{row_id}?saved=1", status_code=303)

    @post("/{row_id:int}/reveal/{field_name:str}", name=f"{reg.name}.reveal")
    async def reveal(request: Request, row_id: FromPath[int], field_name: FromPath[str]) -> Any:
        value = await registry.reveal(request.user, reg, row_id, field_name, ip=client_ip(request))
        row = await registry.get_row(request.user, reg, row_id)
        return page(request, "registers/detail.html", reg=reg, row=row,
                    shown=display(reg, row, revealed={field_name: value}), values=_form_values(reg, row),
                    errors={}, saved=False, can_write=permissions.can_write(request.user.role, reg.key),
                    can_reveal=True, related=list_filters.related(request.user, reg, row_id),
                    **await _form_context(request, reg, creating=False))

    return Router(path=base, route_handlers=[list_page, new_page, create, detail, update, reveal], guards=[signed_in])


# ---------------------------------------------------------------- API

def _out_type(f: Field) -> Any:
    if f.kind == "hours":
        return list[dict[str, Any]]
    return python_type(f)


def api_schemas(reg: Register) -> tuple[type, type, type, type]:
    title = "".join(p.capitalize() for p in reg.key.split("_"))
    create_fields = []
    for f in reg.fields:
        t = python_type(f)
        create_fields.append((f.name, t) if f.required else (f.name, t | None, None))
    create_fields.sort(key=lambda x: len(x) == 3)  # required first
    Create = msgspec.defstruct(f"{title}Create", create_fields, forbid_unknown_fields=True, kw_only=True)
    Update = msgspec.defstruct(
        f"{title}Update",
        [("version", int)] + [(f.name, python_type(f) | None, msgspec.UNSET) for f in reg.fields if f.editable],
        forbid_unknown_fields=True, kw_only=True,
    )
    out_fields = [("id", int), ("version", int)]
    for f in reg.fields:
        out_fields.append((f.name, _out_type(f) | None, None))
        if f.kind == "ref":
            out_fields.append((f"{f.name}_label", str | None, None))
    Out = msgspec.defstruct(f"{title}", out_fields, kw_only=True)
    Page = msgspec.defstruct(f"{title}Page", [("items", list[Out]), ("total", int), ("page", int), ("per_page", int)])
    return Create, Update, Out, Page


def _role_guard(allowed: Any) -> Any:
    """Refuse a role before its request body is read, so a refused role gets 403, not a
    validation error describing the body it may not send. Scope is still checked per row."""
    def guard(connection: Any, _: Any) -> None:
        user = connection.scope.get("user")
        if user is not None and not allowed(user.role):
            raise Forbidden()

    return guard


def api_router(reg: Register) -> Router:
    Create, Update, Out, Page = api_schemas(reg)
    may_read = _role_guard(lambda role: permissions.can_read(role, reg.key))
    may_write = _role_guard(lambda role: permissions.can_write(role, reg.key))

    def to_out(row: dict) -> Any:
        values = {"id": row["id"], "version": row.get("version", 1)}
        for f in reg.fields:
            values[f.name] = masked(f, row.get(f.name)) if f.is_pii else row.get(f.name)
            if f.kind == "ref":
                values[f"{f.name}_label"] = None if row.get(f"{f.name}__label") is None else str(row[f"{f.name}__label"])
        return Out(**values)

    def as_dict(data: Any) -> dict:
        return {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}

    @get("/", summary=f"List {reg.plural.lower()}", guards=[may_read])
    async def list_api(request: Request, q: FromQuery[str] = "", page: FromQuery[int] = 1) -> Page:  # type: ignore[valid-type]
        rows, total = await registry.list_rows(request.user, reg, q=q, filters=_filters(reg, request), ip=client_ip(request), page=page)
        return Page(items=[to_out(r) for r in rows], total=total, page=page, per_page=registry.PER_PAGE)

    @post("/", summary=f"Create a {reg.singular.lower()}", status_code=HTTP_201_CREATED, guards=[may_write])
    async def create_api(request: Request, data: JSONBody[Create]) -> Out:  # type: ignore[valid-type]
        row_id = await registry.create_row(request.user, reg, as_dict(data), ip=client_ip(request))
        return to_out(await registry.get_row(request.user, reg, row_id))

    @get("/{row_id:int}", summary=f"Read a {reg.singular.lower()}", guards=[may_read])
    async def get_api(request: Request, row_id: FromPath[int]) -> Out:  # type: ignore[valid-type]
        return to_out(await registry.get_row(request.user, reg, row_id))

    @patch("/{row_id:int}", summary=f"Change a {reg.singular.lower()} (send the version you read)", guards=[may_write])
    async def patch_api(request: Request, row_id: FromPath[int], data: JSONBody[Update]) -> Out:  # type: ignore[valid-type]
        values = as_dict(data)
        version = values.pop("version")
        await registry.update_row(request.user, reg, row_id, values, version, ip=client_ip(request))
        return to_out(await registry.get_row(request.user, reg, row_id))

    handlers = [list_api, create_api, get_api, patch_api]
    pii = [f.name for f in reg.fields if f.is_pii]
    if pii:
        Reveal = msgspec.defstruct(f"{Out.__name__}Reveal", [("field", str)], forbid_unknown_fields=True)
        Revealed = msgspec.defstruct(f"{Out.__name__}Revealed", [("field", str), ("value", str)])

        @post("/{row_id:int}/reveal", summary="Show a full phone or ID number (logged)", status_code=200,
              guards=[_role_guard(permissions.can_view_pii)])
        async def reveal_api(request: Request, row_id: FromPath[int], data: JSONBody[Reveal]) -> Revealed:  # type: ignore[valid-type]
            value = await registry.reveal(request.user, reg, row_id, data.field, ip=client_ip(request))
            return Revealed(field=data.field, value=value)

        handlers.append(reveal_api)
    return Router(path=f"/{reg.name}", route_handlers=handlers, guards=[signed_in], tags=[reg.plural])


def routers_of(module: Any) -> tuple[list[Router], list[Router]]:
    """The page routers and the API routers of the registers a module declares (its
    council.core.registry.register(...) calls), for that domain's routes.py."""
    regs = [v for v in vars(module).values() if isinstance(v, Register) and REGISTERS.get(v.name) is v]
    return [page_router(reg) for reg in regs], [api_router(reg) for reg in regs]
