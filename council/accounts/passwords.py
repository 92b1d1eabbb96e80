"""Argon2id password hashes. Hashing is deliberately slow, so it runs in a worker thread.

Strength: staff passwords (they open every resident's record) need at least 10 characters,
residents' at least 8; no password may be one of the 10,000 most common ones
(common-passwords.txt.gz: the head of Django's list, from Royce Williams' breach compilation,
BSD licence)."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 8
STAFF_MIN_LENGTH = 10
COMMON_FILE = Path(__file__).resolve().parent / "common-passwords.txt.gz"


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def check_strength(password: str, role: str | None = None) -> None:
    """Raises ValueError with a msgid. `role` None means staff rules (the stricter ones)."""
    if role != "resident":
        if len(password) < STAFF_MIN_LENGTH:
            raise ValueError("The password needs at least 10 characters.")
    elif len(password) < MIN_LENGTH:
        raise ValueError("The password needs at least 8 characters.")
    if password.strip().lower() in common_passwords():
        raise ValueError("This password is too common. Choose another.")


def hash_sync(password: str) -> str:
    return _hasher.hash(password)


def verify_sync(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (a stronger default after an
    argon2-cffi upgrade): the password is re-hashed at the next successful sign-in."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(hash_sync, password)


async def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so unknown users cannot be told apart.
        await to_thread.run_sync(hash_sync, password)
        return False
    return await to_thread.run_sync(verify_sync, password_hash, password)
