"""council.sqlite_pool's column converters give exactly the values Piccolo's own converters gave
(same type, same value) for what SQLite hands back for each declared type; they only skip work."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from piccolo.engine import sqlite as piccolo_sqlite

import council.sqlite_pool  # noqa: F401  (installs the converters)

NOW = dt.datetime(2026, 12, 3, 14, 22, 10, 305253, tzinfo=dt.timezone.utc)

CASES = {
    "INTEGER": ([0, 1, -1, 42, 2**53 + 1, -(2**62), 5.0, "7", True], piccolo_sqlite.convert_int_out),
    "BOOLEAN": ([True, False, 1, 0], piccolo_sqlite.convert_boolean_out),
    "TIMESTAMPTZ": ([NOW, NOW.replace(microsecond=0), NOW.astimezone(dt.timezone(dt.timedelta(hours=8)))],
                    piccolo_sqlite.convert_timestamptz_out),
    "TIMESTAMP": ([NOW.replace(tzinfo=None), NOW.replace(tzinfo=None, microsecond=0)],
                  piccolo_sqlite.convert_timestamp_out),
    "DATE": ([NOW.date(), dt.date(1999, 1, 31)], piccolo_sqlite.convert_date_out),
}


@pytest.mark.parametrize("declared", sorted(CASES))
def test_same_values_as_piccolos_converters(declared, tmp_path):
    values, piccolo_converter = CASES[declared]
    conn = sqlite3.connect(tmp_path / "c.db", detect_types=sqlite3.PARSE_DECLTYPES)
    try:
        conn.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, v {declared})")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(v,) for v in values])
        ours = [r[0] for r in conn.execute("SELECT v FROM t ORDER BY id")]
        stored = [r[0] for r in conn.execute("SELECT CAST(v AS TEXT) FROM t ORDER BY id")]
    finally:
        conn.close()
    theirs = [piccolo_converter(s.encode()) for s in stored]
    assert ours == theirs
    assert [type(v) for v in ours] == [type(v) for v in theirs]
