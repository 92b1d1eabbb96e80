"""Places: the registers of streets, communities, estates, buildings, units and grids
(council.places.registers) and the estate register's spreadsheet import and export."""

from litestar import Router

from council.places import imports, registers
from council.web.guards import signed_in
from council.web.registers import routers_of

_pages, _api = routers_of(registers)
page_router = Router(path="/", guards=[signed_in], route_handlers=[*_pages, *imports.PAGE_ROUTES])
api_router = Router(path="/", guards=[signed_in], route_handlers=[*_api, *imports.API_ROUTES])
