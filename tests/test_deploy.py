"""The reference deployment, run: Debian's nginx with deploy/nginx/council.conf (a self-signed
certificate instead of Let's Encrypt's) in front of `council serve` (two worker processes on
PostgreSQL; one on SQLite, which refuses more), secure cookies on. Chromium signs in, registers a
case with a photo, votes through a voting link and downloads a PDF, all over HTTPS and HTTP/2.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from council.votes import tokens
from council.votes.common import secret_key
from council.votes.tables import VoteVoter
from tests.browser import browser, zh  # noqa: F401 (fixture)
from tests.conftest import BACKEND
from tests.liveserver import ROOT, free_port
from tests.nginx import SITE, Nginx
from tests.nginx import available as nginx_available
from tests.test_votes_services import new_open_vote

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not nginx_available(), reason="nginx or openssl missing (scripts/install.sh installs them)")]

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def https_site(database):
    app_port = free_port()
    proxy = Nginx([app_port]).start()
    tmp = proxy.tmp
    env = {**os.environ, "COUNCIL_SECURE_COOKIES": "1", "COUNCIL_PUBLIC_URL": proxy.base,
           "COUNCIL_LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1"}
    workers = "2" if BACKEND == "postgres" else "1"
    log = open(tmp / "app.log", "wb")
    app = subprocess.Popen([sys.executable, "-m", "council.cli", "serve", "--port", str(app_port), "--workers", workers],
                           cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert app.poll() is None, (tmp / "app.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{app_port}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, (tmp / "app.log").read_text()[-3000:]
                time.sleep(0.3)
        yield {"base": proxy.base, "tmp": tmp, "workers": int(workers)}
    finally:
        proxy.stop()
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGTERM)
            try:
                app.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
        log.close()
        proxy.cleanup()


@pytest.fixture(scope="module")
async def open_vote():
    vote_id = await new_open_vote(building="5栋")
    voter = await VoteVoter.select().where(VoteVoter.vote == vote_id).order_by(VoteVoter.id).first()
    return {"id": vote_id, "voter": voter["id"],
            "link": f"/v/{tokens.make_token(secret_key(), vote_id, voter['voter_key'], voter['token_salt'])}"}


def test_nginx_config_matches_the_app_upload_limit():
    from council.cases.pages import UPLOAD_BODY_LIMIT

    size = re.search(r"client_max_body_size (\d+)m;", SITE.read_text()).group(1)
    assert int(size) * 1024 * 1024 == UPLOAD_BODY_LIMIT


def test_login_case_with_photo_vote_and_pdf_over_https(open_vote, https_site, browser):
    base = https_site["base"]
    context = browser.new_context(ignore_https_errors=True, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{base}/login")
        assert page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol") == "h2"
        page.get_by_label(zh("Username")).fill("secretary")
        page.get_by_label(zh("Password")).fill("council-demo")
        page.get_by_role("button", name=zh("Sign in")).click()
        page.wait_for_url(f"{base}/")
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["council_session"]["secure"] and cookies["council_session"]["httpOnly"]
        assert cookies["csrftoken"]["secure"]

        # Static files come from nginx (its Expires header), not from the app.
        css = page.request.get(f"{base}/static/app.css")
        assert css.ok and "expires" in css.headers and css.headers.get("cache-control") == "max-age=31536000, public"
        # Every answer carries nginx's request id, the one in the app's log lines.
        home = page.request.get(f"{base}/")
        home_id = home.headers.get("x-request-id", "")
        assert re.fullmatch(r"[0-9a-f]{32}", home_id), home.headers

        # A case with a photo.
        photo = PNG + os.urandom(16)
        page.goto(f"{base}/cases/new")
        page.select_option("#f-kind", "request")
        page.fill("#f-title", "HTTPS：楼道灯不亮")
        page.fill("#f-description", "三楼楼道灯坏了一周。")
        page.select_option("#f-category", "facilities")
        page.select_option("#f-channel", "reception_day")
        page.set_input_files("#f-files", files=[{"name": "楼道.png", "mimeType": "image/png", "buffer": photo}])
        with page.expect_navigation():
            page.locator("#intake").get_by_role("button", name=zh("Register a concern")).click()
        assert re.search(r"/cases/\d+", page.url), page.url
        link = page.locator("a[href*='/files/']").first.get_attribute("href")
        served = page.request.get(f"{base}{link}" if link.startswith("/") else link)
        assert served.ok and served.body() == photo

        # A vote through a voting link (no account), then the vote's letter as a PDF.
        page.goto(f"{base}{open_vote['link']}")
        page.get_by_role("radio", name=zh("Agree"), exact=True).check()
        with page.expect_navigation():
            page.locator("#cast").click()
        assert zh("Thank you: your vote has been counted.") in page.locator("#confirmation").inner_text()
        letter = page.request.get(f"{base}/votes/{open_vote['id']}/letters.pdf?voter={open_vote['voter']}")
        assert letter.ok and letter.headers["content-type"] == "application/pdf"
        from pypdf import PdfReader

        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.body())).pages))
        assert f"{base}/v/" in text  # the QR link is built from COUNCIL_PUBLIC_URL
    finally:
        context.close()
    access = (https_site["tmp"] / "access.log").read_text()
    assert "POST /cases/new HTTP/2.0" in access and "POST /login HTTP/2.0" in access
    # COUNCIL_LOG_FORMAT=json: the app's log lines are JSON objects, each with its request's id.
    import json

    lines = (https_site["tmp"] / "app.log").read_text().splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert not [line for line in lines if re.match(r"^(INFO|WARNING|ERROR)\b", line)], lines[:10]
    assert any(e["request_id"] == home_id and '"GET / ' in e["message"] for e in logged), logged[-5:]
