"""Piccolo's SQLite engine with long-lived connections: one writer and a few readers per event loop.

Piccolo's SQLiteEngine opens a connection (and, through aiosqlite, a thread) for every query
outside a transaction and for every transaction: each connection re-parses the whole schema and
runs `PRAGMA foreign_keys` before every statement, and aiosqlite hops threads three or four times
a statement. Measured on this app (issue 19) that was most of the cost of a request.

PooledSQLiteEngine keeps Piccolo for the schema and the queries and changes only where they run:

- per event loop, one writer connection and up to `readers` reader connections, opened once with
  their PRAGMAs (foreign_keys, busy_timeout, synchronous=FULL; WAL set on the file once);
- reads, and the statements inside a write transaction, run on the event loop's thread (a
  thread hop costs more than a page's query); what may wait — the writer's BEGIN IMMEDIATE, its
  COMMIT (fsync), a lone write — runs on the writer's own thread (see Connection);
- every use of the writer — a transaction, or a single write outside one — first takes the
  loop's first-come, first-served lock, so writers queue in arrival order instead of racing
  SQLite's busy handler, and never share the connection's transaction by accident;
- a statement outside a transaction that only reads (SELECT, VALUES, a WITH without a write)
  runs on a reader, in autocommit: it sees everything committed before it started;
- engine.transaction() is a write transaction on the writer (BEGIN <type>, IMMEDIATE for
  council.db.write()); engine.read_transaction() is a DEFERRED one on a reader: one snapshot.
  Nested transactions join the outer one, as in Piccolo.
- group commit: the writer's transactions are savepoints inside one SQLite transaction, and a
  writer that finishes while others are queued for the writer leaves that transaction open for
  them; the last of the group (or one that finds the group full or old) COMMITs it, one fsync for
  all. Each writer's `async with` returns only after the COMMIT that holds its work has returned
  (synchronous=FULL: on disk), so nothing is acknowledged before it is durable; a writer that fails
  is rolled back to its savepoint and leaves the others' work alone; a COMMIT that fails fails every
  writer of its group (none of them was acknowledged). docs/reliability.md has the argument and
  the kill -9 test.

Nothing here is specific to Council: it could go upstream as an option of SQLiteEngine.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import sqlite3
import threading
import time
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.querystring import QueryString

from council.core.rows import Row


# ------------------------------------------------------------ column converters
# Piccolo registers a Python converter (sqlite3.register_converter: process-wide) for each declared
# type it reads back. The values stay the same; three of them cost more than they need to, per
# value of every row read (issue 19: 40% of reading the dashboard's year of cases):
# - INTEGER went bytes → str → Decimal → int, to turn a stray 1.0 into 1. A column declared INTEGER
#   has INTEGER affinity: SQLite itself stores any integral REAL or numeric text written to it as an
#   integer, so `int` on the value's bytes gives the same int (and fails, as Piccolo's did, on text
#   that is not a number);
# - TIMESTAMPTZ, TIMESTAMP, DATE and BOOLEAN went through a wrapper that decodes the bytes first
#   (it exists for Piccolo's array converters, which pass str and keep their own functions).
_UTC = datetime.timezone.utc
_datetime = datetime.datetime.fromisoformat
_date = datetime.date.fromisoformat


def _timestamptz_out(value: bytes) -> datetime.datetime:
    return _datetime(value.decode()).replace(tzinfo=_UTC)  # as piccolo's convert_timestamptz_out


def _timestamp_out(value: bytes) -> datetime.datetime:
    return _datetime(value.decode())


def _date_out(value: bytes) -> datetime.date:
    return _date(value.decode())


def _boolean_out(value: bytes) -> bool:
    return value == b"1"


def install_converters() -> None:
    """After Piccolo's own (importing piccolo.engine.sqlite registers them): ours replace them."""
    import piccolo.engine.sqlite  # noqa: F401

    sqlite3.register_converter("INTEGER", int)
    sqlite3.register_converter("TIMESTAMPTZ", _timestamptz_out)
    sqlite3.register_converter("TIMESTAMP", _timestamp_out)
    sqlite3.register_converter("DATE", _date_out)
    sqlite3.register_converter("BOOLEAN", _boolean_out)


install_converters()

_READ_ONLY = re.compile(r"^\s*\(*\s*(SELECT|VALUES|EXPLAIN)\b", re.IGNORECASE)
_WITH = re.compile(r"^\s*WITH\b", re.IGNORECASE)
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def reads_only(sql: str) -> bool:
    """True when the statement cannot write (so a reader connection may run it)."""
    if _READ_ONLY.match(sql):
        return True
    return bool(_WITH.match(sql)) and not _WRITES.search(sql)


# A statement whose recent runs took longer than this runs on its connection's thread, so a heavy
# read (a dashboard over 100,000 cases) does not hold the loop; the rest run inline.
SLOW_SECONDS = 0.003
_durations: dict[str, float] = {}  # SQL text -> moving average of its execution time, seconds


def _learn(sql: str, seconds: float) -> None:
    old = _durations.get(sql)
    if old is None:
        if len(_durations) >= 4096:
            _durations.clear()
        _durations[sql] = seconds
    else:
        _durations[sql] = old * 0.7 + seconds * 0.3


# Group commit: at most this many writers' transactions, and a group open at most this long, before
# a COMMIT (a writer that finds either reached commits instead of handing the group on).
GROUP_MAX = 32
GROUP_SECONDS = 0.05
_MEMBER = "council_member"  # the savepoint each writer's transaction is, inside its group


class GroupLost(sqlite3.OperationalError):
    """The transaction that held this writer's work was rolled back or failed to commit: nothing
    of it was written (and it was never acknowledged)."""


class Group:
    """One SQLite transaction on the writer holding several writers' work; `done` resolves when
    its COMMIT has returned (or failed)."""

    __slots__ = ("done", "members", "started")

    def __init__(self) -> None:
        self.done: asyncio.Future = asyncio.get_running_loop().create_future()
        self.members = 0
        self.started = time.monotonic()

    def full(self) -> bool:
        return self.members >= GROUP_MAX or time.monotonic() - self.started >= GROUP_SECONDS

    def fail(self, exc: BaseException) -> None:
        if not self.done.done():
            lost = GroupLost(f"the group commit failed: {exc!r}")
            lost.__cause__ = exc
            self.done.set_exception(lost)
            self.done.exception()  # retrieved: no "never retrieved" warning when no one waits


class Connection:
    """A sqlite3 connection, kept open, with a thread of its own.

    Where its statements run is the point of this class. A hop to another thread costs more
    than a page's small query itself (the GIL changes hands twice, up to its 5 ms switch
    interval each way under load), so statements that cannot wait and are quick run right here,
    on the event loop's thread: a reader's (WAL readers take no locks), and those inside a write
    transaction (its lock is already held). The rest run on the connection's own thread, so the
    loop serves other requests meanwhile: the writer's BEGIN IMMEDIATE (another process may hold
    the lock: up to the busy timeout), its COMMIT (an fsync: synchronous=FULL), ROLLBACK, a write
    outside a transaction, and any statement that has been slow (SLOW_SECONDS; sqlite3 lets go
    of the GIL while it works). The thread runs its calls in submission order, and the loop
    waits for each before running anything else on the connection."""

    def __init__(self, connect_kwargs: dict, pragmas: list[str], on_statement: Callable | None = None,
                 reader: bool = True):
        self._kwargs = connect_kwargs
        self._pragmas = pragmas
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="council-sqlite")
        self._conn: sqlite3.Connection | None = None
        self.on_statement = on_statement
        self.reader = reader
        # Readers: always. The writer: while its transaction is open (PooledTransaction sets it).
        self.inline = reader

    async def open(self) -> "Connection":
        await self._in_thread(self._open)
        return self

    def _open(self) -> None:
        conn = sqlite3.connect(**self._kwargs, check_same_thread=False)
        for pragma in self._pragmas:
            conn.execute(pragma).fetchall()
        self._conn = conn

    async def _in_thread(self, fn, *args):
        return await asyncio.wrap_future(self._thread.submit(fn, *args))

    def _execute(self, sql: str, args) -> list[dict]:
        cursor = self._conn.execute(sql, args)
        try:
            rows = cursor.fetchall()
            if not cursor.description:
                return []
            names = [d[0] for d in cursor.description]
            return [Row(zip(names, row)) for row in rows]
        finally:
            cursor.close()

    def _execute_timed(self, sql: str, args) -> tuple[list[dict], float]:
        started = time.perf_counter()
        rows = self._execute(sql, args)
        return rows, time.perf_counter() - started

    async def execute(self, sql: str, args=()) -> list[dict]:
        """Piccolo's queries, and its Savepoint (transaction.connection.execute)."""
        started = time.perf_counter()
        try:
            if self.inline and _durations.get(sql, 0.0) <= SLOW_SECONDS:
                rows = self._execute(sql, args or ())
                _learn(sql, time.perf_counter() - started)
                # Still an await point that lets others run, as a statement was before: a
                # request's reads do not hold the loop from one end of the page to the other.
                await asyncio.sleep(0)
                return rows
            rows, took = await self._in_thread(self._execute_timed, sql, args or ())
            if self.inline:
                _learn(sql, took)
            return rows
        finally:
            if self.on_statement is not None:
                self.on_statement(sql, time.perf_counter() - started)

    async def execute_waiting(self, sql: str) -> None:
        """BEGIN / COMMIT: statements that may wait (for the lock, for the disk)."""
        started = time.perf_counter()
        try:
            await self._in_thread(self._execute, sql, ())
        finally:
            if self.on_statement is not None:
                self.on_statement(sql, time.perf_counter() - started)

    def _commit(self) -> None:
        """COMMIT; if it fails, roll back what it held (so the connection is clean), then raise."""
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            self._rollback_if_open()
            raise

    def commit_future(self) -> "asyncio.Future":
        """The COMMIT, submitted to the thread: its result is the commit's outcome however the
        caller's task ends (a cancelled waiter cannot cancel it — see LoopConnections.commit_group)."""
        return asyncio.wrap_future(self._thread.submit(self._commit))

    def in_transaction(self) -> bool:
        return self._conn is not None and self._conn.in_transaction

    def _rollback_member(self, savepoint: str) -> bool:
        self._conn.execute(f"ROLLBACK TO {savepoint}")
        self._conn.execute(f"RELEASE {savepoint}")
        return self._conn.in_transaction

    async def rollback_member(self, savepoint: str) -> bool:
        """Undo a writer's savepoint, on the thread (behind whatever statement of a cancelled task
        it may still be running). False when the whole transaction had ended under it."""
        started = time.perf_counter()
        try:
            return await asyncio.shield(self._in_thread(self._rollback_member, savepoint))
        finally:
            if self.on_statement is not None:
                self.on_statement(f"ROLLBACK TO {savepoint}", time.perf_counter() - started)

    def _rollback_if_open(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    async def rollback_if_open(self) -> None:
        await self._in_thread(self._rollback_if_open)

    def schedule_rollback_if_open(self):
        """Roll back without waiting: on the thread, after whatever it is still running (a
        statement of a cancelled task) and before anything submitted later."""
        return self._thread.submit(self._rollback_if_open)

    def close(self) -> None:
        def _close():
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        try:
            self._thread.submit(_close)
            self._thread.shutdown(wait=False)
        except RuntimeError:  # already shut down
            pass


class LoopConnections:
    """The writer, the readers and the writers' queue of one event loop."""

    def __init__(self, engine: "PooledSQLiteEngine"):
        self.engine = engine
        self.lock = asyncio.Lock()  # asyncio.Lock wakes waiters in arrival order
        self.writer: Connection | None = None
        self._writer_opening: asyncio.Future | None = None
        self.idle: list[Connection] = []
        self.opened = 0
        self.waiters: deque[asyncio.Future] = deque()
        self.all: list[Connection] = []
        self.group: Group | None = None  # the writer's open transaction, holding writers' work
        self.writers_waiting = 0  # tasks queued on `lock`
        self._flushes: set[asyncio.Task] = set()

    # ---- the writers' queue and group commit

    async def acquire(self) -> None:
        """Take the writers' lock, in arrival order."""
        self.writers_waiting += 1
        try:
            await self.lock.acquire()
        except BaseException:
            self.writers_waiting -= 1
            # A writer handed the group on to us and we will not come: someone must commit it.
            if self.group is not None and self.writers_waiting == 0 and not self.lock.locked():
                self._spawn_flush()
            raise
        self.writers_waiting -= 1

    def release(self) -> None:
        """Give the writers' lock back. An open group with no writer left to hand it to is
        committed by a task of its own (the usual case — the last writer commits it — never
        gets here with a group open)."""
        self.lock.release()
        if self.group is not None and self.writers_waiting == 0:
            self._spawn_flush()

    def _spawn_flush(self) -> None:
        task = asyncio.get_running_loop().create_task(self._flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self) -> None:
        await self.acquire()
        try:
            if self.group is not None:
                await self.commit_group()
        except Exception:
            pass  # its writers have the error (Group.fail)
        finally:
            self.release()

    async def commit_group(self) -> None:
        """COMMIT the open group (the caller holds the lock). Raises when the COMMIT fails, after
        failing every writer in the group."""
        group, self.group = self.group, None
        if group is None:
            return
        conn = self.writer
        conn.inline = False
        started = time.perf_counter()
        outcome = conn.commit_future()

        def resolve(f: asyncio.Future) -> None:
            if f.cancelled():
                group.fail(asyncio.CancelledError())
            elif f.exception() is not None:
                group.fail(f.exception())
            elif not group.done.done():
                group.done.set_result(None)

        outcome.add_done_callback(resolve)
        try:
            # Shielded: the COMMIT's outcome decides the group's, whatever becomes of this task.
            await asyncio.shield(outcome)
        finally:
            if conn.on_statement is not None:
                conn.on_statement("COMMIT", time.perf_counter() - started)

    def lose_group(self, exc: BaseException) -> None:
        """The open group's state is unknown (a statement or savepoint step failed in a way that
        may have ended the transaction): roll it all back, fail its writers."""
        group, self.group = self.group, None
        if self.writer is not None:
            self.writer.inline = False
            self.writer.schedule_rollback_if_open()
        if group is not None:
            group.fail(exc)

    async def get_writer(self) -> Connection:
        if self.writer is not None:
            return self.writer
        if self._writer_opening is None:
            self._writer_opening = asyncio.get_running_loop().create_future()
            try:
                # WAL lets readers run while one writer writes; the mode is stored in the file.
                conn = await self.engine.new_connection(["PRAGMA journal_mode=WAL"], reader=False)
            except BaseException as e:
                self._writer_opening.set_exception(e)
                self._writer_opening.exception()  # retrieved: no "never retrieved" warning
                self._writer_opening = None
                raise
            self.all.append(conn)
            self.writer = conn
            self._writer_opening.set_result(conn)
            return conn
        return await asyncio.shield(self._writer_opening)

    async def take_reader(self) -> Connection:
        await self.get_writer()  # the file is in WAL mode before a reader opens it
        if self.idle:
            return self.idle.pop()
        if self.opened < self.engine.readers:
            self.opened += 1
            try:
                conn = await self.engine.new_connection([])
            except BaseException:
                self.opened -= 1
                raise
            self.all.append(conn)
            return conn
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as we were cancelled
                self.give_back(waiter.result())
            raise

    def give_back(self, conn: Connection, clean: bool = True) -> None:
        if not clean:
            # Its thread may still be running the statement of a cancelled task: the connection
            # comes back once the rollback queued behind that statement has run.
            loop = asyncio.get_running_loop()

            def back(_future) -> None:
                try:
                    loop.call_soon_threadsafe(self.give_back, conn, True)
                except RuntimeError:  # the loop is closed: its connections are going anyway
                    pass

            conn.schedule_rollback_if_open().add_done_callback(back)
            return
        while self.waiters:  # the longest waiting reader gets it
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    def close(self) -> None:
        if self.group is not None:
            self.group.fail(GroupLost("the connections were closed before the group committed"))
            self.group = None
        for conn in self.all:
            conn.close()
        self.all.clear()
        self.idle.clear()
        self.writer = None
        self.opened = 0


class PooledTransaction(SQLiteTransaction):
    """SQLiteTransaction on a kept connection: a reader for read transactions, else a savepoint in
    the writer's open group (behind the loop's writers' lock, held until the savepoint is released
    or rolled back; then the group is handed on or committed, see the module docstring)."""

    __slots__ = ("_read", "_loop_connections", "_holds_lock", "_group")

    def __init__(self, engine: "PooledSQLiteEngine", transaction_type: TransactionType = TransactionType.deferred,
                 allow_nested: bool = True, read: bool = False):
        super().__init__(engine=engine, transaction_type=transaction_type, allow_nested=allow_nested)
        self._read = read
        self._loop_connections: LoopConnections | None = None
        self._holds_lock = False
        self._group: Group | None = None

    async def __aenter__(self):
        if self._parent is not None:
            return self._parent
        lc = self._loop_connections = self.engine.loop_connections()
        if self._read:
            self.connection = await lc.take_reader()
            try:
                await self.connection.execute_waiting("BEGIN DEFERRED")
            except BaseException:
                self._release_reader(clean=False)
                raise
        else:
            await lc.acquire()
            self._holds_lock = True
            try:
                self.connection = await lc.get_writer()
                await self.begin()
            except BaseException as e:
                if lc.group is not None and self._group is None:
                    lc.lose_group(e)  # an unfinished SAVEPOINT step: the connection's state is unknown
                self._release_writer()
                raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def begin(self):
        """Join the open group, or open one (BEGIN IMMEDIATE, or EXCLUSIVE when asked), and mark
        this writer's start with a savepoint."""
        lc = self._loop_connections
        conn = self.connection
        if lc.group is None:
            kind = "EXCLUSIVE" if self.transaction_type == TransactionType.exclusive else "IMMEDIATE"
            await conn.execute_waiting(f"BEGIN {kind}")
            lc.group = Group()
        conn.inline = True
        await conn.execute(f"SAVEPOINT {_MEMBER}")
        self._group = lc.group
        self._group.members += 1

    async def commit(self):
        """This writer's work joins its group (RELEASE); it is durable once the group commits."""
        if self._read:
            await self.connection.execute_waiting("COMMIT")
        else:
            await self.connection.execute(f"RELEASE {_MEMBER}")
        self._committed = True

    async def rollback(self):
        """Undo this writer's work only (ROLLBACK TO its savepoint); the group goes on."""
        conn = self.connection
        if self._read:
            await conn.rollback_if_open()
        elif not await conn.rollback_member(_MEMBER):
            raise GroupLost("the transaction ended under a rolled-back writer")
        self._rolled_back = True

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        if self._read:
            clean = False
            try:
                if exception:
                    if not self._rolled_back:
                        await self.rollback()
                elif not self._committed and not self._rolled_back:
                    await self.commit()
                clean = True
            finally:
                self.engine.current_transaction.reset(self.context)
                self._release_reader(clean)
            return exception is None

        lc = self._loop_connections
        group = self._group
        try:
            try:
                if exception:
                    if not self._rolled_back:
                        await self.rollback()
                elif not self._committed and not self._rolled_back:
                    await self.commit()
            except BaseException as e:
                # A savepoint step failed or was interrupted: the group's state is unknown.
                if lc.group is group:
                    lc.lose_group(e)
                raise
            if lc.group is group and (lc.writers_waiting == 0 or group.full()):
                await lc.commit_group()  # nobody to hand the group to, or it is big enough
            # else the next writer in the queue takes the group on; the last one commits it
        finally:
            self.engine.current_transaction.reset(self.context)
            self._release_writer()
        if self._committed and not self._rolled_back:
            await asyncio.shield(group.done)  # acknowledged only once its COMMIT has returned
        return exception is None

    def _release_reader(self, clean: bool) -> None:
        conn = getattr(self, "connection", None)
        if conn is not None:
            self._loop_connections.give_back(conn, clean)

    def _release_writer(self) -> None:
        if self._holds_lock:
            self._holds_lock = False
            self._loop_connections.release()


# WAL checkpoints off the writers' path. SQLite's automatic checkpoint runs inside the COMMIT that
# takes the WAL past 1,000 pages: copying them into the database file and fsyncing it (synchronous
# FULL) while every queued writer waits, which made the slowest twentieth of 50 concurrent intakes
# (issue 19). A thread of the process checkpoints PASSIVE-ly every CHECKPOINT_SECONDS from its own
# connection instead (it waits for nobody and nobody waits for it); the writer's own automatic
# checkpoint stays as a backstop at BACKSTOP_PAGES should that thread ever fall behind. Durability is
# unchanged: a transaction is acknowledged once its COMMIT record is fsynced in the WAL, as before,
# and a checkpoint only copies committed pages (docs/reliability.md).
CHECKPOINT_SECONDS = 0.5
BACKSTOP_PAGES = 20000


class Checkpointer:
    """One per engine and process: a daemon thread running PRAGMA wal_checkpoint(PASSIVE)."""

    def __init__(self, connect_kwargs: dict):
        self.connect_kwargs = connect_kwargs
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="council-wal-checkpoint", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        conn = None
        try:
            conn = sqlite3.connect(**{k: v for k, v in self.connect_kwargs.items() if k != "detect_types"},
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 0")  # never wait: the next round will do
            while not self.stopping.wait(CHECKPOINT_SECONDS):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    pass  # busy or locked: the writer's backstop and the next round remain
        except sqlite3.Error:
            pass
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self.stopping.set()


class PooledSQLiteEngine(SQLiteEngine):
    """See the module docstring. `readers`: reader connections per event loop."""

    __slots__ = ("readers", "pragmas", "_loops", "_loops_guard", "on_statement", "checkpointer")

    def __init__(self, path: str, readers: int = 4, pragmas: list[str] | None = None, **connection_kwargs):
        super().__init__(path=path, **connection_kwargs)
        self.readers = readers
        timeout_ms = int(float(self.connection_kwargs.get("timeout", 5)) * 1000)
        self.pragmas = pragmas if pragmas is not None else [
            "PRAGMA foreign_keys = ON",
            f"PRAGMA busy_timeout = {timeout_ms}",
            "PRAGMA synchronous = FULL",
            f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}",
        ]
        self._loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopConnections]" = \
            weakref.WeakKeyDictionary()
        self._loops_guard = threading.Lock()
        self.on_statement: Callable[[str, float], None] | None = None
        self.checkpointer: Checkpointer | None = None

    # ------------------------------------------------------------ connections

    async def new_connection(self, first: list[str], reader: bool = True) -> Connection:
        return await Connection(self.connection_kwargs, [*first, *self.pragmas], self._note, reader).open()

    def _note(self, sql: str, seconds: float) -> None:
        if self.on_statement is not None:
            self.on_statement(sql, seconds)

    def loop_connections(self) -> LoopConnections:
        loop = asyncio.get_running_loop()
        lc = self._loops.get(loop)
        if lc is None:
            with self._loops_guard:
                lc = self._loops.get(loop)
                if lc is None:
                    lc = self._loops[loop] = LoopConnections(self)
        return lc

    async def start(self) -> None:
        """Open this loop's writer (which puts the file in WAL mode), and start the checkpoints."""
        await self.loop_connections().get_writer()
        with self._loops_guard:
            if self.checkpointer is None:
                self.checkpointer = Checkpointer(self.connection_kwargs)

    def close_loop(self) -> None:
        """Close this loop's connections (the server's shutdown)."""
        loop = asyncio.get_running_loop()
        lc = self._loops.pop(loop, None)
        if lc is not None:
            lc.close()
        with self._loops_guard:
            if not self._loops and self.checkpointer is not None:
                self.checkpointer.stop()
                self.checkpointer = None

    # ------------------------------------------------------------ running statements

    async def _run(self, sql: str, args: list[Any] | None) -> list[dict]:
        current = self.current_transaction.get()
        if current is not None:
            return await current.connection.execute(sql, args)
        lc = self.loop_connections()
        if reads_only(sql):
            conn = await lc.take_reader()
            clean = False
            try:
                rows = await conn.execute(sql, args)
                clean = True
                return rows
            finally:
                lc.give_back(conn, clean)
        await lc.acquire()
        try:
            if lc.group is not None:
                await lc.commit_group()  # a lone write is autocommit: the open group goes first
            conn = await lc.get_writer()
            return await conn.execute(sql, args)
        finally:
            lc.release()

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=querystring.__str__())
        query, query_args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._run(query, query_args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._run(ddl, None)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def _run_in_new_connection(self, query: str, args=None, query_type: str = "generic", table=None):
        return await self._run(query, args)

    # ------------------------------------------------------------ transactions

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> PooledTransaction:
        """A transaction on the writer: whoever asks for a transaction may write in it."""
        return PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    def read_transaction(self) -> PooledTransaction:
        """A DEFERRED transaction on a reader: several reads, one snapshot, no writers' queue."""
        return PooledTransaction(engine=self, transaction_type=TransactionType.deferred, read=True)
