"""Shared by the mediation use cases: loading a file for a principal (role and station checked),
optimistic updates, file numbers, and writing each change to the case timeline and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.querystring import QueryString
from piccolo.table import Table

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases.calendar_store import today  # noqa: F401  (re-exported: the station's local day)
from council.cases.common import add_event
from council.core.errors import Conflict, Forbidden, NotFound, OutOfScope
from council.mediation import policy
from council.mediation.rules import format_file_number
from council.mediation.tables import DisputeFile, MediationCommittee
from council.stations.tables import Station

STALE = "Someone else changed this after you opened it. Reload to see their changes."


def require_role(principal: Principal) -> None:
    if not policy.can_use(principal):
        raise Forbidden()


def require_station(principal: Principal, station_id: int, *, reading: bool = False) -> None:
    """The principal may open the station's files (404 otherwise) and, unless only `reading`,
    change them (403: the judicial office of the area reads and never writes)."""
    require_role(principal)
    if not policy.can_read_file(principal, station_id):
        raise OutOfScope()
    if not reading and not policy.can_change(principal):
        raise Forbidden()


async def load_file(principal: Principal, dispute_id: int, *, reading: bool = False) -> dict:
    """The dispute file with its case's state, title and version (case_*). Role first, so a
    resident learns nothing — not even whether the file exists."""
    require_role(principal)
    row = await DisputeFile.select(
        DisputeFile.all_columns(),
        DisputeFile.case.state.as_alias("state"), DisputeFile.case.title.as_alias("title"),
        DisputeFile.case.description.as_alias("description"), DisputeFile.case.version.as_alias("case_version"),
        DisputeFile.case.number.as_alias("case_number"), DisputeFile.case.created_at.as_alias("created_at"),
    ).where(DisputeFile.id == dispute_id).first()
    if row is None:
        raise NotFound()
    require_station(principal, row["station"], reading=reading)
    return row


async def update_versioned(table: type[Table], row_id: int, version: int | None, current: int,
                           values: dict[str, Any]) -> None:
    """Write `values` only if the row is still at the version the editor saw (or `current` when
    the caller gave none): two people editing one thing cannot both win."""
    expected = current if version is None else version
    if expected != current:
        raise Conflict(STALE)
    cols = {getattr(table, k): v for k, v in values.items()}
    cols[table.version] = expected + 1  # type: ignore[attr-defined]
    done = await table.update(cols).where((table.id == row_id) & (table.version == expected)).returning(table.id)  # type: ignore[attr-defined]
    if not done:
        raise Conflict(STALE)


async def history(principal: Principal, f: dict, kind: str, *, text: str = "", data: dict | None = None,
                  entity_type: str = "dispute_file", entity_id: int | None = None, before: dict | None = None,
                  after: dict | None = None, ip: str = "", from_state: str = "", to_state: str = "") -> None:
    """One change, twice recorded: on the case's timeline (what the mediator reads) and in the
    audit log (who, when, what, from → to)."""
    await add_event(principal, f["case"], f"mediation.{kind}", from_state=from_state, to_state=to_state,
                    text=text, data=data)
    b, a = audit.diff(before, after) if before is not None and after is not None else (before, after)
    await audit.record(principal, f"mediation.{kind}", entity_type=entity_type,
                       entity_id=entity_id if entity_id is not None else f["id"], before=b,
                       after={**(a or {}), **({"text": text} if text else {})} or None,
                       station_id=f["station"], ip=ip)


# ---------------------------------------------------------------- committees and numbers

NEXT_SQL = (
    'INSERT INTO "mediation_counter" ("committee", "year", "last") VALUES ({}, {}, 1) '
    'ON CONFLICT ("committee", "year") DO UPDATE SET "last" = "mediation_counter"."last" + 1 '
    'RETURNING "last"'
)


def default_abbreviation(community_name: str) -> str:
    """振兴路社区 → 振兴路: the committee is named after its community."""
    name = community_name.strip()
    for suffix in ("社区居民委员会", "居民委员会", "社区", "村民委员会", "村"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)][:20]
    return name[:20] or "社区"


async def committee_for(station_id: int) -> dict:
    """The station's committee; a station without one gets it named after its community."""
    row = await MediationCommittee.select().where(MediationCommittee.station == station_id).first()
    if row:
        return row
    station = await Station.select(Station.community.name.as_alias("community_name")).where(Station.id == station_id).first()
    if station is None:
        raise NotFound()
    community = station["community_name"] or ""
    abbreviation = default_abbreviation(community)
    await db.engine().run_querystring(QueryString(
        'INSERT INTO "mediation_committee" ("station", "name", "abbreviation", "version") VALUES ({}, {}, {}, 1) '
        'ON CONFLICT ("station") DO NOTHING', station_id, f"{community}人民调解委员会", abbreviation))
    return await MediationCommittee.select().where(MediationCommittee.station == station_id).first()


async def next_file_number(committee: dict, year: int) -> tuple[str, int]:
    """Call inside the registering transaction: a failed registration gives its number back, and
    concurrent registrations serialise on the counter row (one atomic statement, both engines)."""
    rows = await db.engine().run_querystring(QueryString(NEXT_SQL, committee["id"], year))
    seq = rows[0]["last"]
    return format_file_number(committee["abbreviation"], year, seq), seq


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
