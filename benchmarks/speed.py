"""Issue 19's targets, each printed beside its floor measured in the same run by the same server.

    .venv/bin/python -m benchmarks.speed [--seconds 6] [--engine sqlite|postgres|both|auto]

A fresh site (new data directory, or a new PostgreSQL database on the server named by
COUNCIL_BENCH_PG_DSN) is migrated and loaded with the demo data, then served by uvicorn as
`council serve` does, with three floor routes added by benchmarks/floor_app.py (they live in the
benchmark, not in the app). The load comes from this process over keep-alive HTTP/1.1
connections written by hand (httpx would be the bottleneck before the floor is).

  case list     GET /cases signed in: req/s at 10 connections, p95 at 50   floor: same bytes, trivial handler
  registration  POST /api/v1/cases with a token: req/s at 10, p95 at 50   floor: BEGIN IMMEDIATE; 2 INSERTs; COMMIT
                every acknowledged case is looked up in the database afterwards
  /healthz      req/s at 50 connections                                     floor: a plain JSON route

The machine is shared, so absolute figures move from run to run; the share of the floor is
the steadier number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field

from benchmarks.common import percentiles


class Conn:
    """One keep-alive HTTP/1.1 connection: just enough client to not be the bottleneck."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}")
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k.strip().lower()] = v.strip()
        if "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = b""
        if fields.get("connection") == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Result:
    count: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    bodies: list[bytes] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def p95(self) -> float:
        return percentiles(self.latencies)[1] if self.latencies else float("nan")


async def drive(port: int, method: str, path, headers: dict, body, connections: int, seconds: float,
                expect: int, keep: bool = False) -> Result:
    """`connections` clients, each sending its next request when the last one is answered."""
    res = Result()
    until = time.perf_counter() + seconds

    async def one() -> None:
        c = Conn("127.0.0.1", port)
        try:
            while time.perf_counter() < until:
                started = time.perf_counter()
                try:
                    status, data = await c.request(method, path() if callable(path) else path, headers,
                                                   body() if callable(body) else body)
                except (OSError, asyncio.IncompleteReadError) as e:
                    res.errors.append(type(e).__name__)
                    c.close()
                    continue
                res.latencies.append((time.perf_counter() - started) * 1000)
                res.count += 1
                if status != expect:
                    res.errors.append(f"{status} {data[:120]!r}")
                elif keep:
                    res.bodies.append(data)
        finally:
            c.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(connections)))
    res.seconds = time.perf_counter() - started
    return res


def line(label: str, app: float, floor: float, unit: str, target: str, met: bool, errors: int) -> bool:
    share = app / floor if unit == "req/s" else floor / app
    print(f"{label:<34} {app:9.1f} {unit:<5} floor {floor:9.1f} {unit:<5} share {share:6.1%}  "
          f"target {target:<18} {'met' if met and not errors else 'MISSED'}"
          + (f"  errors={errors}" if errors else ""))
    return met and not errors


def session_cookie(base: str, username: str) -> str:
    import httpx

    with httpx.Client(base_url=base, follow_redirects=False) as c:
        c.get("/login")
        r = c.post("/login", data={"username": username, "password": "council-demo", "next": "/",
                                   "_csrf_token": c.cookies.get("csrftoken")})
        if r.status_code != 303:
            raise RuntimeError(f"sign-in as {username} failed: {r.status_code}")
        return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


async def run_once(engine: str, seconds: float) -> bool:
    from benchmarks.load import Stats, check_database
    from tests.liveserver import Server, fresh_site

    pg_admin = (os.environ.get("COUNCIL_BENCH_PG_DSN") or os.environ.get("COUNCIL_DATABASE_URL")) \
        if engine == "postgres" else None
    print(f"\n== speed: {engine}, {seconds:.0f} s a measurement ==")
    site = await asyncio.to_thread(fresh_site, pg_admin)
    server = await asyncio.to_thread(Server(site, app="benchmarks.floor_app:create_app").start)
    ok = True
    try:
        port = server.port
        cookie = {"Cookie": await asyncio.to_thread(session_cookie, server.base, "secretary")}
        token = {"Authorization": f"Bearer {site.token('secretary')}", "Content-Type": "application/json"}
        status, page = await Conn("127.0.0.1", port).request("GET", "/cases", cookie)
        assert status == 200, status
        floor_page = f"/api/_floor/page?n={len(page)}"
        print(f"(GET /cases is {len(page):,} bytes; the floor serves as many)")

        async def pair(method, path, headers, body, floor_method, floor_path, conns, expect, floor_expect,
                       keep=False):
            await drive(port, method, path, headers, body, conns, 1, expect)  # warm both
            await drive(port, floor_method, floor_path, {}, b"", conns, 1, floor_expect)
            app = await drive(port, method, path, headers, body, conns, seconds, expect, keep)
            floor = await drive(port, floor_method, floor_path, {}, b"", conns, seconds, floor_expect)
            return app, floor

        app, floor = await pair("GET", "/cases", cookie, b"", "GET", floor_page, 10, 200, 200)
        ok &= line("case list, signed in, 10 conns", app.rps, floor.rps, "req/s", "≥ 200 req/s",
                   app.rps >= 200, len(app.errors))
        app, floor = await pair("GET", "/cases", cookie, b"", "GET", floor_page, 50, 200, 200)
        ok &= line("case list, signed in, 50 users p95", app.p95, floor.p95, "ms", "p95 ≤ 150 ms",
                   app.p95 <= 150, len(app.errors))

        n = 0

        def case_body() -> bytes:
            nonlocal n
            n += 1
            return json.dumps({"kind": random.choice(["request", "proposal"]), "title": f"速度测试 {n}",
                               "description": "楼道灯不亮，晚上看不清台阶。", "category": "facilities",
                               "channel": "reception_day"}, ensure_ascii=False).encode()

        stats = Stats()
        app, floor = await pair("POST", "/api/v1/cases", token, case_body, "POST", "/api/_floor/write", 10,
                                201, 201, keep=True)
        rps_target = 250 if engine == "sqlite" else 0
        ok &= line("case registration API, 10 conns", app.rps, floor.rps, "req/s",
                   f"≥ {rps_target} req/s" if rps_target else "(none set)", app.rps >= rps_target,
                   len(app.errors))
        stats.cases += [(d["id"], d["number"]) for d in map(json.loads, app.bodies)]
        app, floor = await pair("POST", "/api/v1/cases", token, case_body, "POST", "/api/_floor/write", 50,
                                201, 201, keep=True)
        ok &= line("case registration API, 50 users p95", app.p95, floor.p95, "ms", "p95 ≤ 200 ms",
                   app.p95 <= 200, len(app.errors))
        stats.cases += [(d["id"], d["number"]) for d in map(json.loads, app.bodies)]

        app, floor = await pair("GET", "/healthz", {}, b"", "GET", "/api/_floor/plain", 50, 200, 200)
        ok &= line("/healthz, 50 conns", app.rps, floor.rps, "req/s", "≥ 50% of floor",
                   app.rps >= 0.5 * floor.rps, len(app.errors))

        problems = await check_database(site.database_url, stats)
        print(f"acknowledged case writes: {len(stats.cases)} — "
              + ("all found in the database" if not problems else "PROBLEMS: " + "; ".join(problems)))
        ok &= not problems
    finally:
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(site.drop)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--engine", choices=["sqlite", "postgres", "both", "auto"], default="auto")
    args = ap.parse_args(argv)
    engines = {"sqlite": ["sqlite"], "postgres": ["postgres"], "both": ["sqlite", "postgres"]}.get(args.engine)
    if engines is None:
        engines = ["sqlite", "postgres"] if os.environ.get("COUNCIL_BENCH_PG_DSN") else ["sqlite"]
    ok = True
    for engine in engines:
        ok = asyncio.run(run_once(engine, args.seconds)) and ok
    print("\nspeed: " + ("every target met" if ok else "some targets MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
