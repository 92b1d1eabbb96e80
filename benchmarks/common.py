"""Benchmark plumbing: a throwaway database (SQLite file, or a new PostgreSQL database when
COUNCIL_BENCH_PG_DSN names a server), timing and percentile printing."""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return p50, p95


def report(label: str, samples_ms: list[float], target_ms: float | None = None) -> bool:
    p50, p95 = percentiles(samples_ms)
    verdict = ""
    ok = True
    if target_ms is not None:
        ok = p95 <= target_ms
        verdict = f"  target p95 ≤ {target_ms:.0f} ms: {'met' if ok else 'MISSED'}"
    print(f"{label:<44} n={len(samples_ms):<5} p50={p50:8.2f} ms  p95={p95:8.2f} ms{verdict}")
    return ok


async def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


@asynccontextmanager
async def scratch_database(engine_name: str, keep: bool = False):
    """Point COUNCIL_DATABASE_URL at a fresh database, migrated, with the demo data (dropped after,
    unless `keep`)."""
    tmp = Path(tempfile.mkdtemp(prefix="council-bench-"))
    os.environ["COUNCIL_DATA_DIR"] = str(tmp)
    dropper = None
    if engine_name == "postgres":
        import asyncpg

        admin = os.environ["COUNCIL_BENCH_PG_DSN"]
        name = f"council_bench_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        os.environ["COUNCIL_DATABASE_URL"] = admin.rsplit("/", 1)[0] + "/" + name

        async def dropper():
            c = await asyncpg.connect(admin)
            await c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await c.close()
    else:
        os.environ["COUNCIL_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.db'}"
    from council import db
    from council.demo import load_demo
    from council.settings import load_settings

    settings = load_settings()
    db.configure(settings.database_url)
    await db.start()
    await load_demo(settings=settings)
    try:
        yield settings
    finally:
        await db.stop()
        if dropper and not keep:
            await dropper()


def engines() -> list[str]:
    """SQLite, and PostgreSQL when COUNCIL_BENCH_PG_DSN is set; COUNCIL_BENCH_ENGINES=postgres narrows it."""
    chosen = ["sqlite"]
    if os.environ.get("COUNCIL_BENCH_PG_DSN"):
        chosen.append("postgres")
    only = os.environ.get("COUNCIL_BENCH_ENGINES")
    return [e for e in chosen if not only or e in only.split(",")]


def run(main) -> None:
    asyncio.run(main())
