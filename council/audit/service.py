"""Recording state changes. Call inside the same transaction as the change itself,
so a change and its audit entry are written together or not at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from council.accounts.principal import Principal
from council.audit.tables import AuditEntry


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return value


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the fields that changed, so the log says what happened, not everything."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def entry(
    actor: Principal | None,
    action: str,
    *,
    entity_type: str = "",
    entity_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    station_id: int | None = None,
    ip: str = "",
) -> dict:
    """The audit row record() writes (for a caller that writes it as part of a statement of its
    own: council.cases.numbering)."""
    return dict(
        at=dt.datetime.now(dt.timezone.utc),
        actor=actor.user_id if actor and actor.user_id else None,
        actor_label=actor.label if actor else "",
        station=station_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=jsonable(before),
        after=jsonable(after),
        ip=ip[:45],
    )


async def record(actor: Principal | None, action: str, **fields: Any) -> None:
    """Write entry(actor, action, **fields) (its keywords: entity_type, entity_id, before, after,
    station_id, ip) in the caller's transaction."""
    from council import db

    await db.insert_row(AuditEntry, entry(actor, action, **fields))
