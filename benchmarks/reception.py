"""The reception desk, which must be the fastest thing in Council: on a reception day with ~80
visits, p50 and p95 of

  - loading the desk page (GET /reception: the queue, the form, the day's counts),
  - finding a visitor as the secretary types (GET /reception/visitors?q=…),
  - logging a visit (POST /reception/visits, form as the page sends it; half finished on the
    spot with an answer, half into the queue),

through the whole app (session, CSRF, middleware, templates) in process, signed in as the
secretary. Targets: p95 ≤ 50 ms for the page and for logging a visit, ≤ 30 ms for the search —
half of the case list's 100 ms.

    .venv/bin/python -m benchmarks.reception            # SQLite
    COUNCIL_BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m benchmarks.reception
    COUNCIL_BENCH_ENGINES=postgres …                     # one engine only
"""

from __future__ import annotations

import itertools
import logging
import random
import time

from benchmarks.common import engines, report, run, scratch_database, timed

DAY_VISITS = 80
PAGE_TARGET_MS = 50
SEARCH_TARGET_MS = 30
LOG_TARGET_MS = 50
PAGE_SAMPLES = 200
SEARCH_SAMPLES = 200
LOG_SAMPLES = 120
PASSWORD = "council-demo"


async def seed_day(n: int) -> tuple[int, dict]:
    """`n` visits today at the demo station, through the desk's use cases, ended the way a real
    day ends: most answered on the spot, some cases (requests dispatched, disputes handed to the
    mediator), news on a case, some still waiting or called, a few who left."""
    from council.accounts.services import principal_for_user
    from council.accounts.tables import User
    from council.parties.tables import Organisation
    from council.people.tables import Person
    from council.reception import desk

    rng = random.Random(11)
    sec = await principal_for_user(await User.select().where(User.username == "secretary").first(), via="session")
    station = min(sec.station_ids)
    community = sorted(sec.community_ids)[0]
    people = [p["id"] for p in await Person.select(Person.id).where(Person.community == community).limit(200)]
    org = (await Organisation.select(Organisation.id).where(Organisation.kind == "property_manager").first())["id"]
    mediator = (await User.select(User.id).where(User.username == "mediator").first())["id"]
    topics = "电梯故障 楼道灯不亮 高龄津贴 停车难 噪音扰民 垃圾清运 漏水 充电桩 低保申请 健身器材".split()
    request_case = None
    for i in range(n):
        base = {"station": station, "topic": f"{rng.choice(topics)}（{i + 1}）", "category": "property",
                **({"person": rng.choice(people)} if rng.random() < 0.7 else {"new_name": f"访客{i + 1}"})}
        roll = rng.random()
        if roll < 0.40:
            extra = {"outcome": "answered", "answer": "已当场解答。"}
        elif roll < 0.52 or request_case is None:
            extra = {"outcome": "case", "case_kind": "request", "organisation": org, "contact_consent": True}
        elif roll < 0.57:
            extra = {"outcome": "case", "case_kind": "dispute", "mediator": mediator, "category": "neighbours",
                     "contact_consent": True}
        elif roll < 0.67:
            extra = {"outcome": "news", "case": request_case, "answer": "物业已接单。"}
        else:
            extra = {}
        v = await desk.log_visit(sec, {**base, **extra})
        if extra.get("case_kind") == "request":
            request_case = v["case"]
        if not extra and roll > 0.95:
            await desk.mark_left(sec, v["id"], v["version"])
        elif not extra and roll > 0.85:
            await desk.call_visit(sec, v["id"], v["version"])
    return station, {"people": people}


async def bench(engine_name: str) -> bool:
    from litestar.testing import AsyncTestClient

    async with scratch_database(engine_name) as settings:
        from council.app import create_app
        from council.reception.tables import Visit

        started = time.perf_counter()
        station, _ = await seed_day(DAY_VISITS)
        from council.cases.calendar_store import today

        on_day = await Visit.count().where((Visit.station == station) & (Visit.day == today()))
        print(f"[{engine_name}] seeded a day of {on_day} visits in {time.perf_counter() - started:.1f} s")

        async with AsyncTestClient(app=create_app(settings)) as client:
            await client.get("/login")
            r = await client.post("/login", data={"username": "secretary", "password": PASSWORD, "next": "/",
                                                  "_csrf_token": client.cookies.get("csrftoken")},
                                  follow_redirects=False)
            assert r.status_code == 303, r.status_code

            async def desk_page():
                r = await client.get(f"/reception?station={station}")
                assert r.status_code == 200, r.status_code

            for _ in range(5):  # templates compiled, connections warm
                await desk_page()
            ok = report(f"[{engine_name}] desk page, {on_day} visits", await timed(desk_page, PAGE_SAMPLES),
                        PAGE_TARGET_MS)

            queries = itertools.cycle(["刘", "王秀", "3-1502", "5678", "1234", "张桂兰", "1-101", "李"])

            async def search():
                r = await client.get(f"/reception/visitors?station={station}&q={next(queries)}")
                assert r.status_code == 200, r.status_code

            ok &= report(f"[{engine_name}] find a visitor (as typed)", await timed(search, SEARCH_SAMPLES),
                         SEARCH_TARGET_MS)

            counter = itertools.count(1)
            token = client.cookies.get("csrftoken")

            async def log_visit():
                i = next(counter)
                form = {"_csrf_token": token, "station": str(station), "new_name": f"基准访客{i}",
                        "topic": f"基准来访 {i}", "category": "property"}
                if i % 2:
                    form.update(outcome="answered", answer="已当场解答。")
                r = await client.post("/reception/visits", data=form, follow_redirects=False)
                assert r.status_code == 303, (r.status_code, r.text[:500])

            ok &= report(f"[{engine_name}] log a visit (POST)", await timed(log_visit, LOG_SAMPLES), LOG_TARGET_MS)
            after = await Visit.count().where((Visit.station == station) & (Visit.day == today()))
            report(f"[{engine_name}] desk page, {after} visits (no target)", await timed(desk_page, 60))
        return ok


async def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    ok = True
    for engine_name in engines():
        ok = await bench(engine_name) and ok
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    run(main)
