"""Reading a case's timeline: everything that happened to it, oldest first."""

from __future__ import annotations

from council.accounts.principal import Principal
from council.cases.common import load_case
from council.cases.tables import CaseEvent


async def read_timeline(principal: Principal, case_id: int) -> list[dict]:
    """The case's events in the order they happened (id breaks ties between events written in
    one transaction, which share a timestamp to the microsecond on fast machines)."""
    await load_case(principal, case_id)  # NotFound / Forbidden before anything is read
    events = await CaseEvent.select(
        CaseEvent.id, CaseEvent.at, CaseEvent.kind, CaseEvent.from_state, CaseEvent.to_state, CaseEvent.text,
        CaseEvent.actor_label, CaseEvent.data,
    ).where(CaseEvent.case == case_id).order_by(CaseEvent.at, CaseEvent.id).output(load_json=True)
    from council.notify.timeline import case_entries  # who was told, and how (council.notify)

    return sorted(events + await case_entries(case_id), key=lambda e: e["at"])
