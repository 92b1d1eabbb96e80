"""Minutes (会议纪要): drafted per agenda item, approved into a frozen version, corrected by a new one.

- The draft is one row per meeting with a `version`: two people saving the same draft — the
  second save is refused with a Conflict and the page keeps the text they typed.
- Approval builds the snapshot (everything the document shows), hashes its canonical JSON with
  SHA-256, renders the PDF once and stores it with the version, in the database: the PDF is the
  record that gets printed and filed, so it is committed in the same transaction as the approval
  (no file can go missing or drift from its row) and travels with every backup of the database.
  It is served from there as stored, never re-rendered.
- Action items of an approved version become tasks on the agenda item's case (once each, even
  across corrections: the task's source names the action).
"""

from __future__ import annotations

import asyncio

import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases.common import add_event
from council.cases.tables import Task
from council.core.errors import Conflict, Invalid, NotFound
from council.meetings import policy, statemachine as sm
from council.meetings.agenda import case_note
from council.meetings.common import bump, load_meeting, now, record, require
from council.meetings.tables import Minutes, MinutesVersion
from council.notify import events as notify

FIX = "Please correct the marked fields."
MAX_TEXT = 20_000


def empty() -> dict:
    return {"items": {}, "notes": ""}


def _loads(value: Any) -> dict:
    if isinstance(value, str):
        return json.loads(value or "{}") or empty()
    return value or empty()


async def draft(meeting_id: int) -> dict:
    """The draft row (or an unsaved empty one with version 0)."""
    row = await Minutes.select().where(Minutes.meeting == meeting_id).first()
    if row is None:
        return {"id": None, "meeting": meeting_id, "content": empty(), "version": 0, "updated_at": None,
                "updated_by": None}
    row["content"] = _loads(row["content"])
    return row


def clean_content(raw: dict, item_ids: set[int], org_ids: set[int]) -> tuple[dict, dict[str, str]]:
    """Validate what the form sent. Keeps the text even when a field is wrong (the form shows it back)."""
    errors: dict[str, str] = {}
    items: dict[str, dict] = {}
    for key, item in (raw.get("items") or {}).items():
        if not str(key).isdigit() or int(key) not in item_ids:
            continue
        actions = []
        for n, a in enumerate(item.get("actions") or []):
            what = (a.get("what") or "").strip()[:300]
            org = a.get("organisation")
            person = (a.get("person") or "").strip()[:100]
            due = (a.get("due") or "").strip()
            if not (what or org or person or due):
                continue  # an empty row of the form
            prefix = f"items.{key}.actions.{n}"
            if not what:
                errors[f"{prefix}.what"] = "This field is required."
            if org in ("", None):
                org = None
            else:
                try:
                    org = int(org)
                except (TypeError, ValueError):
                    org = -1
                if org not in org_ids:
                    errors[f"{prefix}.organisation"] = "Choose one of the listed options."
            if org is None and not person:
                errors[f"{prefix}.person"] = "Say who does it: an organisation or a person."
            if due:
                try:
                    dt.date.fromisoformat(due)
                except ValueError:
                    errors[f"{prefix}.due"] = "Enter a date like 2026-11-30."
            else:
                errors[f"{prefix}.due"] = "This field is required."
            actions.append({"id": (a.get("id") or secrets.token_hex(4))[:16], "what": what, "organisation": org,
                            "person": person, "due": due})
        discussion = (item.get("discussion") or "").strip()
        decisions = (item.get("decisions") or "").strip()
        for name, text in (("discussion", discussion), ("decisions", decisions)):
            if len(text) > MAX_TEXT:
                errors[f"items.{key}.{name}"] = "This text is too long."
        items[str(key)] = {"discussion": discussion, "decisions": decisions, "actions": actions}
    notes = (raw.get("notes") or "").strip()[:MAX_TEXT]
    return {"items": items, "notes": notes}, errors


async def save_draft(principal: Principal, meeting_id: int, content: dict, *, version: Any,
                     ip: str = "") -> int:
    """Save the draft; returns its new version. The first save moves a held meeting to minutes drafted."""
    from council.meetings.agenda import items as agenda_items
    from council.meetings.parties import organisations_for

    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_record(principal, view))
    if row["state"] not in sm.MINUTES_EDIT_STATES:
        raise Conflict("The minutes can be written once the meeting is held, and not after approval.")
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise Conflict("The form is missing its version; reload the page.") from None
    item_ids = {i["id"] for i in await agenda_items(meeting_id)}
    org_ids = {o["id"] for o in await organisations_for(row["community"])}
    clean, errors = clean_content(content, item_ids, org_ids)
    if errors:
        raise Invalid(FIX, errors=errors)
    async with db.write():
        current = await Minutes.select(Minutes.id, Minutes.version, Minutes.content).where(
            Minutes.meeting == meeting_id).first()
        stamp = now()
        if current is None:
            if expected != 0:
                raise Conflict("Someone else saved these minutes after you opened them. Your text is kept below: "
                               "copy what you need, reload, and save again.")
            try:
                await Minutes.insert(Minutes(meeting=meeting_id, content=clean, updated_by=principal.user_id or None,
                                             updated_at=stamp, version=1))
            except Exception as e:
                if db.is_unique_violation(e):  # someone saved the first draft at the same moment
                    raise Conflict("Someone else saved these minutes after you opened them. Your text is kept "
                                   "below: copy what you need, reload, and save again.") from None
                raise
            new_version = 1
        else:
            done = await Minutes.update({Minutes.content: clean, Minutes.updated_by: principal.user_id or None,
                                         Minutes.updated_at: stamp, Minutes.version: expected + 1}).where(
                (Minutes.meeting == meeting_id) & (Minutes.version == expected)).returning(Minutes.id)
            if not done:
                raise Conflict("Someone else saved these minutes after you opened them. Your text is kept below: "
                               "copy what you need, reload, and save again.")
            new_version = expected + 1
        if row["state"] == "held":
            row = await bump(row, {"state": sm.next_state("held", "draft_minutes")})
            await record(principal, "draft_minutes", row, {"state": "held"}, {"state": "minutes_drafted"}, ip)
        await record(principal, "minutes_saved", row, None, {"minutes_version": new_version}, ip)
    return new_version


def content_hash(snapshot: dict) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8): the same content, the same hash."""
    canonical = json.dumps(audit.jsonable(snapshot), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def approve(principal: Principal, meeting_id: int, *, version: Any, ip: str = "") -> int:
    """Freeze the draft as a new version with its hash and PDF; action items become case tasks."""
    from council import pdf
    from council.meetings.document import snapshot_for

    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    if row["state"] != "minutes_drafted":
        raise Conflict("Only drafted minutes can be approved.")
    too_early = sm.time_refusal("approve_minutes", row["starts_at"], now())
    if too_early:
        raise Conflict(too_early)
    current = await draft(meeting_id)
    if current["id"] is None:
        raise Conflict("Write the minutes before approving them.")
    if version not in (None, "") and str(current["version"]) != str(version):
        raise Conflict("Someone else saved these minutes after you opened them. Reload to see their changes.")
    last = await MinutesVersion.select(MinutesVersion.number, MinutesVersion.reason).where(
        MinutesVersion.meeting == meeting_id).order_by(MinutesVersion.number, ascending=False).first()
    number = (last["number"] + 1) if last else 1
    approved_at = now()
    snap = await snapshot_for(row, current["content"], number=number, approved_by=principal.label,
                              approved_at=approved_at, reason=row["reason"] if last else "")
    digest = content_hash(snap)
    snap["content_hash"] = digest
    # Rendered before the write transaction: a PDF takes a while, and the write lock must not wait on it.
    from council.stations.emblem import pdf_emblem

    # The emblem is the station's letterhead, not the minutes' content: outside the hashed snapshot.
    document = await pdf.render("pdf/minutes.html", {**snap, "station_emblem": await pdf_emblem(row["station"])},
                               "zh_CN")
    async with db.write():
        fresh, _ = await load_meeting(principal, meeting_id)
        again = await draft(meeting_id)
        if fresh["version"] != row["version"] or again["version"] != current["version"]:
            raise Conflict("Someone else changed this meeting after you opened it. Reload to see their changes.")
        try:
            await MinutesVersion.insert(MinutesVersion(
                meeting=meeting_id, number=number, snapshot=audit.jsonable(snap), content_hash=digest,
                reason=snap["reason"], approved_by=principal.user_id or None, approved_at=approved_at,
                pdf=document, pdf_sha256=hashlib.sha256(document).hexdigest()))
        except Exception as e:
            if db.is_unique_violation(e):
                raise Conflict("These minutes were approved by someone else just now.") from None
            raise
        after = await bump(fresh, {"state": sm.next_state(fresh["state"], "approve_minutes")})
        tasks = await _tasks_from_actions(principal, meeting_id, snap)
        for case_id in {i["case_id"] for i in snap["items"] if i.get("case_id")}:
            await add_event(principal, case_id, "meeting", data=case_note(
                row, "minutes_approved", minutes_version=number, sha256=digest))
        await record(principal, "approve_minutes", after, {"state": "minutes_drafted"},
                     {"state": "minutes_approved", "number": number, "sha256": digest, "tasks": tasks}, ip)
        await notify.minutes_approved(after, number)
    return number


async def _tasks_from_actions(principal: Principal, meeting_id: int, snap: dict) -> list[int]:
    from council.cases.calendar_store import local_date
    from council.cases.tables import Case

    created = []
    for item in snap["items"]:
        if not item.get("case_id"):
            continue
        case = await Case.select(Case.number, Case.created_at).where(Case.id == item["case_id"]).first()
        for a in item["actions"]:
            # Same rule as a task added on the case (issue 13). Raised inside the approval's
            # transaction, so nothing of the approval is written.
            if case and a.get("due") and dt.date.fromisoformat(a["due"]) < local_date(case["created_at"]):
                raise Conflict("An action item of case %(number)s is due before the case was registered: "
                               "correct its date in the minutes.", number=case["number"])
            source = f"minutes:{meeting_id}:{a['id']}"
            if await Task.exists().where((Task.case == item["case_id"]) & (Task.source == source)):
                continue  # made by an earlier version of these minutes
            tid = (await Task.insert(Task(
                case=item["case_id"], what=a["what"], organisation=a.get("organisation"),
                responsible=a.get("person") or "", due_date=dt.date.fromisoformat(a["due"]) if a.get("due") else None,
                source=source)).returning(Task.id))[0]["id"]
            await add_event(principal, item["case_id"], "task", text=a["what"],
                            data={"task": tid, "meeting": meeting_id, "due_date": a.get("due")})
            created.append(tid)
    return created


async def correct(principal: Principal, meeting_id: int, *, reason: str, version: Any = None, ip: str = "") -> dict:
    """Re-open approved minutes for a correction: the approved version stays as it is."""
    row, view = await load_meeting(principal, meeting_id)
    require(policy.can_manage(principal, view))
    try:
        target = sm.next_state(row["state"], "correct_minutes", reason)
    except sm.MoveRefused as e:
        raise Invalid(str(e), errors={"reason": str(e)}) if "reason" in str(e) else Conflict(str(e)) from None
    async with db.write():
        fresh, _ = await load_meeting(principal, meeting_id)
        if version not in (None, "") and str(fresh["version"]) != str(version):
            raise Conflict("Someone else changed this meeting after you opened it. Reload to see their changes.")
        after = await bump(fresh, {"state": target, "reason": reason.strip()[:1000]})
        await record(principal, "correct_minutes", after, {"state": fresh["state"]},
                     {"state": target, "reason": reason.strip()}, ip)
    return after


async def versions(meeting_id: int) -> list[dict]:
    return await MinutesVersion.select(
        MinutesVersion.id, MinutesVersion.number, MinutesVersion.content_hash, MinutesVersion.reason,
        MinutesVersion.approved_at, MinutesVersion.approved_by.display_name.as_alias("approver"),
        MinutesVersion.pdf_sha256,
    ).where(MinutesVersion.meeting == meeting_id).order_by(MinutesVersion.number)


async def _approved_version(principal: Principal, meeting_id: int, number: int | None, column) -> dict:
    """One approved version's `column` (latest unless a number is given); NotFound while none."""
    await load_meeting(principal, meeting_id)  # NotFound / Forbidden
    q = MinutesVersion.select(MinutesVersion.number, column).where(MinutesVersion.meeting == meeting_id)
    if number is not None:
        q = q.where(MinutesVersion.number == number)
    row = await q.order_by(MinutesVersion.number, ascending=False).first()
    if row is None or row[column._meta.name] is None:
        raise NotFound("These minutes are not approved yet.")
    return row


async def approved_docx(principal: Principal, meeting_id: int, number: int | None = None) -> tuple[bytes, int]:
    """The approved minutes as an editable .docx, built from the version's frozen snapshot."""
    import json

    from council.meetings.docx_minutes import minutes_docx

    row = await _approved_version(principal, meeting_id, number, MinutesVersion.snapshot)
    snap = json.loads(row["snapshot"]) if isinstance(row["snapshot"], str) else row["snapshot"]
    return await asyncio.to_thread(minutes_docx, snap), row["number"]  # python-docx: off the event loop


async def stored_pdf(principal: Principal, meeting_id: int, number: int | None = None) -> tuple[bytes, int]:
    """The PDF exactly as it was stored at approval (latest version unless a number is given)."""
    row = await _approved_version(principal, meeting_id, number, MinutesVersion.pdf)
    return bytes(row["pdf"]), row["number"]

