"""Masking of personal information (个人信息保护法): what a screen, PDF or export shows by default."""

from __future__ import annotations

import re


def mask_phone(phone: str | None) -> str:
    """138****1234 for a mobile; keep the area code and last 4 digits of a landline."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    head = digits.split("-")[0] if "-" in digits else digits[:3]
    if head == digits or len(digits) - len(head) - 4 < 3:
        # Too short to keep both ends and still hide something: keep only the last 4.
        head = ""
    hidden = len(digits) - len(head) - 4
    if hidden < 3:
        return "*" * len(digits)
    return f"{head}{'*' * hidden}{digits[-4:]}"


def mask_id_number(value: str | None) -> str:
    """Keep the first 3 and last 4 characters: 110***********123X."""
    if not value:
        return ""
    v = value.strip()
    if len(v) <= 7:
        return "*" * len(v)
    return f"{v[:3]}{'*' * (len(v) - 7)}{v[-4:]}"


def mask_name(name: str | None) -> str:
    """For public notices: 张** — the surname only."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def phone_query(term: str | None) -> tuple[str, str] | None:
    """How a search box's text may find a phone number: ("last4", "1234") by its last four digits,
    ("whole", number) by the whole number, or None (any other fragment never matches a phone:
    "138" would otherwise list every China Mobile subscriber, and typing digit after digit would
    reveal a number one step at a time)."""
    t = (term or "").strip()
    if len(t) == 4 and t.isdigit():
        return ("last4", t)
    digits = t.replace("-", "").replace(" ", "")
    if t and digits.isdigit() and 7 <= len(digits) <= 20:
        return ("whole", t)
    return None


# Mainland mobiles (1[3-9]x xxxx xxxx), landlines with an area code (010-12345678) and
# 18-character resident ID numbers, not inside longer runs of digits.
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")


class Unmasked(str):
    """A value that is printed in full on purpose (an agreement's parties' ID numbers, a register
    export with full=1 that was allowed and audited, a voting link). mask_free_text leaves it."""

    __slots__ = ()

    def __reduce__(self):  # stays Unmasked on its way to a PDF worker process
        return (Unmasked, (str(self),))


def mask_free_text(text):
    """Mask phone and ID numbers found in free text: the one function every PDF and export uses
    (IDs first: an ID number contains mobile-like runs). Anything not a plain str is returned as is."""
    if not text or not isinstance(text, str) or isinstance(text, Unmasked):
        return text
    text = _ID.sub(lambda m: mask_id_number(m.group()), text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group()), text)
