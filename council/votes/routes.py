"""Votes: the secretariat's pages and API, a resident's own votes, and the links on the letters
(a voting token, a notice key) that need no sign-in: the token is the permission."""

from litestar import Router

from council.votes import api, pages
from council.web.guards import signed_in

PUBLIC_PAGES = [pages.notice_page, pages.notice_pdf, pages.link_page, pages.link_vote, pages.link_photo]
PUBLIC_API = [api.notice_api, api.ballot_link_api, api.cast_link_api]

page_router = Router(path="/", route_handlers=[
    *PUBLIC_PAGES,
    Router(path="/", guards=[signed_in], route_handlers=[h for h in pages.PAGE_ROUTES if h not in PUBLIC_PAGES]),
])
api_router = Router(path="/", tags=api.TAGS, route_handlers=[
    *PUBLIC_API,
    Router(path="/", guards=[signed_in], route_handlers=[h for h in api.API_ROUTES if h not in PUBLIC_API]),
])
