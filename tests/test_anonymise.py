"""Anonymising a resident blanks identity for good, keeps the row and its ownerships, and is audited."""

from council.audit.tables import AuditEntry
from council.people.tables import Ownership, Person
from tests.support import post_form


async def _owner_with_unit():
    row = await Person.select(Person.id).where(
        Person.id.is_in(Ownership.select(Ownership.person)) & Person.anonymised_at.is_null() & (Person.phone != "")
    ).order_by(Person.id, ascending=False).first()
    return row["id"]


async def test_secretary_anonymises_a_resident(as_user):
    person_id = await _owner_with_unit()
    owned_before = await Ownership.count().where(Ownership.person == person_id)
    c = as_user("secretary")
    r = post_form(c, f"/people/{person_id}/anonymise", {})
    assert r.status_code == 303
    row = await Person.select().where(Person.id == person_id).first()
    assert row["name"] == f"#{person_id}" and row["phone"] == "" and row["id_number"] == ""
    assert row["anonymised_at"] is not None
    assert await Ownership.count().where(Ownership.person == person_id) == owned_before
    entry = await AuditEntry.select().where(
        (AuditEntry.action == "person.anonymise") & (AuditEntry.entity_id == person_id)).first()
    assert entry is not None and entry["actor_label"]
    again = post_form(c, f"/people/{person_id}/anonymise", {})
    assert again.status_code == 409


async def test_grid_worker_may_not_anonymise(as_user):
    person_id = await _owner_with_unit()
    before = await Person.select().where(Person.id == person_id).first()
    r = post_form(as_user("gridworker"), f"/people/{person_id}/anonymise", {})
    assert r.status_code == 403
    assert await Person.select().where(Person.id == person_id).first() == before
