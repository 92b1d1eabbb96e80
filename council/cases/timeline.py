"""Reading a case's timeline: everything that happened to it, oldest first."""

from __future__ import annotations

from piccolo.utils.encoding import load_json

from council.accounts.principal import Principal
from council.cases.common import load_case
from council.cases.tables import CaseEvent
from council.core.prepared import prepared


async def read_timeline(principal: Principal, case_id: int) -> list[dict]:
    """The case's events in the order they happened (id breaks ties between events written in
    one transaction, which share a timestamp to the microsecond on fast machines)."""
    await load_case(principal, case_id)  # NotFound / Forbidden before anything is read
    return await case_timeline(case_id)


async def case_timeline(case_id: int) -> list[dict]:
    """read_timeline for a caller that has already loaded the case for this principal."""
    events = await _events(case_id)
    for e in events:  # what Piccolo's load_json would do, on the one JSON column
        if isinstance(e["data"], str):
            e["data"] = load_json(e["data"])
    from council.notify.timeline import case_entries  # who was told, and how (council.notify)

    return sorted(events + await case_entries(case_id), key=lambda e: e["at"])


_events = prepared(lambda case_id: CaseEvent.select(
    CaseEvent.id, CaseEvent.at, CaseEvent.kind, CaseEvent.from_state, CaseEvent.to_state, CaseEvent.text,
    CaseEvent.actor_label, CaseEvent.data,
).where(CaseEvent.case == case_id).order_by(CaseEvent.at, CaseEvent.id))
