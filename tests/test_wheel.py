"""The wheel serves with no checkout beside it.

`python -m build` makes the wheel; it goes into a fresh virtualenv whose only link to this
repository's venv is a .pth line for the third-party dependencies (installing them again from an
index would take minutes and the network). Then, from a directory outside the checkout, the
installed `council` command migrates, loads the demo and serves: every page reachable from the
home page by links is fetched in Chinese and in English, and a PDF is downloaded and read.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from tests.conftest import BACKEND
from tests.liveserver import ROOT, free_port

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="linux only")


def _run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
    assert r.returncode == 0, f"{args} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv bin folder, environment) of a fresh venv holding the built wheel."""
    pytest.importorskip("build")
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    # --no-isolation: build with this venv's setuptools and babel instead of fetching them.
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check",
          "-o", str(dist), str(ROOT)], cwd=ROOT)
    wheel = next(dist.glob("council-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # A plain path line: the dependencies only. The shared venv's editable `council` is a finder
    # installed by a .pth *inside* that folder, which a path line does not run.
    (site / "shared_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "PYTHON"))}
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile", "-q",
          str(wheel)],
         env=env, cwd=tmp)
    data = tmp / "data"
    env.update(COUNCIL_DATA_DIR=str(data), COUNCIL_SECRET_KEY="wheel-test-secret-key-0123456789-abcdefgh")
    pg_name = None
    if BACKEND == "postgres":
        import asyncio

        import asyncpg

        from tests.conftest import admin_dsn

        pg_name = f"council_wheel_{secrets.token_hex(4)}"

        async def create():
            conn = await asyncpg.connect(admin_dsn)
            await conn.execute(f'CREATE DATABASE "{pg_name}"')
            await conn.close()

        asyncio.run(create())
        env["COUNCIL_DATABASE_URL"] = re.sub(r"/[^/]*$", f"/{pg_name}", admin_dsn)
    try:
        yield venv / "bin", env, tmp
    finally:
        if pg_name:
            import asyncio

            import asyncpg

            from tests.conftest import admin_dsn

            async def drop():
                conn = await asyncpg.connect(admin_dsn)
                await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
                await conn.close()

            asyncio.run(drop())


def _sign_in(client: httpx.Client, username: str = "admin") -> None:
    client.get("/login")
    r = client.post("/login", data={"username": username, "password": "council-demo",
                                    "_csrf_token": client.cookies["csrftoken"], "next": "/"})
    assert r.status_code == 303, r.text


LINK = re.compile(r'href="(/[^"#]*)"')


def _crawl(client: httpx.Client, limit: int = 100) -> tuple[dict[str, int], list[str]]:
    """Status of every page reachable from / by links (GET, this site), and the PDF links seen."""
    seen: dict[str, int] = {}
    pdfs: list[str] = []
    todo = ["/"]
    shapes: set[str] = set()
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        r = client.get(url)
        seen[url] = r.status_code
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        for href in LINK.findall(r.text):
            href = href.replace("&amp;", "&")
            path = urllib.parse.urlsplit(href).path
            if path.startswith(("/static/", "/logout", "/api/")) or path in seen:
                continue
            if path.endswith(".pdf"):
                pdfs.append(href)
                continue
            # One page per route shape (/cases/1, /cases/2 … are the same template).
            shape = re.sub(r"\d+", "N", path)
            if shape in shapes:
                continue
            shapes.add(shape)
            todo.append(href)
    return seen, pdfs


def test_the_built_wheel_migrates_loads_the_demo_serves_and_renders_a_pdf(installed):
    bin_dir, env, outside = installed
    council = str(bin_dir / "council")
    # Imported from the venv, not from the checkout.
    where = _run([str(bin_dir / "python"), "-c", "import council; print(council.__file__)"], env=env, cwd=outside)
    assert where.strip().startswith(str(outside)), where
    assert re.fullmatch(r"council \S+\n", _run([council, "--version"], env=env, cwd=outside))
    _run([council, "migrate"], env=env, cwd=outside)
    _run([council, "demo"], env=env, cwd=outside)

    port = free_port()
    log = open(outside / "server.log", "wb")
    proc = subprocess.Popen([council, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=outside,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (outside / "server.log").read_text()
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (outside / "server.log").read_text()
            time.sleep(0.2)

        def crawl(lang: str, word: str) -> list[str]:
            with httpx.Client(base_url=base, headers={"Accept-Language": lang}, timeout=180) as client:
                assert word in client.get("/login").text
                _sign_in(client)
                seen, pdfs = _crawl(client)
                broken = {u: s for u, s in seen.items() if s >= 500 or s == 404}
                assert not broken, broken
                assert len(seen) >= 30, seen  # the crawl really walked the app
                assert f'<html lang="{lang}"' in client.get("/").text
                return pdfs

        # Both languages at once: the server is async, the crawls mostly wait on each other's pages.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            zh_pdfs, en_pdfs = pool.map(lambda a: crawl(*a), [("zh-CN", "登录"), ("en", "Sign in")])
        pdf_links = zh_pdfs + en_pdfs
        lang_pdfs = zh_pdfs
        assert pdf_links, "no PDF link found on any page"
        with httpx.Client(base_url=base, headers={"Accept-Language": "zh-CN"}, timeout=120) as client:
            _sign_in(client)
            for href in lang_pdfs[:3]:
                r = client.get(href)
                if r.status_code == 200 and r.content.startswith(b"%PDF"):
                    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
                    assert re.search(r"[\u4e00-\u9fff]", text), text[:200]  # Chinese text, a CJK font
                    break
            else:
                pytest.fail(f"no PDF rendered among {lang_pdfs[:3]}")
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()
