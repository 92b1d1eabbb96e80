"""Masking of personal information (个人信息保护法): what a screen, PDF or export shows by default."""

from __future__ import annotations


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
