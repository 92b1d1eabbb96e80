"""Case numbers: PREFIX-YEAR-SEQUENCE, e.g. ZXL-2026-0015, counted per station and year."""

from __future__ import annotations

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
