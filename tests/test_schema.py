"""The Piccolo table classes match the schema the migrations build, on the engine under test.

The migrations are hand-written SQL and the table classes are Python: nothing else ties them. A
column added to a class but not to a migration fails only when a query first touches it, in
production; a table made by a migration but missing from ALL_TABLES is left out of every
check and of the backup's table list. This compares both ways: tables, column names, and whether
each column may be NULL.
"""

from __future__ import annotations

from council import db
from council.tables import ALL_TABLES

LEDGER = {"council_migration"}


async def _schema() -> dict[str, dict[str, bool]]:
    """table -> {column: nullable} as migrated."""
    out: dict[str, dict[str, bool]] = {}
    if db.is_sqlite():
        tables = await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for t in tables:
            cols = await db.raw(f'PRAGMA table_info("{t["name"]}")')
            # SQLite reports an INTEGER PRIMARY KEY as nullable; it never is.
            out[t["name"]] = {c["name"]: not (c["notnull"] or c["pk"]) for c in cols}
    else:
        rows = await db.raw("SELECT table_name, column_name, is_nullable FROM information_schema.columns "
                            "WHERE table_schema = current_schema()")
        for r in rows:
            out.setdefault(r["table_name"], {})[r["column_name"]] = r["is_nullable"] == "YES"
    return out


def _declared() -> dict[str, dict[str, bool]]:
    out = {}
    for table in ALL_TABLES:
        cols = {}
        for col in table._meta.columns:
            cols[col._meta.db_column_name] = bool(col._meta.null) and not col._meta.primary_key
        out[table._meta.tablename] = cols
    return out


async def test_every_table_class_matches_the_migrated_schema(database):
    schema = await _schema()
    declared = _declared()
    assert set(schema) - LEDGER == set(declared), (
        f"migrated but not in ALL_TABLES: {sorted(set(schema) - LEDGER - set(declared))}; "
        f"declared but never migrated: {sorted(set(declared) - set(schema))}")
    problems = []
    for name, cols in declared.items():
        migrated = schema[name]
        if set(cols) != set(migrated):
            problems.append(f"{name}: only in the class {sorted(set(cols) - set(migrated))}, "
                            f"only in the database {sorted(set(migrated) - set(cols))}")
            continue
        for col, nullable in cols.items():
            if nullable != migrated[col]:
                problems.append(f"{name}.{col}: the class says null={nullable}, the database {migrated[col]}")
    assert not problems, "\n".join(problems)
