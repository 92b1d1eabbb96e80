"""Mediation: dispute files, sessions, agreements, the committee and judicial confirmation."""

from litestar import Router

from council.mediation import api, pages
from council.web.guards import signed_in

page_router = Router(path="/", guards=[signed_in], route_handlers=pages.PAGE_ROUTES)
api_router = Router(path="/", guards=[signed_in], tags=api.TAGS, route_handlers=api.API_ROUTES)
