"""Stations: the pages and /api/v1 endpoints of its registers (council.stations.registers) and the
station's emblem (council.stations.pages)."""

from litestar import Router

from council.stations import pages, registers
from council.web.guards import signed_in
from council.web.registers import routers_of

_pages, _api = routers_of(registers)
page_router = Router(path="/", guards=[signed_in], route_handlers=[*_pages, *pages.PAGE_ROUTES])
api_router = Router(path="/", guards=[signed_in], route_handlers=_api)
