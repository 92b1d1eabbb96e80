"""People: the registers of residents, ownerships and households (council.people.registers)
and anonymising a person."""

from litestar import Router

from council.people import pages, registers
from council.web.guards import signed_in
from council.web.registers import routers_of

_pages, _api = routers_of(registers)
page_router = Router(path="/", guards=[signed_in], route_handlers=[*_pages, *pages.PAGE_ROUTES])
api_router = Router(path="/", guards=[signed_in], route_handlers=[*_api, *pages.API_ROUTES])
