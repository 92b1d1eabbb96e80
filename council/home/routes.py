"""The home page: today's work for the role signed in (council.home.worklist)."""

from litestar import Router

from council.web.guards import signed_in
from council.web.home import home

page_router = Router(path="/", guards=[signed_in], route_handlers=[home])
