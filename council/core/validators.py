"""Plain checks on values residents and staff type in. No web or database imports."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# GB/T 2260 province-level codes, the first two digits of a number issued under GB 11643-1999:
# mainland provinces, regions and municipalities; 71 Taiwan; 81 Hong Kong and 82 Macao (also on
# their residents' residence permits); 83 the residence permit of Taiwan residents.
PROVINCES = frozenset(
    [f"{n}" for n in range(11, 16)] + [f"{n}" for n in range(21, 24)] + [f"{n}" for n in range(31, 38)]
    + [f"{n}" for n in range(41, 47)] + [f"{n}" for n in range(50, 55)] + [f"{n}" for n in range(61, 66)]
    + ["71", "81", "82", "83"])
MAINLAND = frozenset(p for p in PROVINCES if p[0] in "123456")
EARLIEST_BIRTH = dt.date(1900, 1, 1)


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


def clean_id_number(value: str, today: dt.date | None = None) -> str:
    """A citizen identity number (GB 11643-1999): region code, birth date, sequence, check character.

    Beyond the check character (ISO 7064 MOD 11-2), the number must name a real place and a real
    birthday, or a typo that happens to keep the checksum — or a made-up number — would pass:
    the first two digits a province-level code (GB/T 2260), digits 7–14 a real date between
    1900-01-01 and today. The 2023 foreigner's permanent residence ID card starts with 9 followed
    by the issuing province's two digits; it is read the same way from the second digit."""
    raw = (value or "").strip().upper()
    if not raw:
        return ""
    if not re.fullmatch(r"\d{17}[\dX]", raw):
        raise ValueError("An ID number has 18 characters: 17 digits and a check digit or X.")
    province_ok = raw[1:3] in MAINLAND if raw[0] == "9" else raw[:2] in PROVINCES
    if not province_ok:
        raise ValueError("This ID number's first two digits are not a province-level region code.")
    try:
        born = dt.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise ValueError("This ID number's birth date (digits 7 to 14) is not a real date.") from None
    if born < EARLIEST_BIRTH:
        raise ValueError("This ID number's birth date (digits 7 to 14) is before 1900.")
    if born > (today or _today()):
        raise ValueError("This ID number's birth date (digits 7 to 14) is in the future.")
    total = sum(int(d) * w for d, w in zip(raw[:17], ID_WEIGHTS))
    if ID_CHECK[total % 11] != raw[17]:
        raise ValueError("This ID number's check digit is wrong.")
    return raw


def _today() -> dt.date:
    from council.core.localtime import LOCAL  # a zone constant, no web or database import

    return dt.datetime.now(LOCAL).date()


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
