"""Routes beyond the registers. Each module exposes PAGE_ROUTES and API_ROUTES (mounted under /api/v1)."""

from __future__ import annotations

from council.accounts import admin_pages
from council.audit import pages as audit_pages
from council.board import pages as board_pages
from council.reports import pages as report_pages
from council.cases import api as cases_api
from council.cases import pages as cases_pages
from council.people import pages as people_pages
from council.meetings import api as meetings_api
from council.meetings import pages as meetings_pages
from council.notify import pages as notify_pages
from council.oversight import pages as oversight_pages
from council.mediation import api as mediation_api
from council.mediation import pages as mediation_pages
from council.places import imports
from council.reception import api as reception_api
from council.reception import pages as reception_pages
from council.votes import api as votes_api
from council.votes import pages as votes_pages

MODULES = (audit_pages, admin_pages, imports, people_pages, cases_pages, cases_api, votes_pages, votes_api,
           meetings_pages, meetings_api, mediation_pages, mediation_api,
           reception_pages, reception_api, board_pages, notify_pages, report_pages, oversight_pages)

PAGE_ROUTES: list = [r for m in MODULES for r in m.PAGE_ROUTES]
API_ROUTES: list = [r for m in MODULES for r in m.API_ROUTES]
