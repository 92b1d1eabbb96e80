"""Background jobs (council.jobs): claiming is exclusive, progress only goes forward, a failure
reads as a sentence, and the three long operations — voting letters, a large register import, a
backup — end with their result, seen and downloaded only by who may."""

from __future__ import annotations

import asyncio
import io
import json
import time

import pytest
from pypdf import PdfReader

from council.accounts.principal import SYSTEM
from council.audit.tables import AuditEntry
from council.core.errors import Forbidden, NotFound
from council.jobs import rules, service
from council.jobs.pages import status_of
from council.jobs.runner import drain
from council.jobs.tables import Job
from council.web.rendering import translator
from tests.support import login, post_form
from tests.test_imports import commit_token, counts, csv_bytes, new_estate, other_station_estate, phone, principal, upload
from tests.test_votes_services import new_open_vote
from council.votes.tables import VoteVoter


# ---------------------------------------------------------------- the rules (pure)

def test_progress_only_goes_forward_and_stays_within_the_total():
    assert rules.advance(5, 10, 3) == (5, 10)
    assert rules.advance(5, 10, 7) == (7, 10)
    assert rules.advance(5, 10, 40) == (10, 10)
    assert rules.advance(5, 10, 6, 8) == (6, 10)  # a smaller total never shrinks the bar
    assert rules.advance(0, 0, 3, 12) == (3, 12)
    assert rules.percent(1, 3, "running") == 33
    assert rules.percent(0, 0, "running") == 0
    assert rules.percent(0, 0, "done") == 100


def test_states_move_one_way():
    assert rules.may_move("queued", "running") and rules.may_move("running", "done")
    assert rules.may_move("running", "failed") and rules.may_move("queued", "failed")
    assert not rules.may_move("done", "running") and not rules.may_move("failed", "queued")
    assert not rules.may_move("running", "queued")  # an interrupted job is never started again


def test_who_may_see_a_job():
    assert rules.role_may_see("secretary", "letters") and rules.role_may_see("admin", "backup")
    assert not rules.role_may_see("secretary", "backup") and not rules.role_may_see("grid_worker", "letters")
    assert rules.station_may_see(is_admin=False, station_ids={1}, user_id=9, job_station=1, requested_by=3)
    assert not rules.station_may_see(is_admin=False, station_ids={2}, user_id=9, job_station=1, requested_by=3)
    assert rules.station_may_see(is_admin=False, station_ids=set(), user_id=3, job_station=1, requested_by=3)
    assert rules.station_may_see(is_admin=True, station_ids=set(), user_id=1, job_station=None, requested_by=3)


# ---------------------------------------------------------------- claiming and progress

async def _queued(n: int = 1) -> list[int]:
    return [await service.enqueue(SYSTEM, "backup", station=None, total=3) for _ in range(n)]


async def _discard(ids) -> None:
    await Job.update({Job.state: "failed", Job.claimed_by: ""}).where(Job.id.is_in(list(ids)))


async def test_two_claimers_one_job_exactly_one_gets_it():
    [job_id] = await _queued()
    try:
        got = await asyncio.gather(*[service.claim(f"claimer-{i}", 60) for i in range(2)])
        mine = [g for g in got if g is not None and g["id"] == job_id]
        assert len(mine) == 1, got
        row = await Job.select().where(Job.id == job_id).first()
        assert row["state"] == "running" and row["claimed_by"] == mine[0]["claimed_by"]
        assert await service.claim("late", 60) is None or (await service.claim("late", 60))["id"] != job_id
        started = await AuditEntry.count().where((AuditEntry.action == "job.started") & (AuditEntry.entity_id == job_id))
        assert started == 1
    finally:
        await _discard([job_id])


async def test_many_claimers_many_jobs_each_job_claimed_once():
    ids = await _queued(4)
    try:
        got = await asyncio.gather(*[service.claim(f"c{i}", 60) for i in range(8)])
        claimed = [g["id"] for g in got if g is not None and g["id"] in ids]
        assert sorted(claimed) == sorted(ids)  # each once, none twice
    finally:
        await _discard(ids)


async def test_progress_is_monotonic_and_only_the_holder_moves_it():
    [job_id] = await _queued()
    try:
        job = None
        while job is None or job["id"] != job_id:
            job = await service.claim("holder", 60)
        await service.progress(job_id, "holder", 2, 10, "Checking the archive.")
        await service.progress(job_id, "holder", 1)  # late, smaller: ignored
        row = await Job.select(Job.done, Job.total).where(Job.id == job_id).first()
        assert (row["done"], row["total"]) == (2, 10)
        await service.progress(job_id, "someone-else", 9)
        assert (await Job.select(Job.done).where(Job.id == job_id).first())["done"] == 2
        await service.progress(job_id, "holder", 99)
        assert (await Job.select(Job.done).where(Job.id == job_id).first())["done"] == 10
    finally:
        await _discard([job_id])


async def test_a_job_whose_runner_died_fails_and_is_never_run_again():
    [job_id] = await _queued()
    try:
        job = None
        while job is None or job["id"] != job_id:
            job = await service.claim("dead-runner", 0.001)
        await asyncio.sleep(0.01)
        await service.fail_interrupted()
        row = await Job.select().where(Job.id == job_id).first()
        assert row["state"] == "failed" and "interrupted" in row["error"]
        zh = status_of(service._row(row), translator("zh_CN"))
        assert zh["error"] and "中断" in zh["error"]
        # the dead runner coming back cannot finish it
        assert not await service.finish(job, "dead-runner", __import__("pathlib").Path("/tmp"), content=None)
    finally:
        await _discard([job_id])


async def test_a_failure_is_recorded_with_a_readable_message(settings):
    """Letters asked for a vote that then closed: the job fails, saying why, in the reader's language."""
    sec = await principal("secretary")
    vote_id = await new_open_vote()
    from council.votes import letters_job, manage

    job_id = await letters_job.start(sec, vote_id, base_url="http://testserver", locale="zh_CN")
    await manage.close_vote(sec, vote_id, reason="测试提前结束")
    await drain(settings.upload_dir)
    row = await service.load_for(sec, job_id)
    assert row["state"] == "failed" and row["finished_at"] is not None
    assert row["error"] == "Voting letters are printed while the vote is open."
    zh = status_of(row, translator("zh_CN"))["error"]
    assert zh and zh != row["error"]  # translated
    assert status_of(row, translator("en"))["error"] == "Voting letters are printed while the vote is open."
    failed = await AuditEntry.select().where((AuditEntry.action == "job.failed") & (AuditEntry.entity_id == job_id))
    assert failed and failed[0]["after"]  # audited, with the reason


# ---------------------------------------------------------------- the three operations, through the pages

def _wait(client, job_id: int, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        r = client.get(f"/jobs/{job_id}/status")
        assert r.status_code == 200, r.text
        s = r.json()
        seen.append(s["percent"])
        if s["finished"]:
            assert seen == sorted(seen), seen  # the bar never went back
            return s
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {seen[-5:]}")


async def test_letters_for_the_whole_electorate_as_a_job(as_user, monkeypatch):
    from council.votes import letters_job

    monkeypatch.setattr(letters_job, "CHUNK", 2)  # several renders joined into one PDF
    vote_id = await new_open_vote(title="楼道灯更换表决（任务测试）")
    voters = await VoteVoter.count().where(VoteVoter.vote == vote_id)
    assert voters >= 3
    sec = as_user("secretary")
    page = sec.get(f"/votes/{vote_id}")
    assert f'action="/votes/{vote_id}/letters"' in page.text
    r = post_form(sec, f"/votes/{vote_id}/letters", {})
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    html = sec.get(f"/jobs/{job_id}").text
    assert "<progress" in html and "jobs.js" in html and 'http-equiv="refresh"' in html
    s = _wait(sec, job_id)
    assert s["state"] == "done" and s["percent"] == 100 and s["done"] == voters and s["download"]
    done_page = sec.get(f"/jobs/{job_id}").text
    assert 'http-equiv="refresh"' not in done_page and f"/jobs/{job_id}/download" in done_page
    pdf = sec.get(s["download"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= voters
    assert text.count("楼道灯更换表决（任务测试）") >= voters
    assert text.count(f"V{vote_id}-") == voters  # one form number per household
    printed = await AuditEntry.select().where((AuditEntry.action == "vote.letters_printed") & (AuditEntry.entity_id == vote_id))
    after = printed[-1]["after"]
    after = json.loads(after) if isinstance(after, str) else after
    assert after["letters"] == voters and after["job"] == job_id
    assert f'href="/jobs/{job_id}"' in sec.get(f"/votes/{vote_id}").text  # found again from the vote
    # The same station's other staff: a grid worker is refused (role), not shown the file.
    gw = as_user("gridworker")
    assert gw.get(f"/jobs/{job_id}").status_code == 403
    assert gw.get(f"/jobs/{job_id}/download").status_code == 403
    # After a day the file is removed (it carries live voting links); the page says so.
    from council import storage

    key = (await Job.select(Job.result_key).where(Job.id == job_id).first())["result_key"]
    assert await service.forget_results(sec.app.state.settings.upload_dir,
                                        [{"id": job_id, "result_key": key}]) == 1
    assert await storage.read(sec.app.state.settings.upload_dir, key) is None
    assert sec.get(f"/jobs/{job_id}/download").status_code == 404
    assert "/download" not in sec.get(f"/jobs/{job_id}").text


async def test_a_large_import_runs_as_a_job_and_its_rows_are_there(client, monkeypatch):
    monkeypatch.setenv("COUNCIL_IMPORT_JOB_ROWS", "5")
    estate = await new_estate()
    rows = [[f"{b}栋", f"{b}-{u:03d}", "80.50", "登记", "否", f"业主{b}{u}", phone(), "", "", ""]
            for b in (1, 2) for u in range(101, 106)]
    login(client, "secretary")
    r = upload(client, estate, csv_bytes(rows))
    assert r.status_code == 200, r.text
    token = commit_token(r.text)
    assert 'id="import-in-background"' in r.text  # said before the button is pressed
    before = await counts(estate)
    r = post_form(client, "/imports/commit", {"token": token, "estate": str(estate)})
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/"), r.text
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    s = _wait(client, job_id)
    assert s["state"] == "done", s
    after = await counts(estate)
    assert after["units"] - before["units"] == 10 and after["buildings"] - before["buildings"] == 2
    assert after["imports"] == before["imports"] + 1
    page = client.get(f"/jobs/{job_id}").text
    assert f"/units?estate={estate}" in page
    # A small file is still written at once.
    small_estate = await new_estate()
    small = upload(client, small_estate, csv_bytes(rows[:3]))
    assert 'id="import-in-background"' not in small.text
    r = post_form(client, "/imports/commit", {"token": commit_token(small.text), "estate": str(small_estate)})
    assert r.status_code == 200 and "location" not in r.headers
    assert (await counts(small_estate))["units"] == 3


async def test_backup_from_the_admin_page_restores(client, settings, tmp_path):
    from council.ops import backup as ops

    login(client, "admin")
    page = client.get("/admin/backups")
    assert page.status_code == 200 and 'action="/admin/backups"' in page.text
    assert post_form(client, "/admin/backups", {}).status_code == 422  # a bare POST starts nothing
    r = post_form(client, "/admin/backups", {"start": "backup"})
    assert r.status_code == 303
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    s = _wait(client, job_id, 180)
    assert s["state"] == "done", s
    archive = client.get(s["download"])
    assert archive.status_code == 200 and "attachment" in archive.headers["content-disposition"]
    path = tmp_path / "from-the-page.tar.gz"
    path.write_bytes(archive.content)
    target = tmp_path / "restored"
    target.mkdir()
    if settings.database_url.startswith("sqlite"):
        url = f"sqlite:///{target / 'council.db'}"
        report = await ops.restore_backup(path, url, target / "uploads")
    else:
        import re
        import secrets

        import asyncpg

        name = f"council_restore_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(settings.database_url)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = re.sub(r"/[^/]*$", f"/{name}", settings.database_url)
        try:
            report = await ops.restore_backup(path, url, target / "uploads")
        finally:
            conn = await asyncpg.connect(settings.database_url)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()
    # restore_backup checked every table's row count and every file's sha256 against the manifest
    assert report["manifest"]["tables"]["job"] >= 1 and "0021_jobs" in report["manifest"]["migrations"]
    # a secretary may neither start one nor see this one
    assert post_form(client, "/logout", {}).status_code in (302, 303)
    login(client, "secretary")
    assert client.get(f"/jobs/{job_id}").status_code == 403
    assert client.get(f"/jobs/{job_id}/download").status_code == 403
    assert client.get("/admin/backups").status_code == 403
    assert post_form(client, "/admin/backups", {"start": "backup"}).status_code == 403


# ---------------------------------------------------------------- station scoping

async def test_another_stations_secretary_gets_404(settings):
    """A job of the demo station, read by a secretary of another station: not found."""
    from council.accounts.principal import Principal

    sec = await principal("secretary")
    vote_id = await new_open_vote()
    from council.votes import letters_job

    job_id = await letters_job.start(sec, vote_id, base_url="http://testserver", locale="zh_CN")
    await _discard([job_id])
    stranger = Principal(user_id=999999, username="x", display_name="x", role="secretary",
                         station_ids=frozenset({999999}))
    with pytest.raises(NotFound):
        await service.load_for(stranger, job_id)
    with pytest.raises(NotFound):
        await service.result_of(stranger, job_id, settings.upload_dir)
    with pytest.raises(Forbidden):
        await service.load_for(await principal("mediator"), job_id)
    assert (await service.load_for(sec, job_id))["id"] == job_id
    assert (await service.load_for(await principal("admin"), job_id))["id"] == job_id
    assert await service.recent(stranger, "letters", subject_id=vote_id) == []


async def test_two_runners_one_job_it_runs_once(settings):
    """Two runners (two server processes, or a server and `council worker`) look at once: the job
    runs in one of them, once. A letters job for a vote that does not exist fails at once, so the
    race costs nothing to run."""
    from council.jobs.runner import Runner

    sec = await principal("secretary")
    job_id = await service.enqueue(sec, "letters", station=next(iter(sec.station_ids)), subject_id=999999,
                                   params={"vote": 999999, "base_url": "http://testserver", "locale": "en"})
    a, b = Runner(settings.upload_dir, poll=0.05), Runner(settings.upload_dir, poll=0.05)
    await asyncio.gather(a.run(until_idle=True), b.run(until_idle=True))
    row = await Job.select().where(Job.id == job_id).first()
    assert row["state"] == "failed" and row["error"] == "Not found."
    assert a.ran + b.ran >= 1
    started = await AuditEntry.count().where((AuditEntry.action == "job.started") & (AuditEntry.entity_id == job_id))
    failed = await AuditEntry.count().where((AuditEntry.action == "job.failed") & (AuditEntry.entity_id == job_id))
    assert (started, failed) == (1, 1)
