"""Meetings: pages and /api/v1/meetings…, and the calendar feed a phone subscribes to (its token
is the permission, no sign-in)."""

from litestar import Router

from council.meetings import api, pages
from council.web.guards import signed_in

PUBLIC_PAGES = [pages.calendar_feed]

page_router = Router(path="/", route_handlers=[
    *PUBLIC_PAGES,
    Router(path="/", guards=[signed_in], route_handlers=[h for h in pages.PAGE_ROUTES if h not in PUBLIC_PAGES]),
])
api_router = Router(path="/", guards=[signed_in], tags=api.TAGS, route_handlers=api.API_ROUTES)
