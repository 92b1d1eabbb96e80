"""The station's emblem on its page: upload, remove, and the image itself (council/stations/emblem.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council.core.errors import DomainError, Invalid
from council.stations import emblem
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator

# The image plus the multipart envelope; emblem.check_emblem refuses anything over MAX_BYTES.
BODY_LIMIT = emblem.MAX_BYTES + 64 * 1024


async def _station_page(request: Request, station_id: int, status_code: int, message: str) -> Any:
    """The station's page again, the refusal shown beside the emblem's file field."""
    from council.accounts import permissions
    from council.core.registry import REGISTERS
    from council.core import registry
    from council.web import list_filters
    from council.web.registers import _form_context, _form_values, display

    reg = REGISTERS["stations"]
    row = await registry.get_row(request.user, reg, station_id)
    return page(request, "registers/detail.html", status_code=status_code, reg=reg, row=row,
                shown=display(reg, row), values=_form_values(reg, row), errors={}, saved=False,
                can_write=permissions.can_write(request.user.role, reg.key),
                can_reveal=permissions.can_view_pii(request.user.role),
                related=list_filters.related(request.user, reg, station_id), emblem_error=message,
                **await _form_context(request, reg, creating=False))


@post("/stations/{station_id:int}/emblem", guards=[signed_in], request_max_body_size=BODY_LIMIT)
async def upload_emblem(request: Request, station_id: FromPath[int]) -> Any:
    form = await request.form()
    upload = form.get("emblem")
    try:
        content = await upload.read(emblem.MAX_BYTES + 1) if upload is not None and hasattr(upload, "read") else b""
        await emblem.set_emblem(request.user, station_id, content, ip=client_ip(request))
    except DomainError as e:
        if not isinstance(e, Invalid):
            raise  # Forbidden, NotFound: the error pages
        _ = translator(locale_of(request))
        return await _station_page(request, station_id, e.status, _(e.message))
    return Redirect(f"/stations/{station_id}?saved=1#emblem", status_code=303)


@post("/stations/{station_id:int}/emblem/remove", guards=[signed_in])
async def remove_emblem(request: Request, station_id: FromPath[int]) -> Any:
    await emblem.remove_emblem(request.user, station_id, ip=client_ip(request))
    return Redirect(f"/stations/{station_id}?saved=1#emblem", status_code=303)


@get("/stations/{station_id:int}/emblem", guards=[signed_in])
async def emblem_image(request: Request, station_id: FromPath[int]) -> Response:
    body, content_type = await emblem.read_emblem(request.user, station_id)
    # The address changes with the emblem (?v=…), so the browser may keep it.
    return Response(body, media_type=content_type, headers={
        "Cache-Control": "private, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"})


PAGE_ROUTES = [upload_emblem, remove_emblem, emblem_image]
API_ROUTES: list = []
