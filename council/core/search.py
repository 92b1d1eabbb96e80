"""Search boxes that can find a person: one rule for every place a name or phone is typed.

A name matches as literal text (council.db.contains). A phone matches only by its last four
digits, or by the whole number; finding someone by the whole number tells the searcher that the
number belongs to them, so it is a reveal: only roles that may see full numbers, and audited
(without the number itself, which the audit log must not collect)."""

from __future__ import annotations

from council import db
from council.accounts import permissions
from council.accounts.principal import Principal
from council.privacy import phone_query


async def phone_clause(principal: Principal, column, term: str, *, entity_type: str, ip: str = "",
                       station_id: int | None = None):
    """The where-clause for a phone column, or None when the text cannot match a phone."""
    how = phone_query(term)
    if how is None:
        return None
    kind, value = how
    if kind == "last4":
        return db.ends_with(column, value)
    if not permissions.can_view_pii(principal.role):
        return None  # no oracle: a role that may not reveal learns nothing from a whole number
    from council.audit import service as audit

    async with db.write():
        await audit.record(principal, "pii.search", entity_type=entity_type, entity_id=None,
                           after={"field": column._meta.name}, station_id=station_id, ip=ip)
    return column == value


async def person_clause(principal: Principal, name_column, phone_column, term: str, *, entity_type: str = "person",
                        ip: str = "", station_id: int | None = None):
    """Name contains the text, or the phone matches as above."""
    clause = db.contains(name_column, term)
    phone = await phone_clause(principal, phone_column, term, entity_type=entity_type, ip=ip, station_id=station_id)
    return clause if phone is None else (clause | phone)
