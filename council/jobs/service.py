"""The job's use cases: ask for one, claim one (exactly one runner gets it), move its progress,
finish it with a file, fail it with a readable message, read it for someone allowed to.

Every state change is audited (job.queued by the requester; job.started / job.done / job.failed
by the runner, naming the job's requester in the entry).
"""

from __future__ import annotations

import asyncio

import datetime as dt
import json
import secrets
import time
from pathlib import Path
from typing import Any

from council import db, storage
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Forbidden, NotFound, OutOfScope
from council.jobs import rules
from council.jobs.tables import Job

# Who the audit log names for what the runner does (never a bare "system": issue 17).
RUNNER = Principal(user_id=0, username="jobs", display_name="后台任务（council）", role=Role.admin, via="jobs")

CLAIM_PG = (
    'UPDATE "job" SET "state" = \'running\', "claimed_by" = {}, "claim_until_ms" = {}, "started_at" = {} '
    'WHERE "state" = \'queued\' AND "id" = (SELECT "id" FROM "job" WHERE "state" = \'queued\' ORDER BY "id" '
    'LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *'
)
# SQLite: the claim runs inside BEGIN IMMEDIATE (db.write), one writer at a time: the row the
# sub-select finds is still queued when the UPDATE changes it.
CLAIM_SQLITE = CLAIM_PG.replace(" FOR UPDATE SKIP LOCKED", "")
INTERRUPTED_PG = (
    'UPDATE "job" SET "state" = \'failed\', "error" = {}, "finished_at" = {}, "claimed_by" = \'\' '
    'WHERE "id" IN (SELECT "id" FROM "job" WHERE "state" = \'running\' AND "claim_until_ms" < {} ORDER BY "id" '
    'LIMIT 20 FOR UPDATE SKIP LOCKED) AND "state" = \'running\' RETURNING *'
)
INTERRUPTED_SQLITE = INTERRUPTED_PG.replace(" FOR UPDATE SKIP LOCKED", "")
INTERRUPTED = rules.N_("The job was interrupted (the server or the worker stopped while it ran). Start it again.")


def now_ms() -> int:
    return int(time.time() * 1000)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _row(r: Any) -> dict:
    row = dict(r)
    for key in ("params", "message_params", "summary"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key] or "{}")
    return row


# ---------------------------------------------------------------- asking

async def enqueue(principal: Principal, kind: str, *, station: int | None, subject_id: int | None = None,
                  params: dict | None = None, total: int = 0, ip: str = "") -> int:
    """A new queued job (audited); the caller has checked that the principal may ask for it."""
    k = rules.KINDS[kind]
    if principal.role not in k.roles:
        raise Forbidden()
    async with db.write():
        rows = await Job.insert(Job(
            kind=kind, station=station, requested_by=principal.user_id or None,
            requested_label=principal.label[:120], subject_id=subject_id, params=json.dumps(params or {}),
            state=rules.QUEUED, total=max(total, 0), message=rules.N_("Waiting for a free worker."),
            created_at=utcnow())).returning(Job.id)
        job_id = rows[0]["id"]
        await audit.record(principal, "job.queued", entity_type="job", entity_id=job_id,
                           after={"kind": kind, "state": rules.QUEUED, "subject": subject_id}, station_id=station, ip=ip)
    from council.jobs import runner

    runner.wake()
    return job_id


# ---------------------------------------------------------------- the runner's side

async def claim(holder: str, claim_seconds: float) -> dict | None:
    """Take the oldest queued job, or None. Atomic on both engines: of any number of claimers
    (processes, machines, tasks), exactly one gets a given job."""
    at = utcnow()
    async with db.write():
        rows = await db.raw(CLAIM_SQLITE if db.is_sqlite() else CLAIM_PG, holder,
                            now_ms() + int(claim_seconds * 1000), at)
        if not rows:
            return None
        job = _row(rows[0])
        await audit.record(RUNNER, "job.started", entity_type="job", entity_id=job["id"],
                           before={"state": rules.QUEUED}, after={"state": rules.RUNNING, "by": holder},
                           station_id=job["station"])
    return job


async def fail_interrupted() -> int:
    """Jobs left running by a runner that died (its claim ran out): failed, never run again."""
    at = utcnow()
    async with db.write():
        rows = await db.raw(INTERRUPTED_SQLITE if db.is_sqlite() else INTERRUPTED_PG, INTERRUPTED, at, now_ms())
        for r in rows:
            await audit.record(RUNNER, "job.failed", entity_type="job", entity_id=r["id"],
                               before={"state": rules.RUNNING}, after={"state": rules.FAILED, "error": INTERRUPTED},
                               station_id=r["station"])
    return len(rows)


async def heartbeat(job_id: int, holder: str, claim_seconds: float) -> bool:
    async with db.write():
        rows = await db.raw('UPDATE "job" SET "claim_until_ms" = {} WHERE "id" = {} AND "claimed_by" = {} '
                            'AND "state" = \'running\' RETURNING "id"', now_ms() + int(claim_seconds * 1000),
                            job_id, holder)
    return bool(rows)


async def progress(job_id: int, holder: str, done: int, total: int | None = None, message: str | None = None, /,
                   **params: Any) -> None:
    """Committed at once, so every page polling the job sees it. Only forward (rules.advance),
    whatever order updates arrive in; only by the runner holding the job."""
    lock = "" if db.is_sqlite() else " FOR UPDATE"
    async with db.write():
        rows = await db.raw('SELECT "done", "total" FROM "job" WHERE "id" = {} AND "claimed_by" = {} '
                            f'AND "state" = \'running\'{lock}', job_id, holder)
        if not rows:
            return
        d, t = rules.advance(rows[0]["done"], rows[0]["total"], done, total)
        sets, args = ['"done" = {}', '"total" = {}'], [d, t]
        if message is not None:
            sets += ['"message" = {}', '"message_params" = {}']
            args += [message, json.dumps(params, ensure_ascii=False)]
        await db.raw(f'UPDATE "job" SET {", ".join(sets)} WHERE "id" = {{}}', *args, job_id)


def new_key() -> str:
    return f"jobs/{secrets.token_hex(16)}"


async def finish(job: dict, holder: str, upload_dir: Path, *, content: bytes | None, name: str = "",
                 media: str = "", summary: dict | None = None) -> bool:
    """Done: the file kept (council.storage: the database on PostgreSQL) and the job marked, in one
    transaction. False when the job is no longer this runner's (it was declared interrupted)."""
    key = new_key() if content is not None else ""
    if content is not None and not storage.in_database():
        # Before the row that points at it; off the event loop (letters, a backup: megabytes).
        await asyncio.to_thread(storage.write_file, upload_dir, key, content)
    async with db.write():
        if content is not None and storage.in_database():
            await storage.put_row(key, content)
        rows = await db.raw(
            'UPDATE "job" SET "state" = \'done\', "done" = "total", "result_key" = {}, "result_name" = {}, '
            '"result_media" = {}, "result_size" = {}, "summary" = {}, "finished_at" = {}, "message" = {}, '
            '"message_params" = {} WHERE "id" = {} AND "claimed_by" = {} AND "state" = \'running\' RETURNING "id"',
            key, name[:200], media[:100], len(content or b""), json.dumps(summary or {}, ensure_ascii=False),
            utcnow(), rules.N_("Finished."), "{}", job["id"], holder)
        if not rows:
            if content is not None and storage.in_database():
                await storage.delete_rows(key)
            return False
        await audit.record(RUNNER, "job.done", entity_type="job", entity_id=job["id"],
                           before={"state": rules.RUNNING},
                           after={"state": rules.DONE, "file": name, "size": len(content or b""),
                                  "requested_by": job["requested_by"]},
                           station_id=job["station"])
    return True


async def fail(job: dict, holder: str, error: str, **params: Any) -> None:
    """Failed, with a message a person can read (a msgid and its parameters)."""
    async with db.write():
        rows = await db.raw(
            'UPDATE "job" SET "state" = \'failed\', "error" = {}, "message_params" = {}, "finished_at" = {} '
            'WHERE "id" = {} AND "claimed_by" = {} AND "state" = \'running\' RETURNING "id"',
            error[:2000], json.dumps({"error": params}, ensure_ascii=False), utcnow(), job["id"], holder)
        if rows:
            await audit.record(RUNNER, "job.failed", entity_type="job", entity_id=job["id"],
                               before={"state": rules.RUNNING}, after={"state": rules.FAILED, "error": error[:500]},
                               station_id=job["station"])


async def requester(job: dict) -> Principal | None:
    """The requester as they are now (their role and stations today, not when they asked)."""
    from council.accounts.services import principal_for_user
    from council.accounts.tables import User

    if not job.get("requested_by"):
        return None
    user = await User.select().where(User.id == job["requested_by"]).first()
    if user is None or not user["is_active"]:
        return None
    return await principal_for_user(user, via="job")


async def sweep(upload_dir: Path, hours: float = rules.KEEP_HOURS) -> int:
    """Remove the files of jobs finished more than `hours` ago (the job row stays, marked expired)."""
    cutoff = utcnow() - dt.timedelta(hours=hours)
    rows = await Job.select(Job.id, Job.result_key).where(
        (Job.result_key != "") & (Job.finished_at < cutoff))
    return await forget_results(upload_dir, rows)


async def forget_results(upload_dir: Path, rows: list[dict]) -> int:
    if not rows:
        return 0
    async with db.write():
        for r in rows:
            await Job.update({Job.result_key: "", Job.summary: json.dumps({"expired": True})}).where(Job.id == r["id"])
        if storage.in_database():
            await storage.delete_rows(*[r["result_key"] for r in rows])
    if not storage.in_database():
        for r in rows:
            (Path(upload_dir) / r["result_key"]).unlink(missing_ok=True)
    return len(rows)


# ---------------------------------------------------------------- reading

async def load_for(principal: Principal, job_id: int) -> dict:
    """The job, for someone allowed to see it: the wrong role 403, another station's 404."""
    if principal.role not in rules.ANY_JOB_ROLES:
        raise Forbidden()
    row = await Job.select().where(Job.id == job_id).first()
    if row is None:
        raise NotFound()
    job = _row(row)
    if not rules.role_may_see(principal.role, job["kind"]):
        raise Forbidden()
    if not rules.station_may_see(is_admin=principal.is_admin, station_ids=principal.station_ids,
                                 user_id=principal.user_id, job_station=job["station"],
                                 requested_by=job["requested_by"]):
        raise OutOfScope()
    return job


async def result_of(principal: Principal, job_id: int, upload_dir: Path, ip: str = "") -> tuple[dict, bytes]:
    job = await load_for(principal, job_id)
    if job["state"] != rules.DONE or not job["result_key"]:
        raise NotFound("This file is not ready, or it has been removed. Start the job again.")
    content = await storage.read(upload_dir, job["result_key"])
    if content is None:
        raise NotFound("This file is not ready, or it has been removed. Start the job again.")
    async with db.write():
        await audit.record(principal, "job.downloaded", entity_type="job", entity_id=job_id,
                           after={"file": job["result_name"]}, station_id=job["station"], ip=ip)
    return job, content


async def recent(principal: Principal, kind: str, *, subject_id: int | None = None, limit: int = 5) -> list[dict]:
    """The latest jobs of a kind this principal may see (a vote's letters, the backups)."""
    if not rules.role_may_see(principal.role, kind):
        return []
    q = Job.select(Job.id, Job.kind, Job.state, Job.done, Job.total, Job.created_at, Job.finished_at,
                   Job.requested_label, Job.result_key, Job.result_name, Job.station, Job.requested_by,
                   Job.error).where(Job.kind == kind)
    if subject_id is not None:
        q = q.where(Job.subject_id == subject_id)
    if not principal.is_admin:
        ids = list(principal.station_ids)
        q = q.where(Job.station.is_in(ids) if ids else Job.requested_by == principal.user_id)
    rows = await q.order_by(Job.id, ascending=False).limit(limit)
    return [dict(r) for r in rows]
