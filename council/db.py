"""The database engine and the one transaction helper every write goes through.

SQLite is the default (a file in the data directory); PostgreSQL when the URL says so.
On SQLite every write transaction is BEGIN IMMEDIATE: taking the write lock up front means
two writers queue on the busy timeout instead of one failing with "database is locked"
half-way through a read-then-write.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextvars import ContextVar

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from council import piccolo_speed
from council.core.rows import Row

piccolo_speed.install()  # ForeignKey attribute reads without a dir() each (see the module)

_engine: Engine | None = None
_url: str | None = None


class LoopBoundPostgresEngine(PostgresEngine):
    """An asyncpg pool belongs to the event loop that created it. Keeping one pool per loop lets
    the server and anything else running its own loop (a test client's thread, a worker) share
    one engine without ever touching another loop's connections."""

    def __init__(self, *args, **kwargs):
        self._pools: dict[int, object] = {}
        super().__init__(*args, **kwargs)

    @staticmethod
    def _loop_key() -> int | None:
        import asyncio

        try:
            return id(asyncio.get_running_loop())
        except RuntimeError:
            return None

    @property  # type: ignore[override]
    def pool(self):
        return self._pools.get(self._loop_key())

    @pool.setter
    def pool(self, value) -> None:
        key = self._loop_key()
        if value is None:
            self._pools.pop(key, None)
        else:
            self._pools[key] = value

    def transform_response_to_dicts(self, results) -> list[dict]:
        """Rows as council.core.rows.Row (a dict), like the SQLite engine's."""
        return [Row(r) for r in results]

    async def run_querystring(self, querystring, in_pool: bool = True):
        started = time.perf_counter()
        try:
            return await super().run_querystring(querystring, in_pool=in_pool)
        finally:
            note_statement(querystring.template, time.perf_counter() - started)

    async def run_ddl(self, ddl: str, in_pool: bool = True):
        started = time.perf_counter()
        try:
            return await super().run_ddl(ddl, in_pool=in_pool)
        finally:
            note_statement(ddl, time.perf_counter() - started)

# Seconds a SQLite writer waits for the lock before giving up.
SQLITE_BUSY_TIMEOUT = 30
# Reader connections per event loop (sqlite_pool): a page's reads are small, two cores serve them.
SQLITE_READERS = 4


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        from council.sqlite_pool import PooledSQLiteEngine

        path = url.removeprefix("sqlite:///")
        if path.startswith(":memory:"):
            raise ValueError("Council needs a SQLite file: each connection would get its own :memory: database")
        e = PooledSQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT, readers=SQLITE_READERS)
        e.on_statement = note_statement
        return e
    if url.startswith(("postgres://", "postgresql://")):
        return LoopBoundPostgresEngine(config={"dsn": url})
    raise ValueError(f"unsupported COUNCIL_DATABASE_URL: {url!r}")


def configure(url: str) -> Engine:
    """Bind every table to one engine built from the URL. Configuring the same URL again keeps the
    engine: a fresh one would drop the connection pools already started on it (a second
    create_app() in one process — the tests — would leave the first caller's loop without a pool,
    opening a connection per query)."""
    global _engine, _url
    from council.tables import ALL_TABLES

    if _engine is None or url != _url:
        _engine, _url = make_engine(url), url
    for table in ALL_TABLES:
        table._meta.db = _engine
    return _engine


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("council.db.configure() has not been called")
    return _engine


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def start() -> None:
    """Open this event loop's connections: the SQLite writer (which sets WAL), or the asyncpg pool."""
    e = engine()
    if isinstance(e, SQLiteEngine):
        await e.start()
    elif getattr(e, "pool", None) is None:
        await e.start_connection_pool(min_size=1, max_size=PG_POOL, reset=_keep_session)


# Connections per server process. A request runs several statements, each taking a connection
# and giving it back; with fewer connections than requests in flight every statement queues again
# behind the others: at 50 users the case list's p95 was 301 ms with 10 connections, 151 ms with 50
# (issue 19). Three processes (two `serve` workers and `council worker`) stay under PostgreSQL's
# default max_connections of 100; COUNCIL_PG_POOL changes it.
PG_POOL = int(os.environ.get("COUNCIL_PG_POOL") or 30)


async def _keep_session(connection) -> None:
    """What a pooled PostgreSQL connection needs when it goes back to the pool: nothing more than
    asyncpg always does (roll back an open transaction, drop listeners). Its default reset adds a
    round trip after every query (advisory unlocks, CLOSE ALL, UNLISTEN *, RESET ALL) for session
    state Council never sets: measured, 17% of a case-list request (issue 19)."""


async def stop() -> None:
    """Close this event loop's connections."""
    e = _engine
    if isinstance(e, SQLiteEngine):
        e.close_loop()
    elif isinstance(e, PostgresEngine) and getattr(e, "pool", None) is not None:
        await e.close_connection_pool()


def read():
    """Several reads on one connection and one snapshot: a DEFERRED transaction on one of SQLite's
    reader connections (council.sqlite_pool). Nothing on PostgreSQL, whose pooled connections
    each see what was committed when their statement started.
    Only for reads: a write inside would have to upgrade the read lock (use write() for that)."""
    import contextlib

    e = engine()
    if isinstance(e, SQLiteEngine) and e.current_transaction.get() is None:
        return e.read_transaction()
    return contextlib.nullcontext()


def write():
    """A write transaction: IMMEDIATE on SQLite, the default (READ COMMITTED) on PostgreSQL.

    Nested use joins the outer transaction, so a service can call another service.

    On SQLite, writers of this process queue on a first-come, first-served lock before BEGIN
    IMMEDIATE (held by the engine, council.sqlite_pool, around every use of its one writer
    connection). SQLite's own busy handler polls with growing sleeps and favours whoever asks at
    the right moment, so under a crowd of writers (a busy Friday: 50 users) one writer could wait
    past the busy timeout and fail with "database is locked" while later ones went through. The
    lock gives each writer its turn in arrival order; the busy timeout still covers other
    processes (a backup, the CLI).
    """
    e = engine()
    if isinstance(e, SQLiteEngine):
        return e.transaction(transaction_type=TransactionType.immediate)
    if e.current_transaction.get() is not None:
        return e.transaction()  # joins the outer one, which already has its turn
    return _QueuedWrite(e)


# Write transactions one PostgreSQL server process runs at once (council.db.write). Each request's
# statements wait for the event loop between round trips; with every user's write open at once,
# a transaction holding a hot row (the station's case counter) waits behind fifty others' pages
# while the rest queue on its lock: measured at 50 users, registration p95 300 ms with 10
# transactions at once, 1,042 ms with 50 (issue 19). A few at a time keeps locks held briefly;
# reads are not limited.
PG_WRITERS = 6
_write_slots: dict[int, object] = {}


def _slots():
    import asyncio

    loop = asyncio.get_running_loop()
    slots = _write_slots.get(id(loop))
    if slots is None or slots[0] is not loop:
        slots = _write_slots[id(loop)] = (loop, asyncio.Semaphore(PG_WRITERS))
    return slots[1]


class _QueuedWrite:
    """A PostgreSQL write transaction that first waits for one of PG_WRITERS slots (in order)."""

    __slots__ = ("engine", "slots", "transaction")

    def __init__(self, e) -> None:
        self.engine = e

    async def __aenter__(self):
        self.slots = _slots()
        await self.slots.acquire()
        try:
            self.transaction = self.engine.transaction()
            return await self.transaction.__aenter__()
        except BaseException:
            self.slots.release()
            raise

    async def __aexit__(self, *exc):
        try:
            return await self.transaction.__aexit__(*exc)
        finally:
            self.slots.release()


# ---------------------------------------------------------------- statements counted per request

class QueryStats:
    """The statements one request ran: how many, their time, the slowest few (the debug log)."""

    __slots__ = ("count", "seconds", "slowest")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.slowest: list[tuple[float, str]] = []

    def add(self, sql: str, seconds: float) -> None:
        self.count += 1
        self.seconds += seconds
        if len(self.slowest) < 3 or seconds > self.slowest[-1][0]:
            self.slowest.append((seconds, sql))
            self.slowest.sort(key=lambda s: -s[0])
            del self.slowest[3:]


_stats: ContextVar[QueryStats | None] = ContextVar("council_query_stats", default=None)


def count_statements() -> QueryStats:
    """Count the statements run from here on in this context (a request: council.web.querylog)."""
    stats = QueryStats()
    _stats.set(stats)
    return stats


def note_statement(sql: str, seconds: float) -> None:
    stats = _stats.get()
    if stats is not None:
        stats.add(sql, seconds)


async def raw(sql: str, *args) -> list[dict]:
    """Run SQL written with {} placeholders (Piccolo's), on whichever engine is configured."""
    return await engine().run_ddl(sql) if not args else await _raw_with_args(sql, args)


async def _raw_with_args(sql: str, args) -> list[dict]:
    from piccolo.querystring import QueryString

    return await engine().run_querystring(QueryString(sql, *args))


def is_unique_violation(exc: BaseException) -> bool:
    """True when the database refused a row because of a unique constraint."""
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    try:
        import asyncpg

        return isinstance(exc, asyncpg.exceptions.UniqueViolationError)
    except ImportError:  # pragma: no cover
        return False


def escape_like(term: str) -> str:
    """A user's text as a LIKE pattern that matches only itself: `%`, `_` and the escape character
    are literal (every LIKE here says ESCAPE '\\', on both engines)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_operators():
    from piccolo.columns.operators.comparison import ComparisonOperator

    class LikeLiteral(ComparisonOperator):
        template = "{name} LIKE {value} ESCAPE '\\'"

    class ILikeLiteral(ComparisonOperator):
        template = "{name} ILIKE {value} ESCAPE '\\'"

    class Strpos(ComparisonOperator):
        template = "strpos({name}, {value}) > 0"

    class StrposLower(ComparisonOperator):
        template = "strpos(lower({name}), {value}) > 0"

    return LikeLiteral, ILikeLiteral, Strpos, StrposLower


_LIKE, _ILIKE, _STRPOS, _STRPOS_LOWER = _like_operators()


def _like(column, pattern: str, insensitive: bool = False):
    from piccolo.columns.combination import Where

    return Where(column=column, value=pattern, operator=_ILIKE if insensitive and not is_sqlite() else _LIKE)


def starts_with(column, term: str, insensitive: bool = False):
    """The column begins with the user's text, taken literally."""
    return _like(column, escape_like(term) + "%", insensitive)


def ends_with(column, term: str):
    """The column ends with the user's text, taken literally (the last four digits of a phone)."""
    return _like(column, "%" + escape_like(term))


def contains(column, term: str):
    """Case-insensitive substring match of the user's text, taken literally (`%`, `_` and `\\` are
    not wildcards). SQLite's LIKE already ignores ASCII case (and has no ILIKE).

    On PostgreSQL, ILIKE costs about five times LIKE on a scan, and most searches here are
    Chinese words, which have no case: those use LIKE. Terms with letters use ILIKE, which the
    trigram indexes (migration 0008) answer without a scan."""
    pattern = f"%{escape_like(term)}%"
    if is_sqlite():
        return _like(column, pattern)
    if term.lower() == term.upper():
        if len(term) < 3:
            # Too short for a trigram: the planner would walk the whole trigram index, slower
            # than reading the table. strpos is never answered from that index (and is literal).
            # A Where on the column itself (not raw SQL), so a joined column (dispute_file.case.title)
            # brings its join and is named by its alias.
            from piccolo.columns.combination import Where

            return Where(column=column, value=term, operator=_STRPOS)
        return _like(column, pattern)
    if len(term) < 3:
        # One or two letters: no trigram either, and ILIKE would have the planner walk the whole
        # trigram index (seconds over a district's million cases). A scan that stops at a page.
        from piccolo.columns.combination import Where

        return Where(column=column, value=term.lower(), operator=_STRPOS_LOWER)
    return _like(column, pattern, insensitive=True)


# Pages beyond this hold no rows in any register here; a page number from a URL is clamped to it,
# so ?page=99999999999999999999 reads an empty page instead of overflowing the OFFSET (a 500).
MAX_PAGE = 1_000_000


def page_offset(page: int, per_page: int) -> int:
    """The OFFSET of a 1-based page number taken from a request, whatever its size."""
    try:
        page = int(page)
    except (TypeError, ValueError, OverflowError):
        page = 1
    return (min(max(page, 1), MAX_PAGE) - 1) * max(int(per_page), 0)


# ---------------------------------------------------------------- prebuilt SQL for the hot paths

_compiled: dict[tuple[str, bool], str] = {}


def _compile(template: str, sqlite: bool) -> str:
    """A template with {} placeholders as the engine's SQL (? or $n), built once per template."""
    sql = _compiled.get((template, sqlite))
    if sql is None:
        if sqlite:
            sql = template.replace("{}", "?")
        else:
            parts = template.split("{}")
            sql = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
        _compiled[(template, sqlite)] = sql
    return sql


def in_list(column: str, values, args: list) -> str:
    """`column IN ({}, …)` for db.fetch, the values appended to `args`; an empty list matches
    nothing (as Piccolo's is_in([-1]) does)."""
    values = list(values) or [-1]
    args.extend(values)
    return f'{column} IN (' + ", ".join("{}" for _ in values) + ")"


async def fetch(template: str, *args) -> list[dict]:
    """Run SQL written with {} placeholders, built once and sent as is: no query object, no
    per-row conversion beyond the driver's (measured, Piccolo's query building and row handling
    were a third of a case-list request and half a case write: issue 19). In the current
    transaction when there is one, else on SQLite's readers (a read) or writer, or PostgreSQL's pool."""
    return await fetch_compiled(_compile(template, is_sqlite()), args, template)


async def fetch_compiled(sql: str, args, label: str | None = None) -> list[dict]:
    """Run SQL already in the engine's own placeholders (? or $n): db.fetch and
    council.core.prepared share this."""
    e = engine()
    from council.sqlite_pool import PooledSQLiteEngine

    if isinstance(e, PooledSQLiteEngine):
        return await e._run(sql, args)  # the connection counts the statement
    started = time.perf_counter()
    try:
        current = e.current_transaction.get()
        if current is not None:
            rows = await current.connection.fetch(sql, *args)
        elif e.pool is not None:
            async with e.pool.acquire() as conn:
                rows = await conn.fetch(sql, *args)
        else:
            conn = await e.get_new_connection()
            try:
                rows = await conn.fetch(sql, *args)
            finally:
                await conn.close()
        return [Row(r) for r in rows]
    finally:
        note_statement(label or sql, time.perf_counter() - started)


_insert_columns: dict[type, list] = {}


async def insert_row(table, values: dict) -> int:
    """INSERT one row into a Piccolo table and return its id: every column given, defaults as
    Piccolo's Table(**values) would fill them, JSON columns dumped as Piccolo does; the SQL is
    built once per table and set of columns."""
    from enum import Enum

    from piccolo.columns.column_types import JSON, JSONB
    from piccolo.utils.encoding import dump_json

    columns = _insert_columns.get(table)
    if columns is None:
        columns = _insert_columns[table] = [
            (c._meta.db_column_name, c._meta.name, isinstance(c, (JSON, JSONB)), c)
            for c in table._meta.columns if not c._meta.primary_key]
    names, args = [], []
    for db_name, name, is_json, column in columns:
        value = values[name] if name in values else column.get_default_value()
        if is_json and value is not None and not isinstance(value, str):
            value = dump_json(value)
        elif isinstance(value, Enum):
            value = value.value
        names.append(db_name)
        args.append(value)
    unknown = set(values) - {name for _, name, _, _ in columns}
    if unknown:
        raise TypeError(f"{table.__name__} has no column {sorted(unknown)}")
    template = (f'INSERT INTO "{table._meta.tablename}" (' + ", ".join(f'"{n}"' for n in names) + ") VALUES ("
                + ", ".join("{}" for _ in names) + ') RETURNING "id"')
    return (await fetch(template, *args))[0]["id"]
