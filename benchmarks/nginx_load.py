"""The 50-user busy Friday through nginx over HTTPS, on PostgreSQL, with 1 and with 2 server
processes (`council serve --workers N`), figures side by side.

    COUNCIL_BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benchmarks.nginx_load [--seconds 60] [--users 50] [--workers 1 2]

Each run: a fresh site (new database, migrated, demo data), `council serve --workers N` on a free
port, Debian's nginx with deploy/nginx/council.conf and a self-signed certificate in front
(tests/nginx.py), and the workload of benchmarks/load.py against https://. Afterwards every
acknowledged case and ballot is looked up in the database. Not part of CI: it takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request

import httpx

from benchmarks.common import percentiles
from benchmarks.load import Stats, Workload, check_database, user_loop
from tests.liveserver import ROOT, free_port, fresh_site
from tests.nginx import Nginx


def start_app(site, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(site.data_dir / "server.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "council.cli", "serve", "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env={**site.env, "COUNCIL_SECURE_COOKIES": "1"}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError((site.data_dir / "server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return proc, port
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not become ready") from None
            time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


async def run_once(pg_admin: str, workers: int, seconds: float, users: int) -> dict:
    site = await asyncio.to_thread(fresh_site, pg_admin)
    proc, port = await asyncio.to_thread(start_app, site, workers)
    proxy = await asyncio.to_thread(Nginx([port]).start)
    # The self-signed certificate is the only one httpx trusts for this run (httpx reads SSL_CERT_FILE).
    os.environ["SSL_CERT_FILE"] = str(proxy.tmp / "cert.pem")
    try:
        tokens = {u: site.token(u) for u in ("secretary", "gridworker", "resident", "mediator")}
        async with httpx.AsyncClient(base_url=proxy.base, timeout=60) as c:
            document = (await c.get("/api/v1/schema/openapi.json")).json()
            w = Workload(proxy.base, tokens, document)
            await w.prepare(c)
        stats = Stats()
        started = time.perf_counter()
        loads: list[float] = []

        async def sample_load() -> None:  # the machine may be shared: say how busy it was
            while True:
                loads.append(os.getloadavg()[0])
                await asyncio.sleep(5)

        sampler = asyncio.create_task(sample_load())
        await asyncio.gather(*(user_loop(n, w, stats, started + seconds) for n in range(users)))
        elapsed = time.perf_counter() - started
        sampler.cancel()
        loads.append(os.getloadavg()[0])
        problems = await check_database(site.database_url, stats)
        if any(stats.errors.values()):
            for name, path in (("nginx", proxy.tmp / "error.log"), ("server", site.data_dir / "server.log")):
                lines = [ln for ln in path.read_text(errors="replace").splitlines() if "rror" in ln or "xception" in ln]
                for ln in lines[-6:]:
                    print(f"  {name} log: {ln[:300]}")
        return {"workers": workers, "elapsed": elapsed, "stats": stats, "problems": problems, "notes": w.notes,
                "load": (min(loads), sum(loads) / len(loads), max(loads))}
    finally:
        await asyncio.to_thread(proxy.stop)
        await asyncio.to_thread(stop, proc)
        proxy.cleanup()
        await asyncio.to_thread(site.drop)


def report(results: list[dict]) -> bool:
    kinds = sorted({k for r in results for k in r["stats"].samples})
    head = f"{'':<10}" + "".join(f"{'workers=' + str(r['workers']):>34}" for r in results)
    print("\n" + head)
    print(f"{'':<10}" + "".join(f"{'req/s    p50 ms    p95 ms  err':>34}" for _ in results))
    ok = True
    for kind in ["all", *kinds]:
        cells = []
        for r in results:
            st = r["stats"]
            samples = [x for v in st.samples.values() for x in v] if kind == "all" else st.samples.get(kind, [])
            errs = sum(len(v) for v in st.errors.values()) if kind == "all" else len(st.errors.get(kind, []))
            p50, p95 = percentiles(samples) if samples else (0, 0)
            cells.append(f"{len(samples) / r['elapsed']:>9.1f} {p50:>9.1f} {p95:>9.1f} {errs:>4}")
        print(f"{kind:<10}" + "".join(f"{c:>34}" for c in cells))
    for r in results:
        errors = sum(len(v) for v in r["stats"].errors.values())
        st = r["stats"]
        print(f"workers={r['workers']}: {len(st.cases)} cases and {len(st.ballots)} ballots acknowledged — "
              + ("all found in the database" if not r["problems"] else "PROBLEMS: " + "; ".join(r["problems"]))
              + f"; errors: {errors}")
        lo, mean, hi = r["load"]
        print(f"  load average (1 min) during the run: mean {mean:.1f}, min {lo:.1f}, max {hi:.1f} "
              f"on {os.cpu_count()} cores")
        for kind, errs in st.errors.items():
            for e in sorted(set(errs))[:5]:
                print(f"  error [{kind}]: {e}")
        ok = ok and not errors and not r["problems"]
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    pg_admin = os.environ.get("COUNCIL_BENCH_PG_DSN") or os.environ.get("COUNCIL_TEST_PG_DSN")
    if not pg_admin:
        print("Set COUNCIL_BENCH_PG_DSN to a PostgreSQL server (source scripts/pg-temp.sh && pg_temp_start).")
        return 2
    results = []
    for n in args.workers:
        print(f"== {args.users} users through nginx (HTTPS), PostgreSQL, council serve --workers {n}, "
              f"{args.seconds:.0f} s ==", flush=True)
        results.append(asyncio.run(run_once(pg_admin, n, args.seconds, args.users)))
    ok = report(results)
    print("\nnginx load: " + ("no errors, nothing lost" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
