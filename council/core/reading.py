"""Reading one field of a submitted form or JSON body into a value, collecting errors by field
name (msgids) rather than raising at the first, so a page can mark every wrong field at once.
Shared by the use cases that take loose dicts (case intake, the reception desk). No web or
database imports."""

from __future__ import annotations

from typing import Any

REQUIRED = "This field is required."
CHOOSE = "Choose one of the listed options."


def text(data: dict[str, Any], name: str, errors: dict[str, str], *, required: bool = False, limit: int = 200) -> str:
    """Stripped text; '' when absent or blank (an error when required); at most `limit` characters."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = REQUIRED
        return ""
    if not isinstance(value, str):
        errors[name] = "Enter text."
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[name] = "Too long."
    return value


def ident(data: dict[str, Any], name: str, errors: dict[str, str]) -> int | None:
    """A row id picked from a list; None when absent. A boolean is not an id (JSON true is 1 in Python)."""
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors[name] = CHOOSE
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[name] = CHOOSE
        return None


INT64_MAX = 2**63 - 1


def bounded_int(raw: Any, *, lo: int = 0, hi: int = INT64_MAX) -> int | None:
    """A whole number typed into a URL or form, or None: ASCII digits only ("²" and "١" pass
    str.isdigit but not int()), and within [lo, hi] (a number beyond 64 bits cannot reach the
    database). The one parser behind every page's loose id and page-number reading."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = raw.strip() if isinstance(raw, str) else ""
        if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
            return None
        value = int(text)
    return value if lo <= value <= hi else None
