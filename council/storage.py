"""Where uploaded files live: the data directory, or the database.

COUNCIL_FILE_STORE=database (the default on PostgreSQL) keeps each file as a row of `stored_blob`,
written in the same transaction as the row that points at it. Then an app node holds nothing of
its own: any number of nodes behind a balancer share one database, a photo uploaded through one is
served by the others, and a PostgreSQL backup (pg_dump) holds the files too.

COUNCIL_FILE_STORE=files (the default on SQLite, one machine anyway) keeps them under
<data dir>/uploads/, as before. A site moving from files to database keeps serving its older
files: a key with no row is looked for in the uploads folder.

Keys are "<area>/<random hex>" (e.g. "cases/3f9c…"), never built from a client's file name.
"""

from __future__ import annotations

import asyncio

import hashlib
import os
import re
from pathlib import Path

from piccolo.querystring import QueryString

from council import db

KEY = re.compile(r"^[a-z]+/[0-9a-f]{32}$")
_mode = "files"


_upload_dir: Path | None = None


def configure(mode: str, upload_dir: Path | None = None) -> None:
    """Called by create_app() (and the CLI) with settings.file_store (and settings.upload_dir)."""
    global _mode, _upload_dir
    if mode not in ("files", "database"):
        raise ValueError(mode)
    _mode = mode
    if upload_dir is not None:
        _upload_dir = Path(upload_dir)


def upload_dir() -> Path:
    """The uploads folder, for code that reads a stored file with no request at hand (a PDF's
    emblem): the configured one, else the default under COUNCIL_DATA_DIR."""
    if _upload_dir is not None:
        return _upload_dir
    return Path(os.environ.get("COUNCIL_DATA_DIR", "data")).resolve() / "uploads"


def in_database() -> bool:
    return _mode == "database"


def _check(key: str) -> None:
    if not KEY.match(key):
        raise ValueError(f"bad storage key {key!r}")


def write_file(upload_dir: Path, key: str, content: bytes) -> Path:
    _check(key)
    path = Path(upload_dir) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never overwrite; 0600: uploads may hold residents' personal data.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return path


async def put_row(key: str, content: bytes) -> None:
    """The file as a row, inside the caller's write transaction."""
    import datetime as dt

    _check(key)
    # created_at given here, not by the column default: SQLite's default text and a bound datetime
    # would not compare in order (sweep_rows).
    await db.engine().run_querystring(QueryString(
        'INSERT INTO "stored_blob" ("key", "content", "size", "sha256", "created_at") VALUES ({}, {}, {}, {}, {})',
        key, content, len(content), hashlib.sha256(content).hexdigest(), dt.datetime.now(dt.timezone.utc)))


async def read(upload_dir: Path, key: str) -> bytes | None:
    """The file's bytes, wherever it is kept; None when there is none."""
    _check(key)
    if in_database():
        rows = await db.engine().run_querystring(
            QueryString('SELECT "content" FROM "stored_blob" WHERE "key" = {}', key))
        if rows:
            return bytes(rows[0]["content"])
    path = Path(upload_dir) / key
    try:
        # A file may be a whole electorate's letters or a backup: read off the event loop.
        return await asyncio.to_thread(path.read_bytes)
    except (FileNotFoundError, IsADirectoryError):
        return None


def _table():
    from piccolo.columns import Bytea, Integer, Timestamptz, Varchar
    from piccolo.table import Table

    class StoredBlob(Table, tablename="stored_blob"):
        """One uploaded file (COUNCIL_FILE_STORE=database); written only through this module."""

        key = Varchar(length=100, primary_key=True)
        content = Bytea()
        size = Integer(default=0)
        sha256 = Varchar(length=64, default="")
        created_at = Timestamptz()

    return StoredBlob


StoredBlob = _table()


async def delete_rows(*keys: str) -> None:
    for key in keys:
        _check(key)
        await db.engine().run_querystring(QueryString('DELETE FROM "stored_blob" WHERE "key" = {}', key))


async def sweep_rows(area: str, older_than_seconds: int) -> None:
    """Remove an area's rows older than that (abandoned uploads), inside the caller's transaction."""
    import datetime as dt

    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=older_than_seconds)
    await db.engine().run_querystring(QueryString(
        'DELETE FROM "stored_blob" WHERE "key" LIKE {} AND "created_at" < {}', f"{area}/%", cutoff))
