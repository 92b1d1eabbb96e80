"""Plain checks on values residents and staff type in. No web or database imports."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def clean_phone(value: str) -> str:
    """Strip spaces and dashes people type; return '' for empty. Raises ValueError if malformed."""
    raw = (value or "").strip()
    if not raw:
        return ""
    compact = re.sub(r"[\s]", "", raw)
    if compact.startswith("+86"):
        compact = compact[3:]
    if MOBILE.match(compact.replace("-", "")):
        return compact.replace("-", "")
    if LANDLINE.match(compact):
        return compact
    raise ValueError("Enter an 11-digit mobile number or a landline with area code.")


def clean_id_number(value: str) -> str:
    """A resident identity card number (GB 11643): 17 digits and a check character."""
    raw = (value or "").strip().upper()
    if not raw:
        return ""
    if not re.fullmatch(r"\d{17}[\dX]", raw):
        raise ValueError("An ID number has 18 characters: 17 digits and a check digit or X.")
    total = sum(int(d) * w for d, w in zip(raw[:17], ID_WEIGHTS))
    if ID_CHECK[total % 11] != raw[17]:
        raise ValueError("This ID number's check digit is wrong.")
    return raw


def parse_decimal(value, places: int = 2) -> Decimal:
    """An exact decimal with at most `places` decimals. Floats are refused: they are not exact."""
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("Enter a number.") from None
    if not number.is_finite():
        raise ValueError("Enter a number.")
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValueError("Too many decimal places.")
    return number


def parse_area(value) -> Decimal:
    area = parse_decimal(value, places=2)
    if area <= 0:
        raise ValueError("The floor area must be greater than 0.")
    if area >= Decimal("100000000"):
        raise ValueError("The floor area is too large.")
    return area
