"""Long work in Debian's chromium (issue 17): a secretary prints the voting letters of a whole
electorate, watches the progress bar reach 100 % and downloads the PDF — in Chinese, with the
server's own in-process job runner (no `council worker` running)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from council.votes.tables import VoteVoter
from tests.browser import browser, live_server, shot, sign_in, zh  # noqa: F401 (fixtures)
from tests.test_votes_services import new_open_vote

pytestmark = pytest.mark.browser


# Set up before Playwright starts its own event loop (hence first in the test's arguments).
@pytest.fixture(scope="module")
async def vote():
    vote_id = await new_open_vote(building="2栋", title="2栋屋面防水维修表决")
    return {"id": vote_id, "voters": await VoteVoter.count().where(VoteVoter.vote == vote_id)}


def test_secretary_prints_the_letters_watches_the_bar_and_downloads_them(vote, browser, live_server):
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/votes/{vote['id']}")
        with page.expect_navigation():
            page.get_by_role("button", name=zh("Voting letters (PDF)")).click()  # 1 click
        assert "/jobs/" in page.url
        assert page.locator("h1").inner_text() == zh("Voting letters for the whole electorate") == "全体表决人的表决票"
        # The page follows the job by itself (council/static/jobs.js), then reloads once it is
        # done to offer the file: nobody presses anything. (wait_for_function would evaluate a
        # string, which the Content-Security-Policy forbids: poll from here instead.)
        import time

        seen, download_link = [], page.locator("#job-download")
        deadline = time.monotonic() + 120
        while download_link.count() == 0 and time.monotonic() < deadline:
            try:
                seen.append(int(page.locator("#job-progress").evaluate("e => e.value")))
            except Exception:  # the page was reloading
                pass
            page.wait_for_timeout(150)
        download_link.wait_for(timeout=5_000)
        seen.append(int(page.locator("#job-progress").evaluate("e => e.value")))
        assert seen[-1] == 100 and seen == sorted(seen), seen  # it reached 100 % and never went back
        assert page.locator("#job-state").inner_text() == zh("Ready") == "已完成"
        assert page.locator("#job-percent").inner_text() == "100%"
        shot(page, "jobs-1-letters-ready")
        with page.expect_download() as info:
            download_link.click()  # 2 clicks in all
        pdf = info.value
        assert pdf.suggested_filename == f"vote-{vote['id']}-letters.pdf"
        reader = PdfReader(io.BytesIO(open(pdf.path(), "rb").read()))
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert text.count("2栋屋面防水维修表决") >= vote["voters"] and text.count(f"V{vote['id']}-") == vote["voters"]
        assert "表决票" in text
    finally:
        context.close()


def test_admin_creates_a_backup_from_the_page(browser, live_server):
    """The backups page and a backup job's page, checked with axe-core too (tests.browser.shot)."""
    import json
    import tarfile
    import time

    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        sign_in(page, live_server, "admin")
        page.goto(f"{live_server}/admin/backups")
        shot(page, "jobs-2-backups")
        with page.expect_navigation():
            page.get_by_role("button", name=zh("Create a backup")).click()
        assert "/jobs/" in page.url
        link = page.locator("#job-download")
        deadline = time.monotonic() + 120
        while link.count() == 0 and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        link.wait_for(timeout=5_000)
        shot(page, "jobs-3-backup-ready")
        with page.expect_download() as info:
            link.click()
        with tarfile.open(info.value.path(), "r:gz") as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())
        assert manifest["tables"]["job"] >= 1 and any("0021_jobs" in m for m in manifest["migrations"])
    finally:
        context.close()
