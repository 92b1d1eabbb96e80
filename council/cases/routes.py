"""Cases: requests, proposals and disputes (pages, the street dashboard, /api/v1/cases…) and the
station's own registers (categories, holiday calendar: council.cases.registers)."""

from litestar import Router

from council.cases import api, pages, registers
from council.web.guards import signed_in
from council.web.registers import routers_of

_pages, _api = routers_of(registers)
page_router = Router(path="/", guards=[signed_in], route_handlers=[*pages.PAGE_ROUTES, *_pages])
api_router = Router(path="/", guards=[signed_in], route_handlers=[
    Router(path="/", tags=api.TAGS, route_handlers=api.API_ROUTES), *_api])
