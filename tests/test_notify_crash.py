"""kill -9 of a real `council worker` process while 1,000 notifications are queued: none lost,
none sent twice (counted at the SMS stand-in by OutId), on either database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from council import db
from council.notify import outbox
from council.notify.tables import Attempt, Outbox
from tests.notify_standins import AliyunSms

ROOT = Path(__file__).resolve().parent.parent
N = 1000


def _worker(env: dict, log: Path) -> subprocess.Popen:
    # The log goes to a file: a pipe nobody reads would block the worker once full.
    return subprocess.Popen([sys.executable, "-m", "council.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log, "ab"))


async def _statuses(key: str) -> list:
    return await Outbox.select(Outbox.status, Outbox.attempts, Outbox.last_error, Outbox.next_ms, Outbox.claim_until_ms).where(
        (Outbox.event_key == key) & (Outbox.status != "sent"))


async def _count(key: str, status: str) -> int:
    return await Outbox.count().where((Outbox.event_key == key) & (Outbox.status == status))


async def test_kill_9_loses_none_and_duplicates_none(tmp_path):
    import asyncio

    key = f"test.crash:{time.time_ns()}"
    targets = [outbox.Target(f"org:{900000 + i}", f"单位{i}", addresses={"sms": f"139{i:08d}"}) for i in range(N)]
    quiet, outbox.QUIET = outbox.QUIET, ("00:00", "00:00")
    try:
        async with db.write():
            assert await outbox.enqueue("request.chase", key, targets, {"number": "ZXL-2026-9999", "title": "压力"}) == N
    finally:
        outbox.QUIET = quiet
    ids = {r["id"] for r in await Outbox.select(Outbox.id).where(Outbox.event_key == key)}
    with AliyunSms() as sms:
        env = {**os.environ, **sms.env(), "COUNCIL_NOTIFY_CLAIM_SECONDS": "2", "COUNCIL_NOTIFY_POLL": "0.2"}
        log = tmp_path / "worker.log"
        first = _worker(env, log)
        try:
            deadline = time.monotonic() + 30
            while sum(1 for k in sms.out_ids() if k in {f"council-{i}" for i in ids}) < N // 4:
                assert first.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, "the worker sent too little"
                await asyncio.sleep(0.02)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        sent_before = await _count(key, "sent")
        assert sent_before < N, "killed too late to prove anything"
        second = _worker(env, log)
        try:
            deadline = time.monotonic() + 40
            while await _count(key, "sent") < N:
                assert second.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, await _statuses(key)
                await asyncio.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        got = sms.out_ids()
        mine = {k: n for k, n in got.items() if k in {f"council-{i}" for i in ids}}
        assert len(mine) == N, f"lost {N - len(mine)}"
        assert max(mine.values()) == 1, f"duplicated: {[k for k, n in mine.items() if n > 1][:5]}"
    interrupted = await Attempt.count().where(Attempt.outbox.is_in(list(ids)) & Attempt.outcome.is_in(["reconciled", "resent"]))
    print(f"sent before the kill: {sent_before}, reconciled or resent after it: {interrupted}")
