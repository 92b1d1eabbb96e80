"""The audit log: who changed what, when, from what to what (pages and /api/v1/audit)."""

from litestar import Router

from council.audit import pages
from council.web.guards import signed_in

page_router = Router(path="/audit", guards=[signed_in], route_handlers=pages.PAGE_ROUTES)
api_router = Router(path="/audit", guards=[signed_in], tags=["Audit"], route_handlers=pages.API_ROUTES)
