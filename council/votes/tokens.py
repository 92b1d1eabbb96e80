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
