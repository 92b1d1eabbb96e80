"""Routes beyond the registers. Each module exposes PAGE_ROUTES and API_ROUTES (mounted under /api/v1)."""

from __future__ import annotations

from council.accounts import admin_pages
from council.audit import pages as audit_pages
from council.cases import api as cases_api
from council.cases import pages as cases_pages
from council.people import pages as people_pages
from council.places import imports

MODULES = (audit_pages, admin_pages, imports, people_pages, cases_pages, cases_api)

PAGE_ROUTES: list = [r for m in MODULES for r in m.PAGE_ROUTES]
API_ROUTES: list = [r for m in MODULES for r in m.API_ROUTES]
