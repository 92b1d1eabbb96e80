"""Notifications: one's inbox and preferences, the administrator's outbox and channels, and the
links in messages to people without an account (their token is the permission, no sign-in)."""

from litestar import Router

from council.notify import pages
from council.web.guards import signed_in

PUBLIC_PAGES = [pages.link_page, pages.link_accept, pages.link_report, pages.link_confirm]

page_router = Router(path="/", route_handlers=[
    *PUBLIC_PAGES,
    Router(path="/", guards=[signed_in], route_handlers=[h for h in pages.PAGE_ROUTES if h not in PUBLIC_PAGES]),
])
