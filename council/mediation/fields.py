"""Reading one use case's input (a form or a JSON body): each reader notes a msgid per bad field.
Pure: no web or database imports. Services raise Invalid with the collected errors, before writing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from council.core import reading
from council.core.errors import Invalid

FIX = "Please correct the marked fields."


class Reader:
    def __init__(self, data: dict[str, Any], allowed: set[str] | None = None):
        self.data = data if isinstance(data, dict) else {}
        self.errors: dict[str, str] = {}
        if not isinstance(data, dict):
            self.errors["body"] = "Send an object."
        if allowed is not None:
            for k in self.data:
                if k not in allowed and k not in ("_csrf_token", "version"):
                    self.errors[k] = "Unknown field."

    def has(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str, *, required: bool = False, limit: int = 200) -> str:
        return reading.text(self.data, name, self.errors, required=required, limit=limit)

    def choice(self, name: str, options, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(name)
        if value in (None, ""):
            if required and not default:
                self.errors[name] = "This field is required."
            return default
        if not isinstance(value, str) or value not in options:
            self.errors[name] = "Choose one of the listed options."
            return default
        return value

    def ident(self, name: str, *, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                self.errors[name] = "This field is required."
            return None
        if isinstance(value, bool):
            self.errors[name] = "Choose one of the listed options."
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 12:
            return int(value.strip())
        self.errors[name] = "Choose one of the listed options."
        return None

    def ids(self, name: str) -> list[int]:
        value = self.data.get(name)
        if value in (None, ""):
            return []
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            if isinstance(item, bool) or not (isinstance(item, int) or (isinstance(item, str) and item.isdigit() and len(item) < 12)):
                self.errors[name] = "Choose one of the listed options."
                return []
            out.append(int(item))
        return out

    def date(self, name: str, *, required: bool = False, not_after: dt.date | None = None) -> dt.date | None:
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                self.errors[name] = "This field is required."
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            self.errors[name] = "Enter a date as YYYY-MM-DD."
            return None
        if day.year < 2000 or day.year > 2100:
            self.errors[name] = "Enter a date as YYYY-MM-DD."
            return None
        if not_after is not None and day > not_after:
            self.errors[name] = "This date is in the future."
        return day

    def time(self, name: str, *, required: bool = False) -> dt.time | None:
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                self.errors[name] = "This field is required."
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            return dt.time.fromisoformat(value.strip()[:5])
        except ValueError:
            self.errors[name] = "Enter a time as HH:MM."
            return None

    def money(self, name: str, *, required: bool = False) -> Decimal | None:
        """Yuan with at most two decimals, exact (Decimal, never a float)."""
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                self.errors[name] = "This field is required."
            return None
        if isinstance(value, bool) or isinstance(value, float):
            # A float has already lost exactness: money travels as a string ("1200.50").
            self.errors[name] = "Enter an amount in yuan, e.g. 1200.50."
            return None
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            self.errors[name] = "Enter an amount in yuan, e.g. 1200.50."
            return None
        if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2 or amount >= Decimal("10000000000"):
            self.errors[name] = "Enter an amount in yuan, e.g. 1200.50."
            return None
        return amount.quantize(Decimal("0.01"))

    def flag(self, name: str) -> bool:
        return self.data.get(name) in (True, "1", "true", "on", "yes")

    def version(self) -> int | None:
        value = self.data.get("version")
        if value in (None, ""):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit() and len(value) < 10:
            return int(value)
        self.errors["version"] = "The form is missing its version; reload the page."
        return None

    def check(self) -> None:
        if self.errors:
            raise Invalid(FIX, errors=self.errors)
