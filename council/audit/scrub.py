"""Erasing a person's data from stored audit values (PIPL deletion). Pure: no web or database
imports.

An entry about the person themself keeps its keys (which fields changed) with every value
erased; any other entry loses only the values that carry the person's identity: their phone or
ID number (full or masked) anywhere in a string, and their name where a value is exactly it (a
two-character name inside longer text is too often someone else's)."""

from __future__ import annotations

from typing import Any

from council.privacy import mask_id_number, mask_phone

ERASED = "[erased]"


def erase_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: erase_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [erase_all(v) for v in value]
    return None if value is None else ERASED


def needles(name: str, phone: str, id_number: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """(values equal to which are erased, substrings erased wherever they appear)."""
    exact = {v for v in (name.strip(),) if v}
    parts = set()
    for raw, mask in ((phone, mask_phone), (id_number, mask_id_number)):
        raw = (raw or "").strip()
        if raw:
            parts.add(raw)
            if len(raw) >= 7:
                parts.add(mask(raw))
    # Longest first, so a full number goes before a shorter form inside it.
    return frozenset(exact), tuple(sorted(parts, key=len, reverse=True))


def scrub(value: Any, exact: frozenset[str], parts: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: scrub(v, exact, parts) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, exact, parts) for v in value]
    if isinstance(value, str):
        if value.strip() in exact:
            return ERASED
        for p in parts:
            if p in value:
                value = value.replace(p, ERASED)
        return value
    return value


def search_terms(name: str, phone: str, id_number: str) -> list[str]:
    """Texts to look for in the stored JSON, as JSON writes them (non-ASCII as \\uXXXX escapes)."""
    import json

    exact, parts = needles(name, phone, id_number)
    out = set()
    for v in (*exact, *parts):
        out.add(json.dumps(v)[1:-1])  # escaped, as stored
        out.add(v)  # raw, should a value have been stored without escapes
    return sorted(out)
