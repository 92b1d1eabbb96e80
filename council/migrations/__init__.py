"""Schema migrations, applied in order by `council migrate`.

Each module named mNNNN_*.py has an ID and a `statements(engine_type)` function returning the
SQL for "sqlite" or "postgres". A migration runs in one transaction and is recorded in
council_migration; the app refuses to start while any is pending.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from council import db

LEDGER_DDL = (
    'CREATE TABLE IF NOT EXISTS "council_migration" '
    '("id" VARCHAR(100) PRIMARY KEY NOT NULL, "applied_at" VARCHAR(40) NOT NULL)'
)


def all_migrations() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("m"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def _engine_type() -> str:
    return "sqlite" if db.is_sqlite() else "postgres"


async def applied_ids() -> set[str]:
    await db.engine().run_ddl(LEDGER_DDL)
    rows = await db.engine().run_ddl('SELECT "id" FROM "council_migration"')
    return {row["id"] for row in rows}


async def pending() -> list[ModuleType]:
    done = await applied_ids()
    return [m for m in all_migrations() if m.ID not in done]


async def migrate() -> list[str]:
    """Apply every pending migration; returns the IDs applied."""
    from datetime import datetime, timezone

    from piccolo.querystring import QueryString

    applied = []
    for migration in await pending():
        async with db.write():
            for sql in migration.statements(_engine_type()):
                await db.engine().run_ddl(sql)
            await db.engine().run_querystring(
                QueryString(
                    'INSERT INTO "council_migration" ("id", "applied_at") VALUES ({}, {})',
                    migration.ID,
                    datetime.now(timezone.utc).isoformat(),
                )
            )
        applied.append(migration.ID)
    return applied
