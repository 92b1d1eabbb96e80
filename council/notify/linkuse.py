"""What a signed link lets someone without an account do — each use audited, with the link's id.

case_handle      the organisation's contact opens the dispatched case (personal details masked),
                 accepts it, and reports back with a note and photos; the link ends with the report
session_confirm  a mediation party confirms the session's time; the link ends with the confirmation
"""

from __future__ import annotations

from pathlib import Path

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict, Invalid, NotFound
from council.notify import links


async def _org_principal(link: dict) -> Principal:
    from council.parties.tables import Organisation

    org_id = int(link["recipient"].split(":")[1])
    org = await Organisation.select(Organisation.name).where(Organisation.id == org_id).first()
    if org is None:
        raise NotFound(links.INVALID)
    # Acts as the organisation's liaison would, for this one case (policy.can_handle checks the
    # case's organisation), and is named in the timeline and the audit log as the link's user.
    return Principal(user_id=0, username=f"link:{link['id']}", display_name=f"{org['name']}（短信链接）",
                     role="department_liaison", organisation_id=org_id, via="link")


async def open_case(token: str, ip: str = "") -> tuple[dict, dict]:
    """The link and the case as its contact may see it: no reporter, no phone numbers."""
    from council.cases.tables import Case
    from council.privacy import mask_name

    link = await links.resolve(token, "case_handle")
    row = await Case.select(Case.id, Case.number, Case.title, Case.description, Case.state, Case.due_date,
                            Case.organisation, Case.version, Case.station, Case.reporter).where(
        Case.id == link["subject_id"]).first()
    if row is None or f"org:{row['organisation']}" != link["recipient"]:
        # Sent back or dispatched elsewhere since: the link no longer fits the case.
        raise NotFound(links.INVALID)
    if row["reporter"]:
        from council.people.tables import Person

        p = await Person.select(Person.name).where(Person.id == row["reporter"]).first()
        row["reporter_name"] = mask_name(p["name"]) if p else ""
    row.pop("reporter")
    if ip is not None and link["uses"] == 0:
        async with db.write():
            await links.mark_used(link["id"])
            await audit.record(await _org_principal(link), "notify.link_opened", entity_type="notify_link",
                               entity_id=link["id"], after={"case": row["id"]}, station_id=row["station"], ip=ip)
    return link, row


async def accept_case(token: str, ip: str = "") -> dict:
    from council.cases import requests

    link, row = await open_case(token, None)
    principal = await _org_principal(link)
    after = await requests.move_request(principal, row["id"], "accept", ip=ip)
    async with db.write():
        await links.mark_used(link["id"])
        await audit.record(principal, "notify.link_used", entity_type="notify_link", entity_id=link["id"],
                           after={"case": row["id"], "action": "accept"}, station_id=row["station"], ip=ip)
    return after


async def report_case(token: str, note: str, photos: list[tuple[str, bytes]], upload_dir: Path, ip: str = "") -> dict:
    """Report back: the photos first (each checked like any attachment), then the report; the link
    is finished once the report is in."""
    from council.cases import attachments, requests

    if not (note or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"report": "Write what was done before reporting back."})
    link, row = await open_case(token, None)
    principal = await _org_principal(link)
    if row["state"] != "handling":
        raise Conflict("Accept the case before reporting back.")
    for name, content in photos:
        attachments.check_file(name, content)
    for name, content in photos:
        await attachments.add_attachment(principal, row["id"], filename=name, content=content, upload_dir=upload_dir, ip=ip)
    after = await requests.move_request(principal, row["id"], "report", report=note.strip(), ip=ip)
    async with db.write():
        await links.mark_used(link["id"], finished=True)
        await audit.record(principal, "notify.link_used", entity_type="notify_link", entity_id=link["id"],
                           after={"case": row["id"], "action": "report", "photos": len(photos)},
                           station_id=row["station"], ip=ip)
    return after


async def open_session(token: str) -> tuple[dict, dict, dict]:
    from council.mediation.tables import DisputeFile, DisputeParty, MediationSession

    link = await links.resolve(token, "session_confirm")
    s = await MediationSession.select().where(MediationSession.id == link["subject_id"]).first()
    party_id = int(link["recipient"].split(":")[1])
    party = await DisputeParty.select(DisputeParty.id, DisputeParty.name, DisputeParty.dispute).where(
        DisputeParty.id == party_id).first()
    if s is None or party is None or party["dispute"] != s["dispute"]:
        raise NotFound(links.INVALID)
    f = await DisputeFile.select(DisputeFile.id, DisputeFile.number, DisputeFile.case, DisputeFile.station).where(
        DisputeFile.id == s["dispute"]).first()
    return link, {**s, "file": f}, party


async def confirm_session(token: str, ip: str = "") -> None:
    from council.cases.common import add_event
    from council.core.localtime import local_time

    link, s, party = await open_session(token)
    if s["cancelled_at"] is not None:
        raise Conflict("This session was cancelled.")
    if link["used_at"] is not None:
        raise Conflict("Already confirmed.")
    principal = Principal(user_id=0, username=f"link:{link['id']}", display_name=f"{party['name']}（短信链接）",
                          role="resident", via="link")
    async with db.write():
        await add_event(principal, s["file"]["case"], "session_confirmed",
                        text=f"{party['name']} {local_time(s['starts_at'])}")
        await links.mark_used(link["id"], finished=True)
        await audit.record(principal, "notify.link_used", entity_type="notify_link", entity_id=link["id"],
                           after={"session": s["id"], "action": "confirm", "party": party["id"]},
                           station_id=s["file"]["station"], ip=ip)
