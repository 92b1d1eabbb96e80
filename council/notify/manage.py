"""Use cases around the outbox: the inbox and its bell, the admin's outbox list and resend, and
preferences (per user, organisation, station or resident)."""

from __future__ import annotations

import json
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.notify import rules
from council.notify.outbox import now_ms, utcnow
from council.notify.tables import Attempt, Outbox, Preference

FIX = "Please correct the marked fields."
PAGE = 50
STATUSES = ("pending", "sending", "sent", "held", "dead", "uncertain", "digested")
RESENDABLE = ("dead", "held", "pending", "uncertain")


def _inbox_where(user_id: int):
    return (Outbox.recipient == f"user:{user_id}") & (Outbox.channel == "inapp")


async def unread_count(user_id: int) -> int:
    """The bell's number, on every page: one statement built once (db.fetch)."""
    return (await db.fetch(
        'SELECT COUNT(*) AS n FROM "notify_outbox" WHERE "recipient" = {} AND "channel" = \'inapp\' '
        'AND "read_at" IS NULL', f"user:{user_id}"))[0]["n"]


async def inbox(principal: Principal, limit: int = 100) -> list[dict]:
    return await Outbox.select(Outbox.id, Outbox.event, Outbox.params, Outbox.created_at, Outbox.read_at,
                               Outbox.locale, Outbox.case).where(_inbox_where(principal.user_id)).order_by(
        Outbox.id, ascending=False).limit(limit).output(load_json=True)


async def mark_read(principal: Principal, ids: list[int] | None = None) -> int:
    """Mark the user's messages read (all, or these). Only their own rows are touched."""
    q = _inbox_where(principal.user_id) & Outbox.read_at.is_null()
    if ids is not None:
        q = q & Outbox.id.is_in(ids or [-1])
    async with db.write():
        done = await Outbox.update({Outbox.read_at: utcnow()}).where(q).returning(Outbox.id)
    return len(done)


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden()


async def outbox_list(principal: Principal, *, status: str = "", channel: str = "", event: str = "", q: str = "",
                      page: int = 1) -> tuple[list[dict], int]:
    _require_admin(principal)
    where = Outbox.id > 0
    if status:
        where &= Outbox.status == status
    if channel:
        where &= Outbox.channel == channel
    if event:
        where &= Outbox.event == event
    if q:
        where &= db.contains(Outbox.recipient_label, q) | (Outbox.recipient == q)
    total = await Outbox.count().where(where)
    rows = await Outbox.select(Outbox.id, Outbox.event, Outbox.recipient, Outbox.recipient_label, Outbox.channel,
                               Outbox.address, Outbox.status, Outbox.attempts, Outbox.last_error, Outbox.created_at,
                               Outbox.sent_at, Outbox.case, Outbox.urgent).where(where).order_by(
        Outbox.id, ascending=False).limit(PAGE).offset((max(page, 1) - 1) * PAGE)
    return rows, total


async def attempts_of(principal: Principal, outbox_id: int) -> list[dict]:
    _require_admin(principal)
    return await Attempt.select().where(Attempt.outbox == outbox_id).order_by(Attempt.id)


async def resend(principal: Principal, outbox_id: int, ip: str = "") -> None:
    """Send a failed, held or uncertain message again: due now, with a fresh count of tries.
    Audited. An uncertain one (a WeCom message in flight when a worker died) is sent again only
    here, after the admin has looked in the group."""
    _require_admin(principal)
    async with db.write():
        row = await Outbox.select(Outbox.id, Outbox.status, Outbox.channel).where(Outbox.id == outbox_id).first()
        if row is None:
            raise NotFound()
        if row["status"] not in RESENDABLE:
            raise Conflict("Only a failed, held, uncertain or waiting message can be sent again.")
        await Outbox.update({Outbox.status: "pending", Outbox.attempts: 0, Outbox.next_ms: now_ms(),
                             Outbox.last_error: ""}).where(Outbox.id == outbox_id)
        await audit.record(principal, "notify.resend", entity_type="notify_outbox", entity_id=outbox_id,
                           before={"status": row["status"]}, after={"status": "pending"}, ip=ip)


# ---------------------------------------------------------------- preferences

OWNER_KINDS = ("user", "org", "station", "person")


def _owner(owner: str) -> tuple[str, int]:
    kind, _, ident = (owner or "").partition(":")
    if kind not in OWNER_KINDS or not ident.isdigit():
        raise Invalid(FIX, errors={"owner": "Choose one of the listed options."})
    return kind, int(ident)


def _may_edit(principal: Principal, kind: str, ident: int) -> bool:
    if principal.is_admin:
        return True
    if kind == "user":
        return ident == principal.user_id
    return principal.role == "secretary"  # the secretariat records organisations' and residents' choices


async def preference(owner: str) -> dict:
    row = await Preference.select().where(Preference.owner == owner).first()
    if row is None:
        return {"owner": owner, "channels": [], "email": "", "mobile": "", "wecom_key": "", "quiet_start": "21:00",
                "quiet_end": "08:00", "digest": False, "version": 0}
    if isinstance(row["channels"], str):
        row["channels"] = json.loads(row["channels"] or "[]")
    return row


async def save_preference(principal: Principal, owner: str, data: dict[str, Any], ip: str = "") -> None:
    """Validate → permission → write → audit. A resident's channels are their recorded consent."""
    kind, ident = _owner(owner)
    if not _may_edit(principal, kind, ident):
        raise Forbidden()
    errors: dict[str, str] = {}
    channels = [c for c in (data.get("channels") or []) if c]
    if any(c not in rules.CHANNELS for c in channels):
        errors["channels"] = "Choose one of the listed options."
    email = str(data.get("email") or "").strip()
    if email and ("@" not in email or " " in email or len(email) > 200):
        errors["email"] = "Enter an e-mail address."
    mobile = str(data.get("mobile") or "").strip()
    if mobile and not (mobile.isdigit() and 7 <= len(mobile) <= 20):
        errors["mobile"] = "Enter a phone number (digits only)."
    wecom_key = str(data.get("wecom_key") or "").strip()[:200]
    quiet_start = str(data.get("quiet_start") or "").strip()  # the form always sends them
    quiet_end = str(data.get("quiet_end") or "").strip()
    for name, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if rules.parse_hm(value) is None:
            errors[name] = "Enter a time as HH:MM."
    if "email" in channels and not email:
        errors["email"] = "Enter an e-mail address."
    if errors:
        raise Invalid(FIX, errors=errors)
    values = dict(channels=channels, email=email, mobile=mobile, wecom_key=wecom_key, quiet_start=quiet_start,
                  quiet_end=quiet_end, digest=bool(data.get("digest")))
    async with db.write():
        before = await Preference.select().where(Preference.owner == owner).first()
        if before is None:
            await Preference.insert(Preference(owner=owner, **values))
        else:
            await Preference.update({**{getattr(Preference, k): v for k, v in values.items()},
                                     Preference.version: Preference.version + 1}).where(Preference.owner == owner)
        from council.privacy import mask_phone

        shown = {**values, "wecom_key": "***" if wecom_key else "", "mobile": mask_phone(mobile)}  # no secrets in the log
        await audit.record(principal, "notify.preference", entity_type="notify_preference", entity_id=None,
                           before={k: before[k] for k in ("channels", "email", "mobile", "digest")} if before else None,
                           after={"owner": owner, **shown}, ip=ip)
