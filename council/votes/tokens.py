"""Voting-link tokens. Pure: no web or database imports.

token = HMAC-SHA256(server secret, "vote:voter key:salt"), base64url, 32 characters (192 bits: not
guessable). The database keeps only the salt and SHA-256(token): a stolen copy of the database
cannot vote, yet the station can reprint a letter (same token) whenever it needs to; a new salt
reissues a lost letter and kills the old link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_LENGTH = 32


def new_salt() -> str:
    return secrets.token_hex(8)


def make_token(secret: str, vote_id: int, voter_key: str, salt: str) -> str:
    mac = hmac.new(secret.encode(), f"{vote_id}:{voter_key}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:TOKEN_LENGTH]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    return len(value) == TOKEN_LENGTH and all(c.isalnum() or c in "-_" for c in value)


NOTICE_MAC_LENGTH = 24  # 144 bits


def notice_key(secret: str, vote_id: int) -> str:
    """The public notice's address key: "<vote id>-<HMAC>". The id alone is guessable, the HMAC is
    not, so the notice of one vote cannot be found by counting through ids; the station hands the
    address out (posted at the estate, sent to owners)."""
    mac = hmac.new(secret.encode(), f"notice:{vote_id}".encode(), hashlib.sha256).digest()
    return f"{vote_id}-{base64.urlsafe_b64encode(mac).decode()[:NOTICE_MAC_LENGTH]}"


def notice_vote_id(secret: str, key: str) -> int | None:
    """The vote a notice key names, or None when the key is not one we made."""
    head, _sep, _mac = (key or "").partition("-")
    if not head.isdigit() or len(head) > 18:
        return None
    vote_id = int(head)
    return vote_id if hmac.compare_digest(notice_key(secret, vote_id), key) else None
