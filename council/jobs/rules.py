"""What a job is and who may see it. Pure: no web or database imports.

States: queued → running → done | failed. Nothing else moves a job: a running job whose runner
died is marked failed ("interrupted"), never started again, so no job ever runs twice (printing
voting letters twice would log two printings; an import committed twice would fail on its own
units).

Who may see a job (its page, its progress, its download): the roles of its kind — the
secretariat for voting letters and imports, administrators for backups — and, of those, the
requester and whoever serves the job's station (an administrator serves every station). The
wrong role is refused (403); the right role at another station gets 404, as for any row of a
station one does not serve.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.accounts.permissions import Role


def N_(msgid: str) -> str:
    return msgid


QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)
FINISHED = frozenset({DONE, FAILED})
MOVES = {QUEUED: frozenset({RUNNING, FAILED}), RUNNING: frozenset({DONE, FAILED}), DONE: frozenset(), FAILED: frozenset()}
STATE_LABELS = {QUEUED: N_("Waiting to start"), RUNNING: N_("Running"), DONE: N_("Ready"), FAILED: N_("Stopped with an error")}

SECRETARIAT = frozenset({Role.admin, Role.secretary})
ADMIN = frozenset({Role.admin})

# A finished job's file is kept this long, then removed (letters carry live voting links; a
# backup holds everything).
KEEP_HOURS = 24


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # msgid
    roles: frozenset
    handler: str  # "module:function", imported when a job of this kind runs
    per_station: bool = True


KINDS: dict[str, Kind] = {
    "letters": Kind("letters", N_("Voting letters for the whole electorate"), SECRETARIAT,
                    "council.votes.letters_job:run"),
    "import": Kind("import", N_("Register import"), SECRETARIAT, "council.places.import_job:run"),
    "backup": Kind("backup", N_("Backup"), ADMIN, "council.ops.backup_job:run", per_station=False),
}
# Every role that may see some job: the others are refused every job page before any row is read.
ANY_JOB_ROLES = frozenset().union(*(k.roles for k in KINDS.values()))


def may_move(old: str, new: str) -> bool:
    return new in MOVES.get(old, frozenset())


def role_may_see(role: str, kind: str) -> bool:
    k = KINDS.get(kind)
    return k is not None and role in k.roles


def station_may_see(*, is_admin: bool, station_ids, user_id: int, job_station: int | None,
                    requested_by: int | None) -> bool:
    if is_admin:
        return True
    if requested_by is not None and requested_by == user_id:
        return True
    return job_station is not None and job_station in station_ids


def advance(done: int, total: int, new_done: int, new_total: int | None = None) -> tuple[int, int]:
    """Progress only goes forward: a smaller count (a late update from a slower step) keeps the
    larger one, and done never passes total."""
    total = max(total, new_total if new_total is not None else total, 0)
    done = max(done, min(new_done, total) if total else new_done, 0)
    return done, total


def percent(done: int, total: int, state: str) -> int:
    if state == DONE:
        return 100
    if total <= 0:
        return 0
    return max(0, min(100, (done * 100) // total))
