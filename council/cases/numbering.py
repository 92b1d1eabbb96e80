"""Case numbers: PREFIX-YEAR-SEQUENCE, e.g. ZXL-2026-0015, counted per station and year."""

from __future__ import annotations

import uuid

from piccolo.querystring import QueryString

from council import db

# One atomic statement on both engines: the first case of a year creates the counter, every
# later one increments it; concurrent intakes serialise on the counter row.
NEXT_SQL = (
    'INSERT INTO "case_counter" ("station", "year", "last") VALUES ({}, {}, 1) '
    'ON CONFLICT ("station", "year") DO UPDATE SET "last" = "case_counter"."last" + 1 '
    'RETURNING "last"'
)


def format_number(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}-{year}-{sequence:04d}"


async def next_number(station_id: int, prefix: str, year: int) -> str:
    """Call inside the intake's write transaction, so a failed intake gives its number back."""
    rows = await db.engine().run_querystring(QueryString(NEXT_SQL, station_id, year))
    return format_number(prefix, year, rows[0]["last"])


# On PostgreSQL the number is drawn, set on the case and written into the intake's audit entry in
# one statement: from the counter's increment the row stays locked until the intake commits, and
# under load every further round trip inside that window (each waiting its turn on a busy event
# loop) is time every other intake at the station waits too — one statement and the COMMIT now.
# The number is formatted as format_number does (at least four digits). The audit entry's JSON
# carries the case's provisional number, unique to this intake, which the statement replaces
# with the number as a JSON string (the column is json: the rest of the text is kept as dumped).
_NUMBER_PG = (
    'WITH n AS (' + NEXT_SQL + '), c AS (UPDATE "case_file" SET "number" = {} || \'-\' || ({}::integer)::text || '
    '\'-\' || lpad(n."last"::text, greatest(4, length(n."last"::text)), \'0\') FROM n WHERE "case_file"."id" = {} '
    'RETURNING "case_file"."number") '
    'INSERT INTO "audit_entry" ("at", "actor", "actor_label", "station", "action", "entity_type", "entity_id", '
    '"before", "after", "ip") SELECT {}::timestamptz, {}::integer, {}::text, {}::integer, {}::text, {}::text, '
    '{}::integer, {}::json, replace({}::text, {}::text, to_json(c."number")::text)::json, {}::text FROM c '
    'RETURNING (SELECT "number" FROM c) AS "number"'
)


def provisional_number() -> str:
    """What a case row carries between its insert and number_case, inside the intake's
    transaction (so nobody else ever sees it): unique, and never a real number."""
    return "~" + uuid.uuid4().hex


async def number_case(case_id: int, station_id: int, prefix: str, year: int, provisional: str,
                      audit_entry: dict) -> str:
    """Draw the next number of the station's year, set it on the case (inserted with
    `provisional`) and write the intake's audit entry (council.audit.service.entry, whose `after`
    names the number as `provisional`) with the number in it — last of the intake's writes: a
    failed intake gives its number back with its rollback."""
    from piccolo.utils.encoding import dump_json

    from council.audit.tables import AuditEntry

    after = audit_entry["after"]
    if db.is_sqlite():  # one writer at a time: no one waits on the counter row
        number = await next_number(station_id, prefix, year)
        await db.fetch('UPDATE "case_file" SET "number" = {} WHERE "id" = {}', number, case_id)
        await db.insert_row(AuditEntry, {**audit_entry, "after": {
            k: number if k == "number" and v == provisional else v for k, v in after.items()}})
        return number
    e = audit_entry
    before = dump_json(e["before"]) if e["before"] is not None else None
    rows = await db.fetch(_NUMBER_PG, station_id, year, prefix, year, case_id, e["at"], e["actor"], e["actor_label"],
                          e["station"], e["action"], e["entity_type"], e["entity_id"], before, dump_json(after),
                          dump_json(provisional), e["ip"])
    return rows[0]["number"]
