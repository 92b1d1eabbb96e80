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
    ("Cases", "/cases", "case"),
    ("Reception desk", "/reception", "reception"),
    ("Inbox", "/inbox", "case_inbox"),
    ("My tasks", "/my/tasks", "case_task"),
    ("Dashboard", "/dashboard", "dashboard"),
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
)


def locale_of(request: Request) -> str:
    return request.scope.get("state", {}).get("locale") or i18n.DEFAULT_LOCALE


def translator(locale: str):
    trans = i18n.translations(locale)

    def _(message: str, **params: Any) -> str:
        text = trans.gettext(message)
        return text % params if params else text

    return _


def nav_for(principal) -> list[tuple[str, str]]:
    from council.accounts import permissions

    if principal is None:
        return []
    return [(label, path) for label, path, key in NAV if key is None or permissions.can_read(principal.role, key)]


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
            "locale": locale,
            "html_lang": "zh-CN" if locale == "zh_CN" else "en",
            "user": principal,
            "nav": nav_for(principal),
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
