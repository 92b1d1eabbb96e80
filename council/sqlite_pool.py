"""Piccolo's SQLite engine with long-lived connections: one writer and a few readers per event loop.

Piccolo's SQLiteEngine opens a connection (and, through aiosqlite, a thread) for every query
outside a transaction and for every transaction: each connection re-parses the whole schema and
runs `PRAGMA foreign_keys` before every statement, and aiosqlite hops threads three or four times
a statement. Measured on this app (issue 19) that was most of the cost of a request.

PooledSQLiteEngine keeps Piccolo for the schema and the queries and changes only where they run:

- per event loop, one writer connection and up to `readers` reader connections, opened once with
  their PRAGMAs (foreign_keys, busy_timeout, synchronous=FULL; WAL set on the file once);
- each connection lives on its own thread (sqlite3 releases the GIL while it works, so a slow
  read does not stall the loop), and a statement is one hop: execute and fetch together;
- every use of the writer — a transaction, or a single write outside one — first takes the
  loop's first-come, first-served lock, so writers queue in arrival order instead of racing
  SQLite's busy handler, and never share the connection's transaction by accident;
- a statement outside a transaction that only reads (SELECT, VALUES, a WITH without a write)
  runs on a reader, in autocommit: it sees everything committed before it started;
- engine.transaction() is a write transaction on the writer (BEGIN <type>, IMMEDIATE for
  council.db.write()); engine.read_transaction() is a DEFERRED one on a reader: one snapshot.
  Nested transactions join the outer one, as in Piccolo.

Nothing here is specific to Council: it could go upstream as an option of SQLiteEngine.
"""

from __future__ import annotations

import asyncio
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

_READ_ONLY = re.compile(r"^\s*\(*\s*(SELECT|VALUES|EXPLAIN)\b", re.IGNORECASE)
_WITH = re.compile(r"^\s*WITH\b", re.IGNORECASE)
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def reads_only(sql: str) -> bool:
    """True when the statement cannot write (so a reader connection may run it)."""
    if _READ_ONLY.match(sql):
        return True
    return bool(_WITH.match(sql)) and not _WRITES.search(sql)


class Connection:
    """A sqlite3 connection, kept open.

    Where its statements run is the point of this class. A hop to another thread costs more
    than a page's small query itself (the GIL changes hands twice, up to its 5 ms switch
    interval each way under load), so statements that cannot wait run right here, on the event
    loop's thread: every statement of a reader (WAL readers take no locks), and the statements
    inside a write transaction (its lock is already held). What can wait runs on the connection's
    own thread, so the loop serves other requests meanwhile: the writer's BEGIN IMMEDIATE (another
    process may hold the lock: up to the busy timeout), its COMMIT (an fsync: synchronous=FULL),
    ROLLBACK, and a write outside a transaction. One worker thread runs its calls in submission
    order, and the loop always waits for them before running anything inline."""

    def __init__(self, connect_kwargs: dict, pragmas: list[str], on_statement: Callable | None = None,
                 threaded: bool = False):
        self._kwargs = connect_kwargs
        self._pragmas = pragmas
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="council-sqlite") if threaded else None
        self._conn: sqlite3.Connection | None = None
        self.on_statement = on_statement
        # Readers: always. The writer: while its transaction is open (PooledTransaction sets it).
        self.inline = not threaded

    async def open(self) -> "Connection":
        await self._in_thread(self._open)
        return self

    def _open(self) -> None:
        conn = sqlite3.connect(**self._kwargs, check_same_thread=False)
        for pragma in self._pragmas:
            conn.execute(pragma).fetchall()
        self._conn = conn

    async def _in_thread(self, fn, *args):
        if self._thread is None:
            return fn(*args)
        return await asyncio.wrap_future(self._thread.submit(fn, *args))

    def _execute(self, sql: str, args) -> list[dict]:
        cursor = self._conn.execute(sql, args)
        try:
            rows = cursor.fetchall()
            if not cursor.description:
                return []
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in rows]
        finally:
            cursor.close()

    async def execute(self, sql: str, args=()) -> list[dict]:
        """Piccolo's queries, and its Savepoint (transaction.connection.execute)."""
        started = time.perf_counter()
        try:
            if self.inline:
                return self._execute(sql, args or ())
            return await self._in_thread(self._execute, sql, args or ())
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

    def _rollback_if_open(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    async def rollback_if_open(self) -> None:
        await self._in_thread(self._rollback_if_open)

    def schedule_rollback_if_open(self) -> None:
        """Roll back without waiting: on the thread it runs before anything submitted after it."""
        if self._thread is None:
            self._rollback_if_open()
        else:
            self._thread.submit(self._rollback_if_open)

    def close(self) -> None:
        def _close():
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        if self._thread is None:
            _close()
            return
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

    async def get_writer(self) -> Connection:
        if self.writer is not None:
            return self.writer
        if self._writer_opening is None:
            self._writer_opening = asyncio.get_running_loop().create_future()
            try:
                # WAL lets readers run while one writer writes; the mode is stored in the file.
                conn = await self.engine.new_connection(["PRAGMA journal_mode=WAL"], threaded=True)
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
            conn.schedule_rollback_if_open()
        while self.waiters:  # the longest waiting reader gets it
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    def close(self) -> None:
        for conn in self.all:
            conn.close()
        self.all.clear()
        self.idle.clear()
        self.writer = None
        self.opened = 0


class PooledTransaction(SQLiteTransaction):
    """SQLiteTransaction on a kept connection: a reader for read transactions, else the writer
    (behind the loop's writers' lock, held until COMMIT or ROLLBACK is done)."""

    __slots__ = ("_read", "_loop_connections", "_holds_lock")

    def __init__(self, engine: "PooledSQLiteEngine", transaction_type: TransactionType = TransactionType.deferred,
                 allow_nested: bool = True, read: bool = False):
        super().__init__(engine=engine, transaction_type=transaction_type, allow_nested=allow_nested)
        self._read = read
        self._loop_connections: LoopConnections | None = None
        self._holds_lock = False

    async def __aenter__(self):
        if self._parent is not None:
            return self._parent
        lc = self._loop_connections = self.engine.loop_connections()
        if self._read:
            self.connection = await lc.take_reader()
        else:
            await lc.lock.acquire()
            self._holds_lock = True
            try:
                self.connection = await lc.get_writer()
            except BaseException:
                self._release(clean=True)
                raise
        try:
            await self.begin()
        except BaseException:
            self._release(clean=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def begin(self):
        await self.connection.execute_waiting(f"BEGIN {self.transaction_type.value}")
        self.connection.inline = True

    async def commit(self):
        self.connection.inline = self._read
        await self.connection.execute_waiting("COMMIT")
        self._committed = True

    async def rollback(self):
        self.connection.inline = self._read
        await self.connection.rollback_if_open()
        self._rolled_back = True

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
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
            self._release(clean)
        return exception is None

    def _release(self, clean: bool) -> None:
        lc = self._loop_connections
        conn = getattr(self, "connection", None)
        if self._read:
            if conn is not None:
                lc.give_back(conn, clean)
            return
        if conn is not None:
            conn.inline = False
            if not clean:
                # A failed COMMIT, or a task cancelled mid-ROLLBACK: undo on the connection's thread
                # before the next writer's BEGIN, which is queued after this.
                conn.schedule_rollback_if_open()
        if self._holds_lock:
            self._holds_lock = False
            lc.lock.release()


class PooledSQLiteEngine(SQLiteEngine):
    """See the module docstring. `readers`: reader connections per event loop."""

    __slots__ = ("readers", "pragmas", "_loops", "_loops_guard", "on_statement")

    def __init__(self, path: str, readers: int = 4, pragmas: list[str] | None = None, **connection_kwargs):
        super().__init__(path=path, **connection_kwargs)
        self.readers = readers
        timeout_ms = int(float(self.connection_kwargs.get("timeout", 5)) * 1000)
        self.pragmas = pragmas if pragmas is not None else [
            "PRAGMA foreign_keys = ON",
            f"PRAGMA busy_timeout = {timeout_ms}",
            "PRAGMA synchronous = FULL",
        ]
        self._loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopConnections]" = \
            weakref.WeakKeyDictionary()
        self._loops_guard = threading.Lock()
        self.on_statement: Callable[[str, float], None] | None = None

    # ------------------------------------------------------------ connections

    async def new_connection(self, first: list[str], threaded: bool = False) -> Connection:
        return await Connection(self.connection_kwargs, [*first, *self.pragmas], self._note, threaded).open()

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
        """Open this loop's writer (which puts the file in WAL mode)."""
        await self.loop_connections().get_writer()

    def close_loop(self) -> None:
        """Close this loop's connections (the server's shutdown)."""
        loop = asyncio.get_running_loop()
        lc = self._loops.pop(loop, None)
        if lc is not None:
            lc.close()

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
        async with lc.lock:
            conn = await lc.get_writer()
            return await conn.execute(sql, args)

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
