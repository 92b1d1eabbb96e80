"""The read side of the audit log: filtered, paginated, newest first, and scoped.

Admins read every entry. Secretaries read the entries of their own stations only; an entry
without a station (user administration, sign-ins, community-wide register changes) is for
admins alone, because nothing says which station it belongs to. Phone and ID numbers that a
change recorded are masked here, so neither the page nor the API shows them in full.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from council import db
from council.accounts import permissions
from council.accounts.principal import Principal
from council.audit.tables import AuditEntry
from council.core.errors import Forbidden, Invalid, NotFound, OutOfScope
from council.core.localtime import LOCAL
from council.privacy import mask_id_number, mask_phone

PER_PAGE = 50
# Dates in filters and times on screen are the stations' local time (China has one zone, no DST).


@dataclass
class AuditFilter:
    action: str = ""  # a prefix: "unit." or "user.login"
    entity_type: str = ""
    entity_id: int | None = None
    actor: str = ""  # a username, or part of the name recorded at the time
    date_from: dt.date | None = None  # local dates, both ends included
    date_to: dt.date | None = None
    station: int | None = None


def require_read(principal: Principal) -> None:
    if not permissions.can_read(principal.role, "audit"):
        raise Forbidden()


def parse_filter(params: Any) -> AuditFilter:
    """From query parameters (a mapping of strings). Bad values are refused, not ignored,
    so a reader never takes an unfiltered list for a filtered one."""

    def text(name: str, limit: int) -> str:
        return (params.get(name) or "").strip()[:limit]

    def number(name: str) -> int | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise Invalid("Enter a whole number.", field=name)
        return int(raw)

    def date(name: str) -> dt.date | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise Invalid("Enter a date as YYYY-MM-DD.", field=name) from None

    f = AuditFilter(
        action=text("action", 60).lower(), entity_type=text("entity_type", 40), entity_id=number("entity_id"),
        actor=text("actor", 100), date_from=date("date_from"), date_to=date("date_to"), station=number("station"),
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise Invalid("The start date is after the end date.", field="date_to")
    return f


def _local_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL).astimezone(dt.timezone.utc)


def _contains(column, term: str):
    # The reader's text is literal: "%" or "_" never widen the match (council.db).
    return db.contains(column, term)


def _clauses(principal: Principal, f: AuditFilter) -> list:
    clauses = []
    if not principal.is_admin:
        # Entries without a station are admin-only: is_in never matches NULL.
        clauses.append(AuditEntry.station.is_in(sorted(principal.station_ids) or [-1]))
    if f.station is not None:
        if not principal.sees_station(f.station):
            raise OutOfScope()
        clauses.append(AuditEntry.station == f.station)
    if f.action:
        # A prefix match: "unit." finds every change to units.
        clauses.append(db.starts_with(AuditEntry.action, f.action))
    if f.entity_type:
        clauses.append(AuditEntry.entity_type == f.entity_type)
    if f.entity_id is not None:
        clauses.append(AuditEntry.entity_id == f.entity_id)
    if f.actor:
        clauses.append((AuditEntry.actor.username == f.actor)
                       | _contains(AuditEntry.actor_label, f.actor))
    if f.date_from:
        clauses.append(AuditEntry.at >= _local_midnight_utc(f.date_from))
    if f.date_to:
        clauses.append(AuditEntry.at < _local_midnight_utc(f.date_to + dt.timedelta(days=1)))
    return clauses


def _columns() -> list:
    return [
        *AuditEntry.all_columns(),
        AuditEntry.actor.username.as_alias("actor_username"),
        AuditEntry.station.name.as_alias("station_name"),
    ]


async def list_entries(
    principal: Principal, f: AuditFilter | None = None, *, page: int = 1, per_page: int = PER_PAGE,
) -> tuple[list[dict], int]:
    require_read(principal)
    f = f or AuditFilter()
    query = AuditEntry.select(*_columns()).output(load_json=True)
    count = AuditEntry.count()
    for c in _clauses(principal, f):
        query = query.where(c)
        count = count.where(c)
    page = max(page, 1)
    rows = await (
        query.order_by(AuditEntry.at, ascending=False).order_by(AuditEntry.id, ascending=False)
        .limit(per_page).offset(db.page_offset(page, per_page))
    )
    return [_prepare(r) for r in rows], await count


async def get_entry(principal: Principal, entry_id: int) -> dict:
    require_read(principal)
    row = await AuditEntry.select(*_columns()).where(AuditEntry.id == entry_id).output(load_json=True).first()
    if row is None:
        raise NotFound()
    if not principal.sees_station(row["station"]):
        raise OutOfScope()
    return _prepare(row)


async def stations_for_filter(principal: Principal) -> list[tuple[int, str]]:
    """The stations a reader may filter by: all for admins, their own for secretaries."""
    from council.stations.tables import Station

    query = Station.select(Station.id, Station.name).order_by(Station.name)
    if not principal.is_admin:
        query = query.where(Station.id.is_in(sorted(principal.station_ids) or [-1]))
    return [(r["id"], r["name"]) for r in await query]


# ---------------------------------------------------------------- presenting an entry

def _pii_masks(entity_type: str) -> dict[str, Any]:
    """Which recorded fields hold personal data, from the register that wrote them."""
    from council.core.registry import REGISTERS

    masks = {}
    for reg in REGISTERS.values():
        if reg.key == entity_type:
            for f in reg.fields:
                if f.kind == "phone":
                    masks[f.name] = mask_phone
                elif f.kind == "id_number":
                    masks[f.name] = mask_id_number
    return masks


def _loaded(value: Any) -> Any:
    # JSON columns come back decoded with load_json=True; a plain string that still looks like
    # JSON (an older driver path) is decoded here so the diff always sees dicts.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _masked(value: Any, masks: dict) -> Any:
    if isinstance(value, dict):
        return {k: (masks[k](v) if k in masks and isinstance(v, str) else v) for k, v in value.items()}
    return value


def _prepare(row: dict) -> dict:
    masks = _pii_masks(row["entity_type"])
    row["before"] = _masked(_loaded(row["before"]), masks)
    row["after"] = _masked(_loaded(row["after"]), masks)
    at = row["at"]
    if at.tzinfo is None:  # SQLite hands some drivers naive UTC values
        at = at.replace(tzinfo=dt.timezone.utc)
    row["at"] = at
    row["at_local"] = at.astimezone(LOCAL)
    row["changes"] = changes(row["before"], row["after"])
    return row


def show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) per field, in the order the change recorded them: a compact diff."""
    b = before if isinstance(before, dict) else ({} if before is None else {"": before})
    a = after if isinstance(after, dict) else ({} if after is None else {"": after})
    keys = list(dict.fromkeys([*b.keys(), *a.keys()]))
    return [(k, show(b.get(k)), show(a.get(k))) for k in keys]
