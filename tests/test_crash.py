"""kill -9 during writes: the server is started on its own fresh site (SQLite file, or a new
PostgreSQL database when the suite runs on PostgreSQL); concurrent clients register cases, enter
ballots (into the demo's open vote and into a secret vote made for the test) and approve
corrected minutes (each approval renders and stores a PDF), and the server is killed with
SIGKILL mid-stream — twice. After each restart:

- SQLite's PRAGMA integrity_check says ok;
- every case, ballot and minutes version the server acknowledged is there, unchanged;
- nothing is half-made:
  - every case has its `created` timeline event and its audit entry, every case number is
    unique, and each station's counter equals the number of cases it numbered that year;
  - every entered ballot has its audit entry, and a secret vote's running totals add up to the
    number of ballots in it (participation and count are written in one transaction);
  - every minutes version has its PDF whose SHA-256 is the one recorded, a content hash that
    recomputes from its snapshot, numbers without gaps, and its approval in the audit log;
- the restarted server takes new writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sqlite3
import time

import httpx
import pytest

from tests.liveserver import Server, fresh_site

CASE_WRITERS = 4
BALLOT_WRITERS = 3
ROUNDS = 2


@pytest.fixture(scope="module")
def site():
    pg_admin = os.environ.get("COUNCIL_TEST_PG_DSN") if os.environ.get("COUNCIL_TEST_DB") == "postgres" else None
    s = fresh_site(pg_admin)
    yield s
    s.drop()


async def keep_writing(base: str, token: str, stop: asyncio.Event, attempt) -> None:
    """Call attempt(client, headers) until told to stop; while the server is gone, keep trying.
    Any answer from a live server must be below 500."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        headers = {"Authorization": f"Bearer {token}"}
        while not stop.is_set():
            try:
                await attempt(c, headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.05)


def case_writer(acknowledged: list):
    n = 0

    async def attempt(c, headers):
        nonlocal n
        n += 1
        r = await c.post("/api/v1/cases", headers=headers, json={
            "kind": "request", "title": f"断电测试 {n}", "description": "x" * 200,
            "category": "facilities", "channel": "reception_day"})
        if r.status_code == 201:
            acknowledged.append(r.json())
        else:
            assert r.status_code < 500, r.text

    return attempt


def _local_today() -> str:
    import datetime as dt

    from council.core.localtime import LOCAL

    return dt.datetime.now(LOCAL).date().isoformat()


def ballot_writer(queue: list, acknowledged: list, cap: list | None = None):
    """`cap`: at most cap[0] acknowledged ballots so far; the test gives each round its share of
    the voters (a fast server would use them all up in the first round, waiting for the minutes)."""
    async def attempt(c, headers):
        if not queue or (cap is not None and len(acknowledged) >= cap[0]):
            await asyncio.sleep(0.05)
            return
        vote, voter = queue.pop()
        r = await c.post(f"/api/v1/votes/{vote}/ballots", headers=headers, json={
            "choice": "agree", "channel": "paper", "voter": voter, "form_ref": f"crash-{vote}-{voter}",
            "received_on": _local_today()})
        if r.status_code == 201:
            acknowledged.append((vote, voter, r.json()["id"]))
        else:
            # 409: this voter's ballot went in just before a kill, unacknowledged. Never a 5xx.
            assert r.status_code in (409,), r.text

    return attempt


def minutes_writer(meeting: int, acknowledged: list):
    n = 0

    async def attempt(c, headers):
        nonlocal n
        m = (await c.get(f"/api/v1/meetings/{meeting}", headers=headers)).json()
        if m["state"] == "minutes_approved":
            n += 1
            r = await c.post(f"/api/v1/meetings/{meeting}/minutes/correct", headers=headers,
                             json={"reason": f"更正第 {n} 处笔误", "version": m["version"]})
            assert r.status_code in (204, 409), r.text
            return
        draft = (await c.get(f"/api/v1/meetings/{meeting}/minutes", headers=headers)).json()
        r = await c.post(f"/api/v1/meetings/{meeting}/minutes/approve", headers=headers,
                         json={"version": draft["version"]})
        if r.status_code == 200:
            acknowledged.append((meeting, r.json()["number"]))
        else:
            assert r.status_code == 409, r.text

    return attempt


async def prepare_votes_and_minutes(base: str, token: str) -> tuple[list, int]:
    """Voters without a ballot in the demo's open vote and in a new secret vote of the same
    estate; the demo meeting whose minutes are approved."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        votes = (await c.get("/api/v1/votes", params={"state": "open"}, headers=headers)).json()
        assert votes, "the demo has no open vote"
        public = (await c.get(f"/api/v1/votes/{votes[0]['id']}", headers=headers)).json()
        r = await c.post("/api/v1/votes", headers=headers, json={
            "title": "断电测试：无记名表决", "question": "是否同意？", "matter": "community", "rule_set": "simple_majority",
            "station": public["station"], "estate": public["scope_estate"], "secret": True})
        assert r.status_code == 201, r.text
        secret = r.json()
        r = await c.post(f"/api/v1/votes/{secret['id']}/open", headers=headers,
                         json={"version": secret["version"], "confirm_small_electorate": True})
        assert r.status_code == 200, r.text
        queue = []
        for vote in (public["id"], secret["id"]):
            voters = (await c.get(f"/api/v1/votes/{vote}/voters", headers=headers)).json()
            queue += [(vote, v["id"]) for v in voters if v["ballot"] is None]
        meetings = (await c.get("/api/v1/meetings", headers=headers)).json()
        meeting = next(m["id"] for m in meetings if m["state"] == "minutes_approved")
    import random

    random.shuffle(queue)
    return queue, meeting


async def query(site, sql: str) -> list[tuple]:
    if site.database_url.startswith("sqlite"):
        conn = sqlite3.connect(site.database_url.removeprefix("sqlite:///"))
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import asyncpg

    conn = await asyncpg.connect(site.database_url)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def check_consistent(site, acknowledged: list[dict]) -> None:
    if site.database_url.startswith("sqlite"):
        assert (await query(site, "PRAGMA integrity_check")) == [("ok",)]
    cases = dict(await query(site, "SELECT id, number FROM case_file"))
    lost = [a for a in acknowledged if cases.get(a["id"]) != a["number"]]
    assert not lost, f"{len(lost)} acknowledged cases lost: {lost[:5]}"
    no_event = await query(site, 'SELECT c.id FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM case_event e '
                                 'WHERE e."case" = c.id AND e.kind = \'created\')')
    assert not no_event, f"cases without their created event: {no_event[:5]}"
    no_audit = await query(site, "SELECT c.id FROM case_file c WHERE NOT EXISTS (SELECT 1 FROM audit_entry a "
                                 "WHERE a.action = 'case.create' AND a.entity_id = c.id)")
    assert not no_audit, f"cases without their audit entry: {no_audit[:5]}"
    assert not await query(site, "SELECT number FROM case_file GROUP BY number HAVING count(*) > 1")
    counted: dict[tuple[int, int], int] = {}
    for station, number in await query(site, "SELECT station, number FROM case_file"):
        year = int(re.search(r"-(\d{4})-\d+$", number).group(1))
        counted[(station, year)] = counted.get((station, year), 0) + 1
    counters = {(s, y): last for s, y, last in await query(site, 'SELECT station, year, "last" FROM case_counter')}
    assert counters == counted, (counters, counted)


async def check_ballots(site, acknowledged: list[tuple], baseline: int) -> None:
    ballots = {(v, voter): bid for bid, v, voter in await query(site, "SELECT id, vote, voter FROM vote_ballot")}
    lost = [a for a in acknowledged if ballots.get((a[0], a[1])) != a[2]]
    assert not lost, f"{len(lost)} acknowledged ballots lost: {lost[:5]}"
    # Each entered ballot and its audit entry are one transaction: their difference never moves.
    (entered,), = await query(site, "SELECT count(*) FROM vote_ballot WHERE channel = 'paper'")
    (audited,), = await query(site, "SELECT count(*) FROM audit_entry WHERE action = 'vote.ballot_entered'")
    assert entered - audited == baseline, (entered, audited, baseline)
    # A secret vote keeps only running totals: they add up to its ballots, no more, no fewer.
    for vote, heads, cast in await query(site, (
            "SELECT v.id, (SELECT coalesce(sum(heads), 0) FROM vote_secret_count s WHERE s.vote = v.id), "
            "(SELECT count(*) FROM vote_ballot b WHERE b.vote = v.id) FROM vote v WHERE v.secret")):
        assert heads == cast, f"secret vote {vote}: totals {heads} for {cast} ballots"


async def check_minutes(site, meeting: int, acknowledged: list[tuple]) -> None:
    from council.meetings.minutes import content_hash

    rows = await query(site, "SELECT number, snapshot, content_hash, pdf, pdf_sha256 FROM meeting_minutes_version "
                             f"WHERE meeting = {meeting} ORDER BY number")
    numbers = [r[0] for r in rows]
    assert numbers == list(range(1, len(rows) + 1)), numbers
    assert {n for _, n in acknowledged} <= set(numbers), (acknowledged, numbers)
    for number, snapshot, digest, pdf, pdf_sha in rows:
        pdf = bytes(pdf or b"")
        assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == pdf_sha, f"version {number}: PDF"
        snap = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
        assert snap.pop("content_hash") == digest == content_hash(snap), f"version {number}: content hash"
    (approvals,), = await query(site, "SELECT count(*) FROM audit_entry WHERE action = 'meeting.approve_minutes' "
                                      f"AND entity_id = {meeting}")
    assert approvals == len(rows), (approvals, len(rows))


async def test_kill_9_during_writes_loses_nothing_acknowledged(site):
    token = site.token("secretary")
    cases: list[dict] = []
    ballots: list[tuple] = []
    versions: list[tuple] = []
    server = Server(site)
    await asyncio.to_thread(server.start)
    try:
        queue, meeting = await prepare_votes_and_minutes(server.base, token)
    finally:
        server.stop()
    (entered,), = await query(site, "SELECT count(*) FROM vote_ballot WHERE channel = 'paper'")
    (audited,), = await query(site, "SELECT count(*) FROM audit_entry WHERE action = 'vote.ballot_entered'")
    baseline = entered - audited
    cap = [0]
    for round_ in range(ROUNDS):
        await asyncio.to_thread(server.start)
        stop = asyncio.Event()
        cap[0] = len(ballots) + len(queue) // (ROUNDS - round_)
        writers = [keep_writing(server.base, token, stop, case_writer(cases)) for _ in range(CASE_WRITERS)]
        writers += [keep_writing(server.base, token, stop, ballot_writer(queue, ballots, cap))
                    for _ in range(BALLOT_WRITERS)]
        writers.append(keep_writing(server.base, token, stop, minutes_writer(meeting, versions)))
        tasks = [asyncio.create_task(w) for w in writers]
        before = (len(cases), len(ballots), len(versions))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
                len(cases) >= before[0] + 20 and len(ballots) >= before[1] + 10 and len(versions) >= before[2] + 1):
            await asyncio.sleep(0.05)
        assert len(cases) >= before[0] + 20 and len(ballots) >= before[1] + 10 and len(versions) >= before[2] + 1, \
            f"the server took too few writes before the kill: {len(cases)} cases, {len(ballots)} ballots, {len(versions)} versions"
        server.kill()  # SIGKILL while the writers are mid-request
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*tasks)
        await check_consistent(site, cases)
        await check_ballots(site, ballots, baseline)
        await check_minutes(site, meeting, versions)

    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as c:
            r = await c.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"}, json={
                "kind": "request", "title": "重启之后", "category": "facilities", "channel": "reception_day"})
            assert r.status_code == 201, r.text
            cases.append(r.json())
    finally:
        server.stop()
    await check_consistent(site, cases)
    await check_ballots(site, ballots, baseline)
    await check_minutes(site, meeting, versions)
