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


# On PostgreSQL the number is drawn and set on the case in one statement: from the counter's
# increment the row stays locked until the intake commits, and under load every further round
# trip inside that window (each waiting its turn on a busy event loop) is time every other intake
# at the station waits too. The number is formatted as format_number does (at least four digits).
_NUMBER_PG = (
    'WITH n AS (' + NEXT_SQL + ') UPDATE "case_file" SET "number" = {} || \'-\' || ({}::integer)::text || \'-\' || '
    'lpad(n."last"::text, greatest(4, length(n."last"::text)), \'0\') FROM n WHERE "case_file"."id" = {} '
    'RETURNING "case_file"."number"'
)


def provisional_number() -> str:
    """What a case row carries between its insert and number_case, inside the intake's
    transaction (so nobody else ever sees it): unique, and never a real number."""
    return "~" + uuid.uuid4().hex


async def number_case(case_id: int, station_id: int, prefix: str, year: int) -> str:
    """Draw the next number of the station's year and set it on the case, last of the intake's
    writes but its audit entry: a failed intake gives its number back with its rollback."""
    if db.is_sqlite():  # one writer at a time: no one waits on the counter row
        number = await next_number(station_id, prefix, year)
        await db.fetch('UPDATE "case_file" SET "number" = {} WHERE "id" = {}', number, case_id)
        return number
    return (await db.fetch(_NUMBER_PG, station_id, year, prefix, year, case_id))[0]["number"]
