"""Case list and dashboard with 100,000 cases: p50 and p95 (target: both p95 ≤ 100 ms), and how
list, dashboard and vote tally times grow from 1,000 to 10,000 to 100,000 (cases; units for the
tally), each run on a fresh demo database.

    .venv/bin/python -m benchmarks.cases            # SQLite
    .venv/bin/python -m benchmarks.cases --sizes 1000,10000   # a smaller growth run
    COUNCIL_BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m benchmarks.cases
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

from benchmarks.common import engines, report, run, scratch_database, timed

N_CASES = 100_000
TARGET_MS = 100


async def seed(n: int, start: int = 1) -> None:
    """Cases start..start+n-1 (numbered <prefix>-B-000001…, apart from the real numbering)."""
    from council import db
    from council.accounts.tables import User
    from council.cases.calendar_store import categories_for, month_key
    from council.cases.tables import Case, CaseCounter
    from council.cases.vocabulary import CHANNELS
    from council.parties.tables import Organisation
    from council.places.tables import Estate
    from council.stations.tables import Station

    rng = random.Random(7)
    station = await Station.select().first()
    categories = [c["code"] for c in await categories_for(station["id"])]
    estates = [e["id"] for e in await Estate.select(Estate.id)]
    orgs = [o["id"] for o in await Organisation.select(Organisation.id)]
    creator = (await User.select(User.id).where(User.username == "secretary").first())["id"]
    states = {"proposal": ["propose", "discuss", "act", "fund", "decide", "evaluate", "closed", "rejected"],
              "request": ["registered", "dispatched", "handling", "reported", "closed", "rated"]}
    now = dt.datetime.now(dt.timezone.utc)
    words = "电梯 停车 垃圾 噪音 漏水 路灯 绿化 门禁 楼道 健身器材 充电桩 排水 外墙 消防通道".split()
    batch = []
    async with db.write():
        for i in range(start, start + n):
            kind = "request" if rng.random() < 0.7 else "proposal"
            state = rng.choice(states[kind])
            created = now - dt.timedelta(days=rng.uniform(0, 730))
            closed = created + dt.timedelta(days=rng.uniform(1, 30)) if state in ("closed", "rated", "rejected") else None
            batch.append(Case(
                station=station["id"], community=station["community"], number=f"{station['case_prefix']}-B-{i:06d}",
                kind=kind, title=f"{rng.choice(words)}问题 {i}", description="居民反映" + rng.choice(words),
                category=rng.choice(categories), channel=rng.choice(CHANNELS)[0], estate=rng.choice(estates),
                state=state, organisation=rng.choice(orgs) if kind == "request" and state != "registered" else None,
                limit_days=5 if kind == "request" else None,
                due_date=(created + dt.timedelta(days=7)).date() if kind == "request" else None,
                created_by=creator, created_at=created, updated_at=closed or created, closed_at=closed,
                created_month=month_key(created), closed_month=month_key(closed) if closed else None,
                close_minutes=int((closed - created).total_seconds() // 60) if closed else None,
            ))
            if len(batch) == 1000:
                await Case.insert(*batch)
                batch = []
        if batch:
            await Case.insert(*batch)
        # The demo has already registered cases this year (its counter exists): the benchmark's
        # numbers are apart from the real ones, so the counter is left as it is, or started.
        if not await CaseCounter.exists().where((CaseCounter.station == station["id"]) & (CaseCounter.year == now.year)):
            await CaseCounter.insert(CaseCounter(station=station["id"], year=now.year, last=0))
    if not db.is_sqlite():
        # What autovacuum does after a bulk load: statistics plus the visibility map that lets
        # the dashboard's counts be answered from the indexes alone.
        await db.engine().run_ddl('VACUUM ANALYZE "case_file"')
    else:
        await db.engine().run_ddl("ANALYZE")


async def bench(engine_name: str) -> bool:
    async with scratch_database(engine_name):
        from council.accounts.services import principal_for_user
        from council.accounts.tables import User
        from council.cases.queries import CaseFilter, dashboard, list_cases

        started = time.perf_counter()
        await seed(N_CASES)
        print(f"[{engine_name}] seeded {N_CASES:,} cases in {time.perf_counter() - started:.1f} s")
        user = await User.select().where(User.username == "secretary").first()
        sec = await principal_for_user(user, via="session")
        station = next(iter(sec.station_ids))
        filters = [
            CaseFilter(), CaseFilter(state="handling"), CaseFilter(kind="proposal", category="facilities"),
            CaseFilter(overdue=True), CaseFilter(q="漏水"), CaseFilter(channel="hotline_12345", page=40),
            CaseFilter(q="B-0999"), CaseFilter(estate=1, state="closed", page=3),
        ]
        i = 0

        async def one_list():
            nonlocal i
            i += 1
            await list_cases(sec, filters[i % len(filters)])

        ok = report(f"[{engine_name}] filtered case list", await timed(one_list, 240), TARGET_MS)
        if "-v" in sys.argv:
            for f in filters:
                report(f"    {f}"[:44], await timed(lambda: list_cases(sec, f), 20))
        ok &= report(f"[{engine_name}] station dashboard", await timed(lambda: dashboard(sec, station), 60), TARGET_MS)
        return ok


async def growth(engine_name: str, sizes: list[int]) -> None:
    """p50/p95 of the case list (the same filters as above) and the dashboard as the table grows."""
    async with scratch_database(engine_name):
        from council.accounts.services import principal_for_user
        from council.accounts.tables import User
        from council.cases.queries import CaseFilter, dashboard, list_cases

        from council.cases import street
        from council.cases.calendar_store import today

        user = await User.select().where(User.username == "secretary").first()
        sec = await principal_for_user(user, via="session")
        station = next(iter(sec.station_ids))
        today_ = today()
        year_ago = today_ - dt.timedelta(days=364)
        filters = [CaseFilter(), CaseFilter(state="handling"), CaseFilter(overdue=True), CaseFilter(q="漏水"),
                   CaseFilter(channel="hotline_12345", page=3)]
        have = 0
        for size in sizes:
            await seed(size - have, start=have + 1)
            have = size
            i = 0

            async def one_list():
                nonlocal i
                i += 1
                await list_cases(sec, filters[i % len(filters)])

            report(f"[{engine_name}] list, {size:,} cases", await timed(one_list, 60))
            report(f"[{engine_name}] dashboard, {size:,} cases", await timed(lambda: dashboard(sec, station), 20))
            # The page's lower half: funnel and tables over the last 365 days (half the seeded cases).
            report(f"[{engine_name}] dashboard figures, {size:,} cases",
                   await timed(lambda: street.figures(sec, station, year_ago, today_, {}), 10))


def tally_growth(sizes: list[int]) -> None:
    from benchmarks import votes

    for size in sizes:
        votes.UNITS, votes.BALLOTS = size, size * 4 // 5
        votes.tally_bench(label=f"{size:,} units / {votes.BALLOTS:,} ballots")


async def main() -> None:
    sizes = None
    if "--sizes" in sys.argv:
        sizes = [int(x) for x in sys.argv[sys.argv.index("--sizes") + 1].split(",")]
    for engine_name in engines():
        if sizes is None:
            await bench(engine_name)
        await growth(engine_name, sizes or [1_000, 10_000, 100_000])
    tally_growth(sizes or [1_000, 10_000, 100_000])


if __name__ == "__main__":
    run(main)
