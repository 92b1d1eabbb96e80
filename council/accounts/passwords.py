"""Argon2id password hashes. Hashing is deliberately slow, so it runs in a worker thread."""

from __future__ import annotations

from anyio import to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 8


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError("The password needs at least 8 characters.")


def hash_sync(password: str) -> str:
    return _hasher.hash(password)


def verify_sync(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(hash_sync, password)


async def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so unknown users cannot be told apart.
        await to_thread.run_sync(hash_sync, password)
        return False
    return await to_thread.run_sync(verify_sync, password_hash, password)
