"""Rendering pages in the request's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request
from litestar.response import Template

from council.core import i18n

NAV = (
    # (msgid, path, register key needing read permission or None for everyone signed in)
    ("Home", "/", None),
    ("Stations overview", "/oversight", "oversight"),
    ("Cases", "/cases", "case"),
    ("Reception desk", "/reception", "reception"),
    ("Inbox", "/inbox", "case_inbox"),
    ("My tasks", "/my/tasks", "case_task"),
    ("Dashboard", "/dashboard", "dashboard"),
    ("Reports", "/reports", "reports"),
    ("Mediation", "/mediation", "mediation"),
    ("Votes", "/votes", "vote"),
    ("Meetings", "/meetings", "meeting"),
    ("My votes", "/my/votes", "my_votes"),
    ("Streets", "/streets", "street"),
    ("Communities", "/communities", "community"),
    ("Estates", "/estates", "estate"),
    ("Buildings", "/buildings", "building"),
    ("Units", "/units", "unit"),
    ("Grids", "/grids", "grid"),
    ("Residents", "/people", "person"),
    ("Organisations", "/organisations", "organisation"),
    ("Stations", "/stations", "station"),
    ("Rooms", "/rooms", "room"),
    ("Case categories", "/station-categories", "station_category"),
    ("Holiday calendar", "/station-holidays", "station_holiday"),
    ("Import register", "/imports", "register_import"),
    ("Audit log", "/audit", "audit"),
    ("Users", "/users", "user"),
    ("Backups", "/admin/backups", "backup"),
)


def locale_of(request: Request) -> str:
    return request.scope.get("state", {}).get("locale") or i18n.DEFAULT_LOCALE


def translator(locale: str):
    trans = i18n.translations(locale)

    def _(message: str, **params: Any) -> str:
        text = i18n.translate(trans, message)  # an i18n.InContext label is translated in its context
        return text % params if params else text

    return _


def context_translator(locale: str):
    """pgettext for templates: {{ pgettext("delivery", "Held") }}."""
    trans = i18n.translations(locale)

    def pgettext(context: str, message: str, **params: Any) -> str:
        text = i18n.translate(trans, message, context)
        return text % params if params else text

    return pgettext


# Navigation by job: each role's first-level entries, in the order of its week (at most five, so
# that with the two menus below no role sees more than seven entries). A path missing from a
# role's list but readable by it lands in a menu: 台账 (the registers and figures) or 系统
# (administration). Home is the brand link at the top left of every page.
JOBS = {
    "admin": ("/cases", "/dashboard", "/mediation", "/votes", "/meetings"),
    "secretary": ("/reception", "/cases", "/mediation", "/votes", "/meetings"),
    "mediator": ("/mediation", "/reception", "/cases", "/meetings"),
    "grid_worker": ("/reception", "/cases", "/my/tasks", "/meetings"),
    "department_liaison": ("/inbox", "/cases", "/my/tasks", "/meetings"),
    "resident": ("/my/votes", "/cases", "/meetings"),
    # Above the stations (issue 18): the overview of the stations under them first.
    "street_officer": ("/oversight", "/cases", "/votes", "/meetings"),
    "district_officer": ("/oversight", "/cases", "/votes", "/meetings"),
    "judicial_officer": ("/mediation", "/reports"),
}
SYSTEM = frozenset({"/imports", "/audit", "/users", "/station-categories", "/station-holidays", "/rooms",
                    "/stations", "/admin/backups"})
MENUS = ("Registers", "System")  # msgids: 台账, 系统


def nav_for(principal) -> list[tuple[str, str]]:
    """Every page this role may read, as (msgid, path): first-level entries first."""
    from council.accounts import permissions

    if principal is None:
        return []
    readable = [(label, path) for label, path, key in NAV if key is None or permissions.can_read(principal.role, key)]
    jobs = JOBS.get(principal.role, ())
    first = sorted((e for e in readable if e[1] in jobs), key=lambda e: jobs.index(e[1]))
    return first + [e for e in readable if e[1] not in jobs]


def nav_menus(principal) -> tuple[list[tuple[str, str]], list[tuple[str, list[tuple[str, str]]]]]:
    """(first-level entries, [(menu msgid, entries)]) for the menu bar."""
    entries = nav_for(principal)
    if principal is None:
        return [], []
    jobs = JOBS.get(principal.role, ())
    first = [e for e in entries if e[1] in jobs]
    registers = [e for e in entries if e[1] not in jobs and e[1] not in SYSTEM and e[1] != "/"]
    system = [e for e in entries if e[1] not in jobs and e[1] in SYSTEM]
    return first, [(name, items) for name, items in zip(MENUS, (registers, system)) if items]


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    locale = locale_of(request)
    _ = translator(locale)
    principal = request.scope.get("user")
    return Template(
        template_name=template,
        status_code=status_code,
        # Handlers are typed `Any`, whose default media type is JSON: say HTML, or browsers show source.
        media_type="text/html",
        context={
            "_": _,
            "gettext": _,
            "pgettext": context_translator(locale),
            "locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else "en",
            "user": principal,
            "nav": nav_for(principal),
            "nav_menus": nav_menus(principal),
            "path": request.url.path,
            "notify_unread": request.scope.get("state", {}).get("notify_unread", 0),  # the bell (council.notify)
            **context,
        },
    )


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "strftime") and hasattr(value, "hour") and not hasattr(value, "year"):
        return value.strftime("%H:%M")
    return str(value)
