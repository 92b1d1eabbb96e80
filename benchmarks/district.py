"""A district at scale, on PostgreSQL (issue 18): 10 streets × 10 communities, a consultation
station each, and ten years of cases, ratings, timelines, dispute files, votes, meetings and
reception-day visits — about a million cases at --scale 1 — built with INSERT … SELECT over
generate_series (no row-by-row inserts), then the oversight targets measured as p95:

    street dashboard (figures + monthly trend + heat, the 10 stations of one street)   ≤ 300 ms
    district dashboard (the same for all 100 stations)                                  ≤ 1 s
    a case search across the district (the case list with a search term, 100 stations) ≤ 200 ms
    the monthly station report for 100 stations (figures and the XLSX)                   ≤ 10 s

    COUNCIL_BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benchmarks.district               # the full district (about 1M cases)
        .venv/bin/python -m benchmarks.district --scale 0.01  # a quick one (about 10,000 cases)
        .venv/bin/python -m benchmarks.district --keep        # leave the database for exploring
        .venv/bin/python -m benchmarks.district --reuse postgresql://…/council_bench_…  # measure it again

SQLite is not measured here: it serves one station (README, "Where SQLite stops").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import sys
import time

from benchmarks.common import report, run, scratch_database, timed

STREETS, COMMUNITIES, ESTATES = 10, 10, 3  # communities per street, estates per community
YEARS = 10
FULL_CASES = 1_000_000
TARGETS = {"street": 300, "district": 1000, "search": 200, "monthly": 10_000}

WORDS = ("电梯 停车 垃圾 噪音 漏水 路灯 绿化 门禁 楼道 健身器材 充电桩 排水 外墙 消防通道 "
         "井盖 化粪池 空调外机 违建 宠物 广场舞 快递 油烟 监控 车棚 水压 暖气 屋顶 围墙").split()
CATEGORIES = ("property", "environment", "traffic", "safety", "neighbours", "facilities", "elderly_children", "other")
CHANNELS = ("reception_day", "grid_group", "hotline_12345", "patrol", "online", "other")
DISPUTE_TYPES = ("neighbours", "property_service", "family_marriage", "bride_price", "contract", "wages", "damage",
                 "other")
SOURCES = ("applied", "court", "police", "department", "grid_worker")
MEETING_KINDS = ("deliberation", "coordination", "hearing", "evaluation", "mediation_session", "reception_day")


def _arr(values) -> str:
    return "(ARRAY[" + ", ".join("'" + v + "'" for v in values) + "])"


# One statement per table; {n} is the row count, {tag} the run's prefix, ids come from bench_station.
CASES_SQL = """
INSERT INTO "case_file" ("station", "community", "number", "kind", "title", "description", "category", "channel",
    "estate", "state", "organisation", "limit_days", "due_date", "priority", "escalation", "created_by",
    "created_at", "updated_at", "closed_at", "created_month", "closed_month", "close_minutes")
SELECT s.station_id, s.community_id,
    s.prefix || '-' || to_char(x.created AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-' || lpad(x.g::text, 7, '0'),
    x.kind, x.word || '问题（' || s.estate_names[x.e] || '）', '居民反映' || x.word || '，' || x.word2 || '也需处理',
    x.category, x.channel, s.estate_ids[x.e],
    CASE WHEN x.closed IS NOT NULL THEN
        CASE x.kind WHEN 'request' THEN (CASE WHEN x.r3 < 0.5 THEN 'rated' ELSE 'closed' END)
                    WHEN 'proposal' THEN (CASE WHEN x.r3 < 0.9 THEN 'closed' ELSE 'rejected' END)
                    ELSE (CASE WHEN x.r3 < 0.7 THEN 'settled' WHEN x.r3 < 0.85 THEN 'not_settled'
                               WHEN x.r3 < 0.95 THEN 'withdrawn' ELSE 'terminated' END) END
    ELSE
        CASE x.kind WHEN 'request' THEN (ARRAY['registered','dispatched','handling','reported'])[1 + floor(x.r3 * 4)::int]
                    WHEN 'proposal' THEN (ARRAY['propose','discuss','act','fund','decide','evaluate'])[1 + floor(x.r3 * 6)::int]
                    ELSE (ARRAY['consent','mediating'])[1 + floor(x.r3 * 2)::int] END
    END,
    CASE WHEN x.kind = 'request' AND (x.closed IS NOT NULL OR x.r3 >= 0.25) THEN x.org END,
    CASE WHEN x.kind = 'request' THEN 5 END,
    CASE WHEN x.kind = 'request' THEN (x.created AT TIME ZONE 'Asia/Shanghai')::date + 7 END,
    CASE WHEN x.r4 < 0.05 THEN 'high' ELSE 'normal' END,
    CASE WHEN x.r4 > 0.995 THEN 'street' ELSE '' END,
    {creator}, x.created, coalesce(x.closed, x.created), x.closed,
    to_char(x.created AT TIME ZONE 'Asia/Shanghai', 'YYYYMM')::int,
    to_char(x.closed AT TIME ZONE 'Asia/Shanghai', 'YYYYMM')::int,
    floor(extract(epoch FROM x.closed - x.created) / 60)::int
FROM (
    SELECT y.*, CASE WHEN y.created + y.takes < now()
                      AND (y.created < now() - interval '60 days' AND y.r2 < 0.995
                           OR y.r2 < extract(epoch FROM now() - y.created) / 86400 / 75)
                     THEN y.created + y.takes END AS closed
    FROM (
        SELECT g, r.station_no, r.kind, r.r2, r.r3, r.r4, r.created,
            CASE r.kind WHEN 'request' THEN interval '1 hour' * (2 + r.r5 * 24 * 14)
                        WHEN 'proposal' THEN interval '1 day' * (5 + r.r5 * 60)
                        ELSE interval '1 day' * (1 + r.r5 * 35) END AS takes,
            {words}[1 + floor(r.r6 * {nwords})::int] AS word, {words}[1 + floor(r.r7 * {nwords})::int] AS word2,
            {categories}[1 + floor(r.r8 * {ncat})::int] AS category,
            {channels}[1 + floor(r.r9 * {nchan})::int] AS channel,
            1 + floor(r.r5 * {estates})::int AS e,
            {orgs}[1 + floor(r.r6 * {norgs})::int] AS org
        FROM generate_series(1, {n}) g,
        LATERAL (SELECT
            floor(100 * power(random(), 1.15))::int + 0 * g AS station_no,
            CASE WHEN random() < 0.7 THEN 'request' WHEN random() < 0.67 THEN 'proposal' ELSE 'dispute' END AS kind,
            random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6, random() AS r7,
            random() AS r8, random() AS r9,
            now() - interval '1 day' * ({days} * power(random(), 1.3)) AS created) r
    ) y
) x JOIN bench_station s ON s.n = x.station_no
"""

RATINGS_SQL = """
INSERT INTO "case_rating" ("case", "rating", "comment", "created_at")
SELECT c."id", CASE WHEN r < 0.7 THEN 'satisfied' WHEN r < 0.9 THEN 'basically_satisfied' ELSE 'unsatisfied' END,
       '', c."closed_at" + interval '2 days'
FROM (SELECT "id", "closed_at", "state", "kind", random() AS r, random() AS pick FROM "case_file"
      WHERE "station" IN (SELECT station_id FROM bench_station) AND "closed_at" IS NOT NULL) c
WHERE c."state" = 'rated' OR (c."kind" = 'proposal' AND c."state" = 'closed' AND c.pick < 0.6)
   OR (c."kind" = 'dispute' AND c.pick < 0.3)
"""

EVENTS_SQL = """
INSERT INTO "case_event" ("case", "at", "actor_label", "kind", "from_state", "to_state", "text")
SELECT "id", "closed_at", '基准', 'moved', '', "state", '' FROM "case_file"
WHERE "station" IN (SELECT station_id FROM bench_station) AND "closed_at" IS NOT NULL
"""

DISPUTES_SQL = """
INSERT INTO "dispute_file" ("case", "station", "committee", "number", "year", "sequence", "category", "source",
    "level", "opened_on", "closed_on")
SELECT d."id", d."station", s.committee_id,
    '（' || d.y || '）' || s.abbreviation || '人调字第 ' || d.seq || ' 号', d.y, d.seq,
    {types}[1 + floor(random() * {ntypes})::int], {sources}[1 + floor(random() * {nsources})::int],
    'community', d.opened, d.closed
FROM (SELECT c."id", c."station", c."created_month" / 100 AS y,
             row_number() OVER (PARTITION BY c."station", c."created_month" / 100 ORDER BY c."id") AS seq,
             (c."created_at" AT TIME ZONE 'Asia/Shanghai')::date AS opened,
             (c."closed_at" AT TIME ZONE 'Asia/Shanghai')::date AS closed
      FROM "case_file" c WHERE c."kind" = 'dispute' AND c."station" IN (SELECT station_id FROM bench_station)) d
JOIN bench_station s ON s.station_id = d."station"
"""

VOTES_SQL = """
INSERT INTO "vote" ("station", "community", "title", "question", "rule_set", "state", "passed", "opens_at",
    "closes_at", "opened_at", "closed_at", "created_at", "matter")
SELECT s.station_id, s.community_id, v.word || '改造方案表决', '是否同意' || v.word || '改造方案', 'art278_ordinary',
    CASE WHEN v.opened + interval '14 days' < now() THEN 'closed' ELSE 'open' END,
    CASE WHEN v.opened + interval '14 days' < now() THEN random() < 0.8 END,
    v.opened, v.opened + interval '14 days', v.opened,
    CASE WHEN v.opened + interval '14 days' < now() THEN v.opened + interval '14 days' END,
    v.opened - interval '7 days', 'community'
FROM (SELECT floor(100 * random())::int + 0 * g AS station_no, {words}[1 + floor(random() * {nwords})::int] AS word,
             now() - interval '1 day' * ({days} * random()) AS opened FROM generate_series(1, {n}) g) v
JOIN bench_station s ON s.n = v.station_no
"""

MEETINGS_SQL = """
INSERT INTO "meeting" ("station", "community", "kind", "title", "starts_at", "ends_at", "state", "created_at")
SELECT s.station_id, s.community_id, m.kind, m.word || '议事会', m.starts, m.starts + interval '2 hours',
    CASE WHEN m.starts > now() THEN 'scheduled' WHEN random() < 0.9 THEN 'minutes_approved' ELSE 'held' END,
    m.starts - interval '5 days'
FROM (SELECT floor(100 * random())::int + 0 * g AS station_no, {kinds}[1 + floor(random() * {nkinds})::int] AS kind,
             {words}[1 + floor(random() * {nwords})::int] AS word,
             date_trunc('hour', now() - interval '1 day' * ({days} * random() - 14)) AS starts
      FROM generate_series(1, {n}) g) m
JOIN bench_station s ON s.n = m.station_no
"""

# Every station's reception day is a Friday; each held one gets a handful of visitors.
VISITS_SQL = """
INSERT INTO "reception_visit" ("station", "community", "day", "number", "status", "source", "arrived_at",
    "visitor_name", "topic", "category", "outcome", "answer", "done_at", "created_at")
SELECT s.station_id, s.community_id, v.day, v.k, 'done', 'desk',
    (v.day + time '09:00' + interval '6 minutes' * v.k) AT TIME ZONE 'Asia/Shanghai', '来访居民',
    {words}[1 + floor(random() * {nwords})::int] || '咨询', {categories}[1 + floor(random() * {ncat})::int],
    CASE WHEN v.r < 0.5 THEN 'answered' WHEN v.r < 0.8 THEN 'case' ELSE 'news' END,
    CASE WHEN v.r < 0.5 THEN '已当场解答' ELSE '' END,
    (v.day + time '09:20' + interval '6 minutes' * v.k) AT TIME ZONE 'Asia/Shanghai',
    (v.day + time '09:00' + interval '6 minutes' * v.k) AT TIME ZONE 'Asia/Shanghai'
FROM (SELECT f.day::date AS day, st.n AS station_no, k, random() AS r
      FROM generate_series(date_trunc('week', now() - interval '{days} days')::date + 4,
                           (now() AT TIME ZONE 'Asia/Shanghai')::date - 1, interval '7 days') f(day)
      CROSS JOIN bench_station st
      CROSS JOIN LATERAL generate_series(1, {per_day} + floor(random() * 4)::int + 0 * st.n) k
      WHERE random() < {share}) v
JOIN bench_station s ON s.n = v.station_no
"""


async def build(scale: float, seed: int = 7) -> dict:
    """The district's places and stations (a few hundred rows, inserted one statement each), then the
    bulk tables. Returns {"streets": [[station ids]…], "stations": [ids], "seconds": {step: s}}."""
    import asyncpg

    rng = random.Random(seed)
    tag = secrets.token_hex(2).upper()
    conn = await asyncpg.connect(os.environ["COUNCIL_DATABASE_URL"])
    timing: dict[str, float] = {}
    try:
        await conn.execute(f"SELECT setseed({rng.random() * 2 - 1})")
        creator = await conn.fetchval('SELECT "id" FROM "app_user" WHERE "username" = \'secretary\'')
        await conn.execute("CREATE TEMP TABLE bench_station (n int PRIMARY KEY, station_id int, community_id int, "
                           "street_id int, prefix text, abbreviation text, committee_id int, estate_ids int[], "
                           "estate_names text[])")
        started = time.perf_counter()
        orgs = []
        for i, (kind, name) in enumerate((("department", "城管"), ("department", "住建"), ("department", "交通"),
                                          ("department", "公安"), ("department", "民政"), ("department", "妇联"),
                                          ("property_manager", "物管办"), ("property_manager", "物业公司"))):
            orgs.append(await conn.fetchval(
                'INSERT INTO "organisation" ("community", "kind", "name") VALUES (NULL, $1, $2) RETURNING "id"',
                kind, f"区{name}{tag}"))
        streets: list[list[int]] = []
        n = 0
        for si in range(STREETS):
            street = await conn.fetchval('INSERT INTO "street" ("name", "district", "city") VALUES ($1, $2, $3) '
                                         'RETURNING "id"', f"第{si + 1}街道{tag}", "基准区", "基准市")
            streets.append([])
            for ci in range(COMMUNITIES):
                community = await conn.fetchval('INSERT INTO "community" ("street", "name") VALUES ($1, $2) '
                                                'RETURNING "id"', street, f"{si + 1}街{ci + 1}社区{tag}")
                estate_names = [f"{si + 1}-{ci + 1}-{e + 1}小区" for e in range(ESTATES)]
                estate_ids = [await conn.fetchval('INSERT INTO "estate" ("community", "name") VALUES ($1, $2) '
                                                  'RETURNING "id"', community, name) for name in estate_names]
                prefix = f"D{tag}{n:02d}"
                station = await conn.fetchval(
                    'INSERT INTO "station" ("community", "name", "case_prefix", "reception_weekday", '
                    '"reception_start", "reception_end") VALUES ($1, $2, $3, 4, $4, $5) RETURNING "id"',
                    community, f"{si + 1}街{ci + 1}社区议事驿站", prefix, dt.time(9), dt.time(11, 30))
                abbreviation = f"{si + 1}街{ci + 1}社"
                committee = await conn.fetchval(
                    'INSERT INTO "mediation_committee" ("station", "name", "abbreviation") VALUES ($1, $2, $3) '
                    'RETURNING "id"', station, f"{si + 1}街{ci + 1}社区人民调解委员会", abbreviation)
                for pos, code in enumerate(CATEGORIES):
                    await conn.execute('INSERT INTO "station_category" ("station", "code", "label", "limit_days", '
                                       '"position", "active") VALUES ($1, $2, $3, 5, $4, true)', station, code, code, pos)
                await conn.execute('INSERT INTO "bench_station" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
                                   n, station, community, street, prefix, abbreviation, committee, estate_ids,
                                   estate_names)
                streets[-1].append(station)
                n += 1
        timing["places and stations"] = time.perf_counter() - started

        fmt = dict(words=_arr(WORDS), nwords=len(WORDS), categories=_arr(CATEGORIES), ncat=len(CATEGORIES),
                   channels=_arr(CHANNELS), nchan=len(CHANNELS), estates=ESTATES, days=YEARS * 365,
                   orgs="(ARRAY[" + ", ".join(map(str, orgs)) + "])", norgs=len(orgs), creator=creator or "NULL",
                   types=_arr(DISPUTE_TYPES), ntypes=len(DISPUTE_TYPES), sources=_arr(SOURCES),
                   nsources=len(SOURCES), kinds=_arr(MEETING_KINDS), nkinds=len(MEETING_KINDS))
        steps = [
            ("cases", CASES_SQL, max(1000, round(FULL_CASES * scale))),
            ("ratings", RATINGS_SQL, 0),
            ("timeline (one move per closed case)", EVENTS_SQL, 0),
            ("dispute files", DISPUTES_SQL, 0),
            ("votes", VOTES_SQL, max(200, round(24_000 * scale))),
            ("meetings", MEETINGS_SQL, max(400, round(48_000 * scale))),
            # at scale 1 about 8 visitors on 100 stations' 520 Fridays; fewer Fridays held when smaller
            ("reception visits", VISITS_SQL.replace("{share}", str(min(1.0, max(scale, 0.02)))), 0),
        ]
        counts = {}
        # A bulk load builds the case indexes once at the end rather than row by row (the trigram
        # index above all): dropped here, created again from their own definitions.
        indexes = await conn.fetch("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'case_file' "
                                   "AND indexname <> 'case_file_pkey'")
        for ix in indexes:
            await conn.execute(f'DROP INDEX "{ix["indexname"]}"')
        for name, sql, rows in steps:
            started = time.perf_counter()
            status = await conn.execute(sql.format(n=rows, per_day=6, **fmt))
            timing[name] = time.perf_counter() - started
            counts[name] = int(status.split()[-1])
            print(f"  {name:<40} {counts[name]:>10,} rows in {timing[name]:6.1f} s", flush=True)
            if name == "cases":
                started = time.perf_counter()
                for ix in indexes:
                    await conn.execute(ix["indexdef"])
                timing["case indexes"] = time.perf_counter() - started
                print(f"  {'case indexes':<40} {len(indexes):>10,} built in {timing['case indexes']:6.1f} s", flush=True)
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        timing["vacuum analyze"] = time.perf_counter() - started
        stations = [s for street in streets for s in street]
        return {"streets": streets, "stations": stations, "seconds": timing, "counts": counts}
    finally:
        await conn.close()


async def existing() -> dict:
    """The district already in the database (built by an earlier --keep run): its stations by street."""
    from council import db

    rows = await db.raw('SELECT s."id" AS station, c."street" AS street FROM "station" s '
                        'JOIN "community" c ON c."id" = s."community" JOIN "street" t ON t."id" = c."street" '
                        'WHERE t."district" = {} ORDER BY c."street", s."id"', "基准区")
    streets: dict[int, list[int]] = {}
    for r in rows:
        streets.setdefault(r["street"], []).append(r["station"])
    return {"streets": list(streets.values()), "stations": [r["station"] for r in rows]}


def _principal(station_ids):
    from council.accounts.principal import Principal

    # An officer above the stations reads as the station roles do, over every station under them:
    # the case list's scope becomes "station IN (those stations)".
    return Principal(user_id=0, username="district", display_name="区", role="secretary",
                     station_ids=frozenset(station_ids))


async def measure(district: dict, samples: int) -> bool:
    from council.cases.queries import CaseFilter, list_cases
    from council.oversight import figures
    from council.reports import service

    today = dt.date.today()
    start, end = today - dt.timedelta(days=364), today
    rng = random.Random(11)

    async def dashboard(ids):
        await figures.dashboard(ids, start, end)  # figures, monthly trend and heat

    ok = True
    street_i = 0

    async def one_street():
        nonlocal street_i
        street_i += 1
        await dashboard(district["streets"][street_i % len(district["streets"])])

    ok &= report("street dashboard (10 stations)", await timed(one_street, samples), TARGETS["street"])
    ok &= report("district dashboard (100 stations)", await timed(lambda: dashboard(district["stations"]),
                                                                     max(5, samples // 2)), TARGETS["district"])
    officer = _principal(district["stations"])
    terms = ["漏水", "电梯", "充电桩", "广场舞问题", "3-4-2小区", "居民反映井盖", "-2021-", "D", "暖气"]
    filters = [CaseFilter(q=t) for t in terms] + [
        CaseFilter(q="电梯", state="handling"), CaseFilter(q="停车", category="traffic"),
        CaseFilter(q="垃圾", overdue=True), CaseFilter(q="路灯", page=5)]
    i = 0

    async def one_search():
        nonlocal i
        i += 1
        await list_cases(officer, filters[i % len(filters)])

    ok &= report("case search across the district", await timed(one_search, samples * 2), TARGETS["search"])
    last = today.replace(day=1) - dt.timedelta(days=1)
    month = f"{last.year}-{last.month:02d}"
    admin = _principal(district["stations"])
    from dataclasses import replace

    admin = replace(admin, role="admin")

    async def monthly():
        months = await service.monthly(admin, month, district["stations"])
        service.monthly_xlsx(months, month, lambda s: s, {})

    ok &= report(f"monthly report, 100 stations ({month})", await timed(monthly, 3), TARGETS["monthly"])
    if "-v" in sys.argv:
        for f in filters:
            report(f"    search {f.q} {f.state or f.category or ''}"[:44], await timed(lambda: list_cases(officer, f), 5))
    return ok


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = about a million cases; 0.01 for a quick run")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="print the database URL and do not drop it")
    parser.add_argument("--reuse", metavar="URL", help="measure a district kept by --keep (migrated first)")
    parser.add_argument("-v", action="store_true")
    args = parser.parse_args()
    if args.reuse:
        # Measure again on a district kept by an earlier --keep run (migrating it first: new indexes).
        from council import db
        from council.migrations import migrate

        os.environ["COUNCIL_DATABASE_URL"] = args.reuse
        db.configure(args.reuse)
        await db.start()
        try:
            applied = await migrate()
            if applied:
                print("migrated:", ", ".join(applied), flush=True)
                await db.engine().run_ddl("VACUUM ANALYZE")
            ok = await measure(await existing(), args.samples)
        finally:
            await db.stop()
        print("all targets met" if ok else "SOME TARGETS MISSED")
        return
    if not os.environ.get("COUNCIL_BENCH_PG_DSN"):
        raise SystemExit("Set COUNCIL_BENCH_PG_DSN to a PostgreSQL server (the district is a PostgreSQL benchmark).")
    async with scratch_database("postgres", keep=args.keep):
        started = time.perf_counter()
        print(f"building a district at scale {args.scale} …", flush=True)
        district = await build(args.scale)
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        ok = await measure(district, args.samples)
        if args.keep:
            print("kept:", os.environ["COUNCIL_DATABASE_URL"])
        print("all targets met" if ok else "SOME TARGETS MISSED")


if __name__ == "__main__":
    run(main)
