"""A busy Friday: 50 concurrent users against a real server on 127.0.0.1 for 60 seconds, then a
check that every write the server acknowledged is in the database.

    .venv/bin/python -m benchmarks.load [--seconds 60] [--users 50] [--engine sqlite|postgres|both]

A fresh site (new data directory; on PostgreSQL a new database on the server named by
COUNCIL_BENCH_PG_DSN or COUNCIL_DATABASE_URL) is migrated and loaded with the demo data, then
served by uvicorn exactly as `council serve` does (one process). The users, each with their own
connection and session, pick at random:

  browse   signed-in pages: home, case list, a case, work lists, registers   (secretary / grid worker)
  read     API reads: case list and one case                                  (bearer token)
  create   POST /api/v1/cases                                                 (secretary / grid worker / resident)
  ballot   enter a paper ballot for a voter of an open vote                   (when the votes API exists)
  minutes  render a minutes PDF                                               (when the meetings API exists)

What exists is read from the OpenAPI document; a missing capability is skipped with a note.
Figures: requests per second, p50/p95 per kind, errors (5xx, refused connections, timeouts, or
any unexpected status). Then: every acknowledged case (id and number) and ballot is looked up
in the database, every case has its `created` timeline event, and SQLite passes integrity_check.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx

from benchmarks.common import percentiles
from tests.liveserver import Server, fresh_site

PAGES = ["/", "/cases", "/cases?state=open", "/my/tasks", "/units", "/people", "/dashboard", "/cases/overdue"]
PASSWORD = "council-demo"


@dataclass
class Stats:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    cases: list[tuple[int, str]] = field(default_factory=list)
    ballots: list[int] = field(default_factory=list)

    def record(self, kind: str, started: float, r: httpx.Response | None, ok: bool, why: str = "") -> None:
        self.samples[kind].append((time.perf_counter() - started) * 1000)
        if not ok:
            self.errors[kind].append(why or (f"{r.status_code} {r.request.method} {r.request.url.path}" if r else "?"))


async def login(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/login")
    r = await client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                          "_csrf_token": client.cookies.get("csrftoken")})
    if r.status_code != 303:
        raise RuntimeError(f"sign-in as {username} failed: {r.status_code}")


class Workload:
    def __init__(self, base: str, tokens: dict[str, str], document: dict):
        self.base = base
        self.tokens = tokens
        self.paths = document.get("paths", {})
        self.case_ids: list[int] = []
        self.ballot_queue: list[tuple[int, int, str]] = []  # (vote, voter, choice) not yet used
        self.notes: list[str] = []
        self.can_ballot = "/api/v1/votes/{vote_id}/ballots" in self.paths
        self.minutes_meetings: list[int] = []  # meetings with minutes: rendered live, and as stored
        self.minutes_stored: list[tuple[int, int]] = []  # (meeting, approved version number)
        if not self.can_ballot:
            self.notes.append("ballots: no POST /api/v1/votes/{vote_id}/ballots in the OpenAPI document — skipped")

    def auth(self, user: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def prepare(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/cases", headers=self.auth("secretary"))
        self.case_ids = [c["id"] for c in r.json().get("items", [])]
        r = await client.get("/api/v1/meetings", headers=self.auth("secretary"))
        for m in (r.json() if r.status_code == 200 else []):
            if m.get("state") in ("held", "minutes_drafted", "minutes_approved"):
                self.minutes_meetings.append(m["id"])
                rm = await client.get(f"/api/v1/meetings/{m['id']}/minutes", headers=self.auth("secretary"))
                for v in (rm.json().get("versions") or [] if rm.status_code == 200 else []):
                    self.minutes_stored.append((m["id"], v["number"]))
        if not self.minutes_meetings:
            raise RuntimeError("the demo has no meeting with minutes: the minutes workload cannot run")
        self.notes.append(f"minutes: {len(self.minutes_meetings)} meetings rendered live (draft PDF), "
                          f"{len(self.minutes_stored)} approved versions served as stored")
        if self.can_ballot:
            r = await client.get("/api/v1/votes", params={"state": "open"}, headers=self.auth("secretary"))
            votes = r.json() if r.status_code == 200 and isinstance(r.json(), list) else []
            for v in votes:
                detail = await client.get(f"/api/v1/votes/{v['id']}", headers=self.auth("secretary"))
                options = (detail.json().get("options") if detail.status_code == 200 else None) or []
                rv = await client.get(f"/api/v1/votes/{v['id']}/voters", headers=self.auth("secretary"))
                if rv.status_code != 200 or not options:
                    continue
                for voter in rv.json():
                    if not voter.get("voted") and not voter.get("ballot"):
                        first = options[0]
                        choice = first if isinstance(first, str) else next(
                            (first[k] for k in ("code", "key", "value", "label") if k in first), "")
                        self.ballot_queue.append((v["id"], voter["id"], choice))
            random.shuffle(self.ballot_queue)
            if not self.ballot_queue:
                self.notes.append("ballots: the votes API exists but the demo has no open vote with voters left")
                self.can_ballot = False
            else:
                self.notes.append(f"ballots: {len(self.ballot_queue)} voters of open votes available to enter")

    def choose(self) -> str:
        kinds = ["browse"] * 40 + ["read"] * 25 + ["create"] * 25
        if self.can_ballot and self.ballot_queue:
            kinds += ["ballot"] * 10
        kinds += ["minutes"] * 3
        return random.choice(kinds)


async def user_loop(n: int, w: Workload, stats: Stats, until: float) -> None:
    role = ["secretary", "gridworker", "secretary", "resident", "mediator"][n % 5]
    async with httpx.AsyncClient(base_url=w.base, timeout=60, follow_redirects=False) as client:
        if role != "resident":
            started = time.perf_counter()
            try:
                await login(client, role)
                stats.record("sign-in", started, None, True)
            except (RuntimeError, httpx.HTTPError) as e:
                stats.record("sign-in", started, None, False, str(e))
                return
        while time.perf_counter() < until:
            kind = w.choose()
            if kind == "create" and role == "mediator":
                kind = "read"  # mediators do not register concerns
            started = time.perf_counter()
            try:
                if kind == "browse" and role != "resident":
                    page = random.choice(PAGES + [f"/cases/{random.choice(w.case_ids)}"] if w.case_ids else PAGES)
                    r = await client.get(page)
                    stats.record("browse", started, r, r.status_code in (200, 403))
                elif kind in ("read", "browse"):
                    if w.case_ids and random.random() < 0.5:
                        r = await client.get(f"/api/v1/cases/{random.choice(w.case_ids)}", headers=w.auth(role))
                        stats.record("read", started, r, r.status_code in (200, 403, 404))
                    else:
                        r = await client.get("/api/v1/cases", headers=w.auth(role))
                        stats.record("read", started, r, r.status_code == 200)
                elif kind == "create":
                    body = {"kind": random.choice(["request", "proposal"]), "title": f"压力测试 {n}-{random.random():.6f}",
                            "description": "楼道灯不亮，晚上看不清台阶。", "category": "facilities",
                            "channel": "online" if role == "resident" else "reception_day"}
                    r = await client.post("/api/v1/cases", json=body, headers=w.auth(role))
                    ok = r.status_code == 201
                    if ok:
                        made = r.json()
                        stats.cases.append((made["id"], made["number"]))
                        w.case_ids.append(made["id"])
                    stats.record("create", started, r, ok)
                elif kind == "ballot":
                    if not w.ballot_queue:
                        continue
                    vote, voter, choice = w.ballot_queue.pop()
                    r = await client.post(f"/api/v1/votes/{vote}/ballots", headers=w.auth("secretary"), json={
                        "choice": choice, "channel": "paper", "voter": voter, "form_ref": f"load-{vote}-{voter}",
                        "received_on": time.strftime("%Y-%m-%d")})
                    ok = r.status_code == 201
                    if ok:
                        stats.ballots.append(r.json()["id"])
                    stats.record("ballot", started, r, ok, "" if ok else f"{r.status_code} ballot {r.text[:120]}")
                elif kind == "minutes":
                    # Half rendered now by WeasyPrint (the draft preview, a secretary's page), half the
                    # approved PDF as stored. Both must answer 200 with a PDF.
                    if role == "secretary" and (random.random() < 0.5 or not w.minutes_stored):
                        r = await client.get(f"/meetings/{random.choice(w.minutes_meetings)}/minutes/preview.pdf")
                    elif w.minutes_stored:
                        meeting, number = random.choice(w.minutes_stored)
                        r = await client.get(f"/api/v1/meetings/{meeting}/minutes/versions/{number}/pdf",
                                             headers=w.auth("secretary"))
                    else:
                        continue
                    ok = r.status_code == 200 and r.content.startswith(b"%PDF")
                    stats.record("minutes", started, r, ok, "" if ok else f"{r.status_code} minutes PDF")
            except httpx.HTTPError as e:
                stats.record(kind, started, None, False, f"{type(e).__name__}: {e}")


# ---------------------------------------------------------------- checking afterwards

async def check_database(url: str, stats: Stats) -> list[str]:
    problems = []
    ids = [c[0] for c in stats.cases]
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if integrity != "ok":
                problems.append(f"integrity_check: {integrity}")
            found = dict(conn.execute("SELECT id, number FROM case_file").fetchall())
            events = {r[0] for r in conn.execute("SELECT DISTINCT \"case\" FROM case_event WHERE kind='created'")}
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            ballot_table = next((t for t in sorted(tables) if t.endswith("ballot")), None)
            ballots = {r[0] for r in conn.execute(f'SELECT id FROM "{ballot_table}"')} if ballot_table else set()
        finally:
            conn.close()
    else:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            found = {r["id"]: r["number"] for r in await conn.fetch("SELECT id, number FROM case_file")}
            events = {r[0] for r in await conn.fetch("SELECT DISTINCT \"case\" FROM case_event WHERE kind='created'")}
            tables = {r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
            ballot_table = next((t for t in sorted(tables) if t.endswith("ballot")), None)
            ballots = {r[0] for r in await conn.fetch(f'SELECT id FROM "{ballot_table}"')} if ballot_table else set()
        finally:
            await conn.close()
    lost = [(i, n) for i, n in stats.cases if found.get(i) != n]
    if lost:
        problems.append(f"{len(lost)} acknowledged cases missing or changed, e.g. {lost[:5]}")
    half = [i for i in ids if i not in events]
    if half:
        problems.append(f"{len(half)} cases without their 'created' event, e.g. {half[:5]}")
    missing_ballots = [b for b in stats.ballots if b not in ballots]
    if missing_ballots:
        problems.append(f"{len(missing_ballots)} acknowledged ballots missing, e.g. {missing_ballots[:5]}")
    return problems


async def run_once(engine: str, seconds: float, users: int, workers: int = 1) -> bool:
    pg_admin = os.environ.get("COUNCIL_BENCH_PG_DSN") or os.environ.get("COUNCIL_DATABASE_URL") if engine == "postgres" else None
    print(f"\n== load: {engine}, {users} users, {seconds:.0f} s" + (f", {workers} server processes" if workers > 1 else "") + " ==")
    site = await asyncio.to_thread(fresh_site, pg_admin)
    site.env["COUNCIL_WORKERS"] = str(workers)  # as `council serve` sets it: each sizes its PDF pool
    server = await asyncio.to_thread(Server(site, workers=workers).start)
    try:
        tokens = {u: site.token(u) for u in ("secretary", "gridworker", "resident", "mediator")}
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as c:
            document = (await c.get("/api/v1/schema/openapi.json")).json()
            w = Workload(server.base, tokens, document)
            await w.prepare(c)
        for note in w.notes:
            print("note:", note)
        stats = Stats()
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(user_loop(n, w, stats, until) for n in range(users)))
        elapsed = time.perf_counter() - started
        total = sum(len(v) for v in stats.samples.values())
        errors = sum(len(v) for v in stats.errors.values())
        print(f"{'all':<10} {total:>6} requests in {elapsed:5.1f} s = {total / elapsed:7.1f} req/s, errors: {errors}")
        for kind, samples in sorted(stats.samples.items()):
            p50, p95 = percentiles(samples)
            print(f"{kind:<10} {len(samples):>6} requests  {len(samples) / elapsed:7.1f}/s  p50={p50:8.1f} ms  "
                  f"p95={p95:8.1f} ms  errors={len(stats.errors.get(kind, []))}")
        for kind, errs in stats.errors.items():
            for e in sorted(set(errs))[:5]:
                print(f"  error [{kind}]: {e}")
        if errors:
            logged = [line for line in server.log.read_text(errors="replace").splitlines()
                      if "Error" in line or "Exception" in line]
            for line in sorted(set(logged))[:12]:
                print("  server log:", line[:200])
        problems = await check_database(site.database_url, stats)
        print(f"acknowledged writes: {len(stats.cases)} cases, {len(stats.ballots)} ballots — "
              + ("all found in the database" if not problems else "PROBLEMS:"))
        for p in problems:
            print("  ", p)
        return not problems and not errors
    finally:
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(site.drop)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--engine", choices=["sqlite", "postgres", "both", "auto"], default="auto",
                    help="auto: SQLite, and PostgreSQL too when COUNCIL_BENCH_PG_DSN or COUNCIL_DATABASE_URL is set")
    ap.add_argument("--workers", type=int, default=1,
                    help="server processes on PostgreSQL, as `council serve --workers N` (docs/deploy.md runs 2); "
                         "SQLite is always served by one")
    args = ap.parse_args(argv)
    engines = {"sqlite": ["sqlite"], "postgres": ["postgres"], "both": ["sqlite", "postgres"]}.get(args.engine)
    if engines is None:
        has_pg = bool(os.environ.get("COUNCIL_BENCH_PG_DSN") or os.environ.get("COUNCIL_DATABASE_URL", "").startswith("postgres"))
        engines = ["sqlite", "postgres"] if has_pg else ["sqlite"]
    ok = True
    for engine in engines:
        workers = args.workers if engine == "postgres" else 1
        ok = asyncio.run(run_once(engine, args.seconds, args.users, workers)) and ok
    print("\nload: " + ("no errors, nothing lost" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
