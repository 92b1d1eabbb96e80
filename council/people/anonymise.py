"""Anonymising a resident (个人信息保护法: deletion on request, or when no longer needed).

The row stays — ownerships, cases and votes point at it, and their history must still add
up — but everything that identifies the person is blanked, once and for good. The audit
entry records that it happened and by whom, not the erased values.
"""

from __future__ import annotations

import datetime as dt

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
        await audit.record(principal, "person.anonymise", entity_type="person", entity_id=person_id, ip=ip,
                           before={"anonymised": False}, after={"anonymised": True})
