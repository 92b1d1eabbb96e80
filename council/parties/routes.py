"""Parties: the pages and /api/v1 endpoints of its registers (council.parties.registers)."""

from litestar import Router

from council.parties import registers
from council.web.guards import signed_in
from council.web.registers import routers_of

_pages, _api = routers_of(registers)
page_router = Router(path="/", guards=[signed_in], route_handlers=_pages)
api_router = Router(path="/", guards=[signed_in], route_handlers=_api)
