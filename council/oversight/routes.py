"""Oversight above the stations: the stations overview of street and district officers."""

from litestar import Router

from council.oversight import pages
from council.web.guards import signed_in

page_router = Router(path="/", guards=[signed_in], route_handlers=pages.PAGE_ROUTES)
