"""PostgreSQL restarted under load: the app recovers without being restarted itself.

A throwaway cluster (scripts/pg-temp.sh) serves a fresh site; clients keep reading and writing
through a live server while the cluster is restarted with `pg_ctl -m immediate` (a crash from
the app's point of view: every pooled connection dies). Requested while the database is down,
a call may fail — with a clear 503 problem, never a hang; once it is back, every call succeeds
again, the app process untouched, and every acknowledged case is in the database.

Runs only when the suite runs on PostgreSQL (COUNCIL_TEST_DB=postgres).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.liveserver import ROOT, Server, fresh_site

pytestmark = pytest.mark.skipif(os.environ.get("COUNCIL_TEST_DB") != "postgres",
                                reason="PostgreSQL only (COUNCIL_TEST_DB=postgres)")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def cluster():
    out = subprocess.run(
        ["bash", "-c", 'source scripts/pg-temp.sh && pg_temp_start >/dev/null && '
                       'echo "$PG_TEMP_DIR|$PG_TEMP_BIN|$COUNCIL_TEST_PG_DSN"'],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    folder, bin_dir, dsn = out.stdout.strip().splitlines()[-1].split("|")
    pg_ctl = [f"{bin_dir}/pg_ctl", "-D", f"{folder}/data"]
    port = dsn.rsplit(":", 1)[1].split("/")[0]
    # pg-temp.sh runs with synchronous_commit=off (fast, disposable), which by design may lose the
    # last commits in a crash. This test is about acknowledged writes surviving, so the cluster is
    # switched to durable commits first (fsync stays off: the OS itself does not crash here).
    opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=on"

    def restart(mode: str = "immediate") -> None:
        r = subprocess.run(_as_postgres([*pg_ctl, "-m", mode, "-w", "-t", "60", "restart", "-o", opts,
                                         "-l", f"{folder}/server.log"]),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr

    restart("fast")
    yield {"dsn": dsn, "restart": restart}
    subprocess.run(_as_postgres([*pg_ctl, "-m", "immediate", "-w", "stop"]), capture_output=True, timeout=60)
    subprocess.run(["rm", "-rf", folder], timeout=60)


async def test_app_recovers_after_postgres_restarts(cluster):
    site = await asyncio.to_thread(fresh_site, cluster["dsn"])
    server = Server(site)
    await asyncio.to_thread(server.start)
    token = site.token("secretary")
    auth = {"Authorization": f"Bearer {token}"}
    acknowledged: list[dict] = []
    log: list[tuple[float, str, int]] = []  # (time, kind, status or -1 for a transport error)
    stop = asyncio.Event()

    async def client_loop(n: int) -> None:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as c:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if i % 2:
                        r = await c.post("/api/v1/cases", headers=auth, json={
                            "kind": "request", "title": f"重启测试 {n}-{i}", "category": "facilities",
                            "channel": "reception_day"})
                        if r.status_code == 201:
                            acknowledged.append(r.json())
                    else:
                        r = await c.get("/api/v1/cases", headers=auth)
                    log.append((time.monotonic(), "write" if i % 2 else "read", r.status_code))
                    if r.status_code >= 500:
                        assert r.headers["content-type"].startswith("application/problem+json")
                except httpx.HTTPError:
                    log.append((time.monotonic(), "error", -1))
                await asyncio.sleep(0.01)

    try:
        tasks = [asyncio.create_task(client_loop(n)) for n in range(6)]
        await asyncio.sleep(2)
        assert any(s == 201 for _, _, s in log), "no writes before the restart"
        down = time.monotonic()
        await asyncio.to_thread(cluster["restart"])
        up = time.monotonic()
        # Allow the pool a moment to notice dead connections; after that, nothing may fail.
        await asyncio.sleep(3)
        settled = time.monotonic()
        await asyncio.sleep(4)
        stop.set()
        await asyncio.gather(*tasks)

        during = [s for t, _, s in log if down <= t <= settled]
        after = [s for t, _, s in log if t > settled]
        assert after and all(s in (200, 201) for s in after), f"failures after recovery: {sorted(set(after))}"
        assert len(after) > 20
        errors = sorted({line for line in server.log.read_text().splitlines() if "Error" in line and ":" in line})
        assert all(s in (200, 201, 503) for s in during), f"during the restart: {sorted(set(during))}\n" + \
            "\n".join(errors[-15:])
        assert server.proc.poll() is None, "the app process must not have been restarted"
        print(f"\nPostgreSQL restart took {up - down:.1f} s; requests during it: {len(during)} "
              f"({sum(1 for s in during if s not in (200, 201))} failed), after: {len(after)} (all ok)")

        import asyncpg

        conn = await asyncpg.connect(site.database_url)
        try:
            found = {r["id"]: r["number"] for r in await conn.fetch("SELECT id, number FROM case_file")}
        finally:
            await conn.close()
        lost = [a for a in acknowledged if found.get(a["id"]) != a["number"]]
        assert not lost, lost[:5]
    finally:
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(site.drop)
