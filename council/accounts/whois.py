"""Who is asking, resolved once per request without asking the database three times.

Every request still reads its session (or token) joined to the user's row — one indexed
statement, so signing out, a deleted session, a revoked token or a deactivated account take
effect on the very next request, in every server process. What that row does not hold — the
stations a user serves and their communities, a resident's community — is kept here, keyed by
the user's row itself: its `version` changes whenever an admin changes the user's role or
stations (services.update_user), and any other change to the row (name, locale, the active flag)
changes the key too, so a changed user is never served from a stale entry. Only what lives in
other tables (a station moved to another community, a resident's record moved) can be stale, for
at most TTL seconds.
"""

from __future__ import annotations

import time

from council.accounts.principal import Principal

TTL = 5.0  # seconds: the longest a station's or a resident record's move takes to be seen
MAX_ENTRIES = 5000

_KEY_COLUMNS = ("id", "version", "username", "display_name", "role", "organisation", "person", "locale", "is_active",
                "area_street", "area_district")
_cache: dict[tuple, tuple[float, Principal]] = {}


async def principal_of(user: dict, via: str) -> Principal:
    from council.accounts.services import principal_for_user

    key = (via, *(user[c] for c in _KEY_COLUMNS))
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < TTL:
        return hit[1]
    principal = await principal_for_user(user, via=via)
    if len(_cache) >= MAX_ENTRIES:
        _cache.clear()  # crude but bounded: entries are cheap to rebuild
    _cache[key] = (now, principal)
    return principal


def forget(user_id: int | None = None) -> None:
    """Drop cached principals (of one user, or all): this process sees the change at once."""
    if user_id is None:
        _cache.clear()
        return
    for key in [k for k in _cache if k[1] == user_id]:
        _cache.pop(key, None)
