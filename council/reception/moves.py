"""Every move on one queue entry, behind one entry point the desk page and the API share: what
each action does is decided here once, the callers only read their input."""

from __future__ import annotations

from typing import Any

from council.accounts.principal import Principal
from council.reception import desk, grid

ACTIONS = ("call", "requeue", "left", "finish", "confirm", "discard")
# The moves that take nothing but the version they were drawn from.
BARE = frozenset({"call", "requeue", "left", "discard"})


async def act(principal: Principal, visit_id: int, action: str, data: dict[str, Any], ip: str = "") -> dict:
    """call / requeue / left / discard (version only), finish (the outcome fields), confirm a
    grid-group draft (topic, category, person). Returns the visit as it now is."""
    version = data.get("version")
    if action == "call":
        return await desk.call_visit(principal, visit_id, version, ip)
    if action == "requeue":
        return await desk.requeue_visit(principal, visit_id, version, ip)
    if action == "left":
        return await desk.mark_left(principal, visit_id, version, ip)
    if action == "finish":
        return await desk.finish_visit(principal, visit_id, data, ip)
    if action == "confirm":
        return await grid.confirm_draft(principal, visit_id, data, ip)
    if action == "discard":
        return await grid.discard_draft(principal, visit_id, version, ip)
    raise ValueError(action)  # callers check ACTIONS first (a 404 for an unknown action)
