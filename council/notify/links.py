"""Signed, expiring, single-purpose links for people without an account.

The same scheme as the voting links (council.votes.tokens): token = HMAC(server secret,
"link:purpose:subject:recipient:salt"), 32 characters of base64url; the database keeps only SHA-256(token), so a
copy of the database opens nothing. Revoking sets revoked_at; every use is audited by the
service that acts on it. A link does one thing (its purpose) for one subject and one recipient.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import base64

from council.core.errors import NotFound
from council.notify.tables import Link
from council.votes import tokens

PURPOSES = {"case_handle": 30, "session_confirm": 30}  # days a link lives
def N_(msgid: str) -> str:
    return msgid


INVALID = N_("This link is not valid or has expired. Ask the station for a new one.")


def _secret() -> str:
    from council.votes.common import secret_key

    return secret_key()


def make_token(purpose: str, subject_id: int, recipient: str, salt: str) -> str:
    # No row id inside: the hash is known before the insert, so issuing a link is one statement.
    mac = hmac.new(_secret().encode(), f"link:{purpose}:{subject_id}:{recipient}:{salt}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[: tokens.TOKEN_LENGTH]


# Raw SQL: issuing runs inside the write that causes the message (see council.notify.recipients).
LIVE_SQL = ('SELECT "id" FROM "notify_link" WHERE "purpose" = {} AND "subject_id" = {} AND "recipient" = {} '
            'AND "revoked_at" IS NULL AND "expires_at" > {} ORDER BY "id" LIMIT 1')


async def issue(purpose: str, subject_id: int, recipient: str, *, days: int | None = None) -> int:
    """A link for this purpose, subject and recipient: the live one if there is one (a second
    message about the same case reuses it), else a new one. Inside the caller's transaction."""
    from council import db

    now = dt.datetime.now(dt.timezone.utc)
    live = await db.raw(LIVE_SQL, purpose, subject_id, recipient, now)
    if live:
        return live[0]["id"]
    salt = tokens.new_salt()
    token_hash = tokens.hash_token(make_token(purpose, subject_id, recipient, salt))
    return (await Link.insert(Link(purpose=purpose, subject_id=subject_id, recipient=recipient, salt=salt,
                                   token_hash=token_hash, expires_at=now + dt.timedelta(days=days or PURPOSES[purpose]),
                                   created_at=now)))[0]["id"]


async def token_of(link_id: int) -> str | None:
    row = await Link.select(Link.purpose, Link.subject_id, Link.recipient, Link.salt).where(Link.id == link_id).first()
    return make_token(row["purpose"], row["subject_id"], row["recipient"], row["salt"]) if row else None


async def resolve(token: str, purpose: str | None = None) -> dict:
    """The live link behind a token, or NotFound (unknown, revoked, expired, other purpose)."""
    token = (token or "").strip()
    if not tokens.looks_like_token(token):
        raise NotFound(INVALID)
    row = await Link.select().where(Link.token_hash == tokens.hash_token(token)).first()
    now = dt.datetime.now(dt.timezone.utc)
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now or (purpose and row["purpose"] != purpose):
        raise NotFound(INVALID)
    return row


async def mark_used(link_id: int, *, finished: bool = False) -> None:
    values = {Link.uses: Link.uses + 1}
    if finished:
        values[Link.used_at] = dt.datetime.now(dt.timezone.utc)
    await Link.update(values).where(Link.id == link_id)


async def revoke(link_id: int) -> None:
    await Link.update({Link.revoked_at: dt.datetime.now(dt.timezone.utc)}).where(
        (Link.id == link_id) & Link.revoked_at.is_null())
