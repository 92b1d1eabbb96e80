"""Anonymising a resident (个人信息保护法: deletion on request, or when no longer needed).

The row stays — ownerships, cases and votes point at it, and their history must still add
up — but everything that identifies the person is blanked, once and for good. The audit
entry records that it happened and by whom, not the erased values.
"""

from __future__ import annotations

import datetime as dt

from piccolo.columns.combination import WhereRaw

from council import db
from council.accounts import permissions
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict, Forbidden, NotFound
from council.people.tables import Person


def anonymous_name(person_id: int) -> str:
    return f"#{person_id}"


async def anonymise_person(principal: Principal, person_id: int, ip: str = "") -> None:
    if not permissions.can_write(principal.role, "person_anonymise"):
        raise Forbidden()
    async with db.write():
        row = await Person.select().where(Person.id == person_id).first()
        if row is None:
            raise NotFound()
        principal.require_community(row["community"])
        if row["anonymised_at"] is not None:
            raise Conflict("This resident has already been anonymised.")
        await Person.update({
            Person.name: anonymous_name(person_id), Person.phone: "", Person.id_number: "", Person.note: "",
            Person.anonymised_at: dt.datetime.now(dt.timezone.utc), Person.version: Person.version + 1,
        }).where(Person.id == person_id)
        scrubbed = await scrub_audit_log(person_id, row)
        await audit.record(principal, "person.anonymise", entity_type="person", entity_id=person_id, ip=ip,
                           before={"anonymised": False}, after={"anonymised": True, "audit_entries_scrubbed": scrubbed})


async def scrub_audit_log(person_id: int, row: dict) -> int:
    """Erase the person's data from the audit log's stored values, in the caller's transaction.
    Entries about the person lose every value (their keys stay); other entries lose the values
    that carry the person's name, phone or ID number (council.audit.scrub). Who did what, when,
    to which entity stays: the database refuses any other change (migration 0013a). Returns how
    many entries were scrubbed. Backups taken later hold only the scrubbed rows (and SQLite
    copies are vacuumed, so no freed page keeps the old bytes: council.ops.backup)."""
    from council.audit import scrub
    from council.audit.tables import AuditEntry

    now = dt.datetime.now(dt.timezone.utc)
    exact, parts = scrub.needles(row["name"] or "", row["phone"] or "", row["id_number"] or "")
    own = (AuditEntry.entity_type == "person") & (AuditEntry.entity_id == person_id)
    clause = own
    for term in scrub.search_terms(row["name"] or "", row["phone"] or "", row["id_number"] or ""):
        pattern = f"%{db.escape_like(term)}%"
        clause = clause | WhereRaw("CAST(\"before\" AS TEXT) LIKE {} ESCAPE '\\'", pattern) | WhereRaw(
            "CAST(\"after\" AS TEXT) LIKE {} ESCAPE '\\'", pattern)
    count = 0
    for entry in await AuditEntry.select(AuditEntry.id, AuditEntry.entity_type, AuditEntry.entity_id,
                                         AuditEntry.before, AuditEntry.after).where(clause).output(load_json=True):
        if entry["entity_type"] == "person" and entry["entity_id"] == person_id:
            before, after = scrub.erase_all(entry["before"]), scrub.erase_all(entry["after"])
        else:
            before, after = scrub.scrub(entry["before"], exact, parts), scrub.scrub(entry["after"], exact, parts)
        if (before, after) == (entry["before"], entry["after"]):
            continue
        await AuditEntry.update({AuditEntry.before: before, AuditEntry.after: after,
                                 AuditEntry.scrubbed_at: now}).where(AuditEntry.id == entry["id"])
        count += 1
    return count
