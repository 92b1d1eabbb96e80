"""People's mediation: registering a dispute (counter, case, file, audit in one transaction), one
file's page data, the committee's year of statistics over 1,000 files, and the list of judicial
confirmation windows.

    .venv/bin/python -m benchmarks.mediation            # SQLite
    COUNCIL_BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m benchmarks.mediation
"""

from __future__ import annotations

import datetime as dt
import random
import time

from benchmarks.common import engines, report, run, scratch_database, timed

FILES = 1_000
SETTLED = 150
REGISTER_TARGET_MS = 100
DETAIL_TARGET_MS = 100
STATS_TARGET_MS = 500
WINDOWS_TARGET_MS = 200


async def bench(engine: str) -> bool:
    async with scratch_database(engine):
        from council.accounts.principal import SYSTEM
        from council.accounts.tables import User
        from council.cases.calendar_store import today
        from council.mediation import agreements, files, queries
        from council.mediation.vocabulary import CATEGORIES
        from council.stations.tables import Station

        station = (await Station.select(Station.id).first())["id"]
        mediator = (await User.select(User.id).where(User.username == "mediator").first())["id"]
        rng = random.Random(5)
        cats = [c for c, _ in CATEGORIES]
        register_ms, ids = [], []
        for i in range(FILES):
            start = time.perf_counter()
            made = await files.register_dispute(SYSTEM, {"station": station, "title": f"基准纠纷 {i}",
                                                         "category": rng.choice(cats), "source": "applied"})
            register_ms.append((time.perf_counter() - start) * 1000)
            ids.append(made["id"])
        t = today().isoformat()
        for fid in ids[:SETTLED]:  # the whole flow for some, so statistics have agreements and terms
            a = await files.add_party(SYSTEM, fid, {"role": "applicant", "name": "甲"})
            b = await files.add_party(SYSTEM, fid, {"role": "respondent", "name": "乙"})
            await files.assign_mediator(SYSTEM, fid, {"user": mediator})
            await files.move(SYSTEM, fid, {"move": "seek_consent"})
            for p in (a, b):
                await files.record_consent(SYSTEM, fid, p, {"consent": "given"})
                await files.record_notice(SYSTEM, fid, p, {"notice_given_on": t, "notice_ack_on": t})
            await files.move(SYSTEM, fid, {"move": "start"})
            await agreements.save_agreement(SYSTEM, fid, {"facts": "事实", "matters": "争议", "responsibilities": "责任"})
            await agreements.add_obligation(SYSTEM, fid, {"party": b, "what": "赔偿", "amount": "1000",
                                                          "due_date": (today() + dt.timedelta(days=10)).isoformat()})
            for who in (f"party:{a}", f"party:{b}", "mediator", "seal"):
                await agreements.sign(SYSTEM, fid, {"who": who, "signed_on": t})
            await files.move(SYSTEM, fid, {"move": "settle"})
        ok = report("register a dispute (case + file + audit)", register_ms, REGISTER_TARGET_MS)
        ok &= report("one file's page data (settled file)",
                     await timed(lambda: queries.file_detail(SYSTEM, ids[0]), 50), DETAIL_TARGET_MS)
        year = today().replace(month=1, day=1)
        ok &= report(f"statistics, {FILES} files / {SETTLED} agreements",
                     await timed(lambda: queries.statistics(SYSTEM, station=station, start=year, end=today()), 20),
                     STATS_TARGET_MS)
        ok &= report("judicial confirmation windows",
                     await timed(lambda: queries.closing_windows(SYSTEM, station), 20), WINDOWS_TARGET_MS)
        return ok


async def main() -> None:
    for engine in engines():
        print(f"-- {engine}")
        await bench(engine)


if __name__ == "__main__":
    run(main)
