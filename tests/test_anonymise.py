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


# ---------------------------------------------------------------- the audit log and backups (issue 14)

async def _new_resident(as_user, name: str, phone: str, id_number: str) -> int:
    """Registered through the register page, so the audit log holds the person's values."""
    from council.people.tables import Person as P

    c = as_user("secretary")
    community = (await P.select(P.community).first())["community"]
    r = post_form(c, "/people/new", {"community": community, "name": name, "phone": phone, "id_number": id_number,
                                     "note": f"联系电话 {phone}"})
    assert r.status_code in (302, 303), r.text[:300]
    return (await P.select(P.id).where(P.phone == phone).first())["id"]


def _identity_in(text: str, name: str, phone: str, id_number: str) -> list[str]:
    import json

    found = []
    for value in (name, phone, id_number, phone[:3] + "****" + phone[-4:]):
        if value in text or json.dumps(value)[1:-1] in text:
            found.append(value)
    return found


async def test_anonymising_scrubs_the_audit_log_and_keeps_who_did_what(as_user):
    import json

    from council.audit.tables import AuditEntry as A

    name, phone, id_number = "欧阳清扫", "13987650001", "110101199001011237"
    person_id = await _new_resident(as_user, name, phone, id_number)
    # The person appears in another entry too (a free-text mention elsewhere).
    from council.accounts.principal import SYSTEM
    from council.audit import service as audit
    from council import db

    async with db.write():
        await audit.record(SYSTEM, "case.note", entity_type="case", entity_id=1,
                           after={"note": f"回访 {phone}", "who": name, "other": "欧阳清扫的邻居"})
    rows = await A.select().where(A.entity_type.is_in(["person", "case"]))
    assert any(_identity_in(str(r["after"]) + str(r["before"]), name, phone, id_number) for r in rows)
    before_keys = {r["id"]: (r["at"], r["actor"], r["action"], r["entity_id"]) for r in rows}

    r = post_form(as_user("secretary"), f"/people/{person_id}/anonymise", {})
    assert r.status_code == 303
    everything = await A.select()
    for entry in everything:
        text = f'{entry["before"]} {entry["after"]}'
        if entry["action"] == "case.note":  # its "other" keeps a longer text that merely contains the name
            text = text.replace("\\u6b27\\u9633\\u6e05\\u626b\\u7684\\u90bb\\u5c45", "")
        assert not _identity_in(text, name, phone, id_number), (entry["action"], text)
        if entry["id"] in before_keys:  # when, who, what and on which entity are kept
            assert (entry["at"], entry["actor"], entry["action"], entry["entity_id"]) == before_keys[entry["id"]]
    created = await A.select().where((A.action == "person.create") & (A.entity_id == person_id)).first()
    assert created["scrubbed_at"] is not None and "[erased]" in str(created["after"]) and "name" in str(created["after"])
    note = await A.select().where(A.action == "case.note").order_by(A.id, ascending=False).first()
    assert json.loads(note["after"])["other"] == "欧阳清扫的邻居"  # only exact names are erased in others' text
    done = await A.select().where((A.action == "person.anonymise") & (A.entity_id == person_id)).first()
    assert done["actor_label"] and done["after"]


async def test_the_audit_log_refuses_any_other_change():
    import pytest
    from council.audit.tables import AuditEntry as A

    entry = await A.select(A.id).order_by(A.id).first()
    with pytest.raises(Exception):
        await A.update({A.action: "forged"}).where(A.id == entry["id"])
    with pytest.raises(Exception):  # a "scrub" that also changes who did it
        await A.update({A.actor_label: "someone else", A.scrubbed_at: A.at}).where(A.id == entry["id"])
    with pytest.raises(Exception):
        await A.delete().where(A.id == entry["id"])


async def test_a_backup_after_anonymising_holds_no_trace(as_user, settings, tmp_path):
    import tarfile

    from council.ops.backup import create_backup

    name, phone, id_number = "司马备份", "13987650002", "110101199001015676"
    person_id = await _new_resident(as_user, name, phone, id_number)
    assert post_form(as_user("secretary"), f"/people/{person_id}/anonymise", {}).status_code == 303
    out = tmp_path / "after.tar.gz"
    await create_backup(settings.database_url, settings.upload_dir, out)
    raw = b""
    with tarfile.open(out) as tar:
        for member in tar.getmembers():
            if member.isfile():
                raw += tar.extractfile(member).read()
    import json

    for value in (name, phone, id_number):
        for form in {value.encode(), json.dumps(value)[1:-1].encode(), value.encode("utf-16-le")}:
            assert form not in raw, value
