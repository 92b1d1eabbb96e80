"""Accounts: signing in and out, one's own password and language, the user administration
(council.accounts.admin_pages, which checks the administrator role itself) and /api/v1/me."""

from litestar import Router

from council.accounts import admin_pages, pages
from council.web.guards import signed_in

# What a visitor reaches before signing in.
PUBLIC = [pages.login_form, pages.login, pages.choose_locale]

page_router = Router(path="/", route_handlers=[
    *PUBLIC,
    Router(path="/", guards=[signed_in], route_handlers=[
        *(h for h in pages.ROUTES if h not in PUBLIC), *admin_pages.PAGE_ROUTES]),
])
api_router = Router(path="/", guards=[signed_in], tags=["Accounts"], route_handlers=admin_pages.API_ROUTES)
