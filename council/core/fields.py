"""Field descriptions for the registers (places, people, parties, stations) and the
conversion of what a form or an API client sent into typed values. No web or database imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from council.core import validators


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # msgid
    kind: str = "text"  # text textarea int decimal area bool choice ref time date phone id_number weekday hours
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, msgid)
    ref: str | None = None  # the register a `ref` field points at
    in_list: bool = True
    editable: bool = True  # False: chosen when creating, fixed afterwards (e.g. a unit's building)
    max_length: int = 200
    help: str = ""  # msgid

    @property
    def is_pii(self) -> bool:
        return self.kind in ("phone", "id_number")


WEEKDAYS = (
    ("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"),
    ("4", "Friday"), ("5", "Saturday"), ("6", "Sunday"),
)

TRUE_WORDS = {"1", "true", "on", "yes", "y", "是"}
FALSE_WORDS = {"", "0", "false", "off", "no", "n", "否"}


class FieldErrors(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_value(field: Field, raw: Any) -> Any:
    """Turn one submitted value into its typed value, or raise ValueError with a msgid."""
    if _empty(raw):
        if field.kind == "bool":
            return False
        if field.required:
            raise ValueError("This field is required.")
        return None
    kind = field.kind
    if kind in ("text", "textarea"):
        if not isinstance(raw, str):
            raise ValueError("Enter text.")
        value = raw.strip()
        if len(value) > field.max_length:
            raise ValueError("Too long.")
        return value
    if kind in ("int", "ref", "weekday"):
        if isinstance(raw, bool):
            raise ValueError("Enter a whole number.")
        try:
            value = int(raw) if not isinstance(raw, float) else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            raise ValueError("Enter a whole number.")
        if kind == "weekday" and not 0 <= value <= 6:
            raise ValueError("Choose a weekday.")
        if kind == "int" and value < 0:
            raise ValueError("Enter a number of 0 or more.")
        return value
    if kind == "decimal":
        return validators.parse_decimal(raw)
    if kind == "area":
        return validators.parse_area(raw)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("Choose yes or no.")
    if kind == "choice":
        allowed = {v for v, _ in field.choices}
        if raw not in allowed:
            raise ValueError("Choose one of the listed options.")
        return raw
    if kind == "time":
        if isinstance(raw, dt.time):
            return raw
        try:
            return dt.time.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError("Enter a time like 09:00.") from None
    if kind == "date":
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError("Enter a date like 2026-10-01.") from None
    if kind == "phone":
        return validators.clean_phone(str(raw))
    if kind == "id_number":
        return validators.clean_id_number(str(raw))
    if kind == "hours":
        from council.parties import hours

        if isinstance(raw, list):
            return hours.parse(hours.format_hours(raw))
        return hours.parse(str(raw))
    raise AssertionError(f"unknown field kind {kind}")


def parse_input(fields: tuple[Field, ...], data: dict[str, Any], *, partial: bool, creating: bool) -> dict[str, Any]:
    """Validate a whole submission. Unknown keys are refused; on update only sent keys change."""
    known = {f.name: f for f in fields}
    errors: dict[str, str] = {}
    for key in data:
        if key not in known:
            errors[key] = "Unknown field."
    out: dict[str, Any] = {}
    for f in fields:
        if not creating and not f.editable:
            if f.name in data:
                errors[f.name] = "This field cannot be changed after creation."
            continue
        if partial and f.name not in data:
            continue
        try:
            out[f.name] = parse_value(f, data.get(f.name))
        except ValueError as e:
            errors[f.name] = str(e)
    if errors:
        raise FieldErrors(errors)
    return out


def python_type(field: Field) -> Any:
    """The type an API client sends for the field (used to build the OpenAPI schema)."""
    from typing import Literal

    return {
        "text": str, "textarea": str, "phone": str, "id_number": str,
        "int": int, "ref": int, "weekday": int,
        "decimal": Decimal, "area": Decimal, "bool": bool, "time": dt.time, "date": dt.date,
        "hours": str,
    }.get(field.kind) or Literal[tuple(v for v, _ in field.choices)]  # type: ignore[misc]
