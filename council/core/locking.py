"""Optimistic locking: a form carries the version of the row it was drawn from, and a save that
finds another version refuses (409) instead of overwriting someone else's work. Plain Python."""

from __future__ import annotations

from typing import Any

from council.core.errors import Conflict

MISSING = "The form is missing its version; reload the page."


def parse_version(value: Any) -> int | None:
    """The version a form or body sent; None when it sent none. Not a number: a broken form."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Conflict(MISSING) from None


def expect_version(row: dict, value: Any, stale: str) -> None:
    """Refuse with `stale` (a msgid naming the thing) when the row moved on since the form was
    drawn. A caller that sent no version is not checked: API clients may act on the latest."""
    expected = parse_version(value)
    if expected is not None and row["version"] != expected:
        raise Conflict(stale)
