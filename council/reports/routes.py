"""Reports: the station's monthly figures and the mediation statistics, on a page and as xlsx."""

from litestar import Router

from council.reports import pages
from council.web.guards import signed_in

page_router = Router(path="/reports", guards=[signed_in], route_handlers=pages.PAGE_ROUTES)
