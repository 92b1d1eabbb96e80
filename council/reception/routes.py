"""Reception: the desk, the grid workers' reports, the rota and the reception reports."""

from litestar import Router

from council.reception import api, pages
from council.web.guards import signed_in

page_router = Router(path="/", guards=[signed_in], route_handlers=pages.PAGE_ROUTES)
api_router = Router(path="/", guards=[signed_in], tags=api.TAGS, route_handlers=api.API_ROUTES)
