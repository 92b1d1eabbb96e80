"""The public board: no sign-in, no personal data (council.board.queries)."""

from litestar import Router

from council.board import pages

page_router = Router(path="/board", route_handlers=pages.PAGE_ROUTES)
