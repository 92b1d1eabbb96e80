"""A real server in a subprocess on its own fresh data: for schemathesis, the crash test and the
load benchmark (benchmarks/load.py imports it). Nothing here touches the test session's database.

fresh_site()  a new data directory — SQLite in it, or a new database on the PostgreSQL server
              named by `pg_admin_dsn` — migrated, with the demo data, via the `council` command
Server        uvicorn on a free 127.0.0.1 port; start(), stop() (SIGTERM), kill() (SIGKILL)
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    data_dir: Path
    database_url: str
    env: dict = field(default_factory=dict)
    pg_admin_dsn: str | None = None
    pg_name: str | None = None

    def council(self, *args: str, stdin: str | None = None, timeout: float = 300) -> str:
        r = subprocess.run([sys.executable, "-m", "council.cli", *args], cwd=ROOT, env=self.env, input=stdin,
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f"council {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def token(self, username: str) -> str:
        return self.council("token", "create", username, "--name", "live").strip().splitlines()[-1]

    def drop(self) -> None:
        """Remove the data directory and, on PostgreSQL, the database."""
        import shutil

        shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.pg_name:
            import asyncio

            import asyncpg

            async def go():
                conn = await asyncpg.connect(self.pg_admin_dsn)
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
                await conn.close()

            asyncio.run(go())


def fresh_site(pg_admin_dsn: str | None = None, demo: bool = True) -> Site:
    data_dir = Path(tempfile.mkdtemp(prefix="council-live-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNCIL_")}
    env.update(COUNCIL_DATA_DIR=str(data_dir), COUNCIL_SECRET_KEY="live-server-secret-key-0123456789-abcdefgh",
               PYTHONUNBUFFERED="1")
    pg_name = None
    if pg_admin_dsn:
        import asyncio

        import asyncpg

        pg_name = f"council_live_{secrets.token_hex(4)}"

        async def go():
            conn = await asyncpg.connect(pg_admin_dsn)
            await conn.execute(f'CREATE DATABASE "{pg_name}"')
            await conn.close()

        asyncio.run(go())
        url = re.sub(r"/[^/]*$", f"/{pg_name}", pg_admin_dsn)
        env["COUNCIL_DATABASE_URL"] = url
    else:
        url = f"sqlite:///{data_dir / 'council.db'}"
    site = Site(data_dir, url, env, pg_admin_dsn, pg_name)
    site.council("migrate")
    if demo:
        site.council("demo")
    return site


class Server:
    """uvicorn in its own session. With a Site, on that site's data; without one (the Playwright
    tests, tests/browser.py), on whatever COUNCIL_* the test session set in os.environ."""

    def __init__(self, site: Site | None = None, port: int | None = None, workers: int = 1,
                 app: str = "council.app:create_app"):
        self.site = site
        self.app = app
        self.env = site.env if site else os.environ.copy()
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.log = (site.data_dir if site else Path(tempfile.mkdtemp(prefix="council-server-"))) / "server.log"

    def start(self, timeout: float = 60) -> "Server":
        args = [sys.executable, "-m", "uvicorn", self.app, "--factory", "--host", "127.0.0.1",
                "--port", str(self.port), "--log-level", "warning"]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz:\n" + self.log.read_text()[-3000:])

    def _signal(self, sig: int, wait: float) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)  # its own session: the workers and PDF pool go too
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def stop(self) -> None:
        self._signal(signal.SIGTERM, 20)

    def kill(self) -> None:
        """kill -9: no shutdown handlers, no flushing — a crash."""
        self._signal(signal.SIGKILL, 10)
