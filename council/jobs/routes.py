"""Background jobs: a job's page, its progress and its download; starting the voting letters and
a backup (council.jobs.pages). Paths sit under the things they belong to (/votes/…, /admin/…)."""

from litestar import Router

from council.jobs import pages
from council.web.guards import signed_in

page_router = Router(path="/", guards=[signed_in], route_handlers=pages.PAGE_ROUTES)
