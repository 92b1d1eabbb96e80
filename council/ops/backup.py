"""Backups you can restore: one tar.gz with the database, the uploaded files and a manifest.

Consistency while the server runs:
- SQLite: the online backup API copies the database page by page under one read transaction
  (WAL lets writers carry on), so the copy is one moment of the database.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the row counts in the manifest
  and `pg_dump --snapshot` both read that same snapshot.
- Uploaded files are copied *after* the database snapshot. Files are written before the row that
  points at them and are never changed afterwards, so every file the snapshot refers to already
  exists when the files are copied. (A file whose row came later is carried along, unreferenced.)

The manifest (manifest.json) names the engine, the applied migrations, the row count of every
table and each file with its size and sha256; `restore` checks all of them. Secrets (the CSRF
signing key) are deliberately not in the archive: a restored site generates its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit, urlunsplit

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/council.db"
PG_MEMBER = "database/council.dump"
UPLOADS = "uploads"
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why, in plain words."""


class RestoreRefused(BackupError):
    """The target is not empty and --force was not given."""


# ---------------------------------------------------------------- engines

def engine_of(url: str) -> str:
    if url.startswith("sqlite:///"):
        return "sqlite"
    if url.startswith(("postgres://", "postgresql://")):
        return "postgres"
    raise BackupError(f"unsupported database URL: {url!r}")


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: the newest Debian-installed version (a dump must be made by a
    pg_dump at least as new as the server), else whatever is on PATH."""
    from council.settings import pg_bin

    override = pg_bin()
    candidates = [Path(override) / name] if override else []
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)] or [0], reverse=True)
    candidates += [v / name for v in versions]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the postgresql client (apt install postgresql-client)")
    return found


def _pg_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (which goes in PGPASSWORD): command lines are visible to
    every local user through ps."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        user = parts.username or ""
        netloc = (f"{user}@" if user else "") + host + (f":{parts.port}" if parts.port else "")
        url = urlunsplit(parts._replace(netloc=netloc))
    return url, env


async def _pg_connect(url: str):
    import asyncpg

    return await asyncpg.connect(url)


async def _pg_tables(conn) -> list[str]:
    rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [r["tablename"] for r in rows]


async def _pg_counts(conn) -> dict[str, int]:
    return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in await _pg_tables(conn)
            if TABLE_NAME.match(t)}


async def _pg_migrations(conn, tables: list[str]) -> list[str]:
    if "council_migration" not in tables:
        return []
    return [r["id"] for r in await conn.fetch('SELECT "id" FROM "council_migration" ORDER BY "id"')]


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        "ORDER BY name").fetchall()
    return [r[0] for r in rows]


def sqlite_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in _sqlite_tables(conn)
                if TABLE_NAME.match(t)}
    finally:
        conn.close()


async def database_counts(url: str) -> dict[str, int]:
    """Rows per table of a live database (either engine): what restore compares with the manifest."""
    if engine_of(url) == "sqlite":
        return await asyncio.to_thread(sqlite_counts, sqlite_path(url))
    conn = await _pg_connect(url)
    try:
        return await _pg_counts(conn)
    finally:
        await conn.close()


# ---------------------------------------------------------------- snapshots

def _sqlite_snapshot(src: Path, dst: Path) -> tuple[list[str], dict[str, int]]:
    if not src.is_file():
        raise BackupError(f"no SQLite database at {src}")
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)  # all pages in one step: one read transaction, one moment in time
    finally:
        source.close()
    try:
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the database copy failed its integrity check: {ok}")
        # The copy is a self-contained file: no -wal beside it in the archive.
        target.execute("PRAGMA journal_mode=DELETE")
        # Rebuilt page by page: the backup API copies free pages too, and a freed page may still
        # hold bytes of a row since changed (an anonymised resident's name in a scrubbed audit
        # entry). After VACUUM the archive holds only what the database holds now.
        target.execute("VACUUM")
        tables = _sqlite_tables(target)
        migrations = ([r[0] for r in target.execute('SELECT "id" FROM "council_migration" ORDER BY "id"')]
                      if "council_migration" in tables else [])
    finally:
        target.close()
    return migrations, sqlite_counts(dst)


async def _pg_snapshot(url: str, dump: Path) -> tuple[list[str], dict[str, int]]:
    conn = await _pg_connect(url)
    try:
        tr = conn.transaction(isolation="repeatable_read", readonly=True)
        await tr.start()
        try:
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            tables = await _pg_tables(conn)
            counts = await _pg_counts(conn)
            migrations = await _pg_migrations(conn, tables)
            conninfo, env = _pg_conninfo(url)
            # The exporting transaction stays open until pg_dump has read the snapshot.
            proc = await asyncio.create_subprocess_exec(
                pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                "-f", str(dump), "-d", conninfo, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            if proc.returncode != 0:
                raise BackupError("pg_dump failed: " + err.decode(errors="replace").strip())
        finally:
            await tr.rollback()
    finally:
        await conn.close()
    return migrations, counts


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _write_archive(out: Path, db_member: str, db_file: Path, upload_dir: Path, manifest: dict) -> dict:
    files = []
    tmp = out.with_name(out.name + f".partial-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it holds residents' personal data
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            manifest["database"] = {"member": db_member, "size": db_file.stat().st_size,
                                    "sha256": _sha256_file(db_file)}
            tar.add(db_file, arcname=db_member, recursive=False)
            if upload_dir.is_dir():
                for path in sorted(p for p in upload_dir.rglob("*") if p.is_file() and not p.is_symlink()):
                    rel = path.relative_to(upload_dir).as_posix()
                    # Read once: the hash is of exactly the bytes archived.
                    data = path.read_bytes()
                    _add_bytes(tar, f"{UPLOADS}/{rel}", data, path.stat().st_mtime)
                    files.append({"path": rel, "size": len(data), "sha256": _sha256(data)})
            manifest["files"] = files
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            _add_bytes(tar, MANIFEST, body, datetime.now().timestamp())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest


async def create_backup(database_url: str, upload_dir: Path, out: Path) -> dict:
    """Write a backup archive to `out` while the server may be running; returns the manifest."""
    engine = engine_of(database_url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="council-backup-") as work:
        if engine == "sqlite":
            db_file, member = Path(work) / "council.db", SQLITE_MEMBER
            migrations, counts = await asyncio.to_thread(_sqlite_snapshot, sqlite_path(database_url), db_file)
        else:
            db_file, member = Path(work) / "council.dump", PG_MEMBER
            migrations, counts = await _pg_snapshot(database_url, db_file)
        manifest = {"format": FORMAT, "engine": engine, "created_at": created, "migrations": migrations,
                    "tables": counts}
        return await asyncio.to_thread(_write_archive, out, member, db_file, Path(upload_dir), manifest)


# ---------------------------------------------------------------- restore

def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
    except KeyError:
        raise BackupError("this is not a council backup: manifest.json is missing") from None
    manifest = json.loads(tar.extractfile(member).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _safe_rel(rel: str) -> str:
    """An uploads path from the manifest, refused if it could land outside the uploads folder."""
    p = PurePosixPath(rel)
    if not rel or "\x00" in rel or "\\" in rel or p.is_absolute() or any(part in ("..", "") for part in p.parts):
        raise BackupError(f"unsafe path in backup: {rel!r}")
    return p.as_posix()


def _extract_member(tar: tarfile.TarFile, name: str, dest: Path, sha256: str) -> None:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise BackupError(f"the backup lacks {name}") from None
    if not member.isreg():
        raise BackupError(f"{name} in the backup is not a regular file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, tar.extractfile(member) as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            h.update(block)
            out.write(block)
    if h.hexdigest() != sha256:
        raise BackupError(f"{name} does not match its sha256 in the manifest: the archive is damaged")


def _upload_dir_used(upload_dir: Path) -> bool:
    return upload_dir.is_dir() and any(p.is_file() for p in upload_dir.rglob("*"))


def _sqlite_used(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path)
    try:
        return bool(_sqlite_tables(conn))
    finally:
        conn.close()


async def _pg_used(url: str) -> bool:
    conn = await _pg_connect(url)
    try:
        return bool(await _pg_tables(conn))
    finally:
        await conn.close()


async def _pg_restore(url: str, dump: Path) -> None:
    conninfo, env = _pg_conninfo(url)
    args = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    proc = await asyncio.create_subprocess_exec(*args, "-d", conninfo, str(dump), env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError("pg_restore failed: " + err.decode(errors="replace").strip())


# A restore never writes into the live database. It restores into a temporary one (a new
# PostgreSQL database beside the target; a new SQLite file beside the target file), checks every
# table's row count there against the manifest, and only then swaps it in, in one step that
# either happens or does not: a transaction renaming the two PostgreSQL databases, os.replace()
# for the SQLite file. The old database is kept aside (PostgreSQL: <name>_old_<time>; SQLite:
# <file>.<time>.bak), as is the old uploads folder. A damaged or wrong archive, a failed
# pg_restore, a count that does not match: the temporary copy is dropped and nothing live changed.

def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d%H%M%S")


def _check_counts(manifest: dict, counts: dict[str, int], where: str) -> None:
    wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if wrong:
        raise BackupError(f"row counts differ {where} (table: expected, found): " +
                          ", ".join(f"{t}: {a}, {b}" for t, (a, b) in sorted(wrong.items())))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(name, safe="")))


def _pg_db_name(url: str) -> str:
    name = unquote(urlsplit(url).path.lstrip("/"))
    if not name:
        raise BackupError("the PostgreSQL URL names no database")
    return name


async def _pg_maintenance(url: str):
    """A connection to another database of the same server, from which the target is renamed."""
    import asyncpg

    last: Exception | None = None
    for db in ("postgres", "template1"):
        try:
            return await asyncpg.connect(_pg_with_db(url, db))
        except Exception as e:  # noqa: BLE001 — try the next maintenance database
            last = e
    raise BackupError(f"cannot connect to the server's maintenance database to swap databases: {last}")


async def _pg_restore_and_swap(url: str, dump: Path, manifest: dict, used: bool) -> str | None:
    """Restore into a new database, check it, swap it in. Returns the old database's new name."""
    name = _pg_db_name(url)
    stamp = _stamp()
    temp = f"{name[:40]}_restore_{secrets.token_hex(4)}"
    admin = await _pg_maintenance(url)
    try:
        try:
            await admin.execute(f"CREATE DATABASE {_quote_ident(temp)}")
        except Exception as e:  # noqa: BLE001
            raise BackupError(f"cannot create the temporary database {temp} (the role needs CREATEDB): {e}") from None
        try:
            await _pg_restore(_pg_with_db(url, temp), dump)
            _check_counts(manifest, await database_counts(_pg_with_db(url, temp)), "in the restored copy")
            exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            old = f"{name[:40]}_old_{stamp}" if exists else None
            try:
                async with admin.transaction():
                    if old:
                        await admin.execute(f"ALTER DATABASE {_quote_ident(name)} RENAME TO {_quote_ident(old)}")
                    await admin.execute(f"ALTER DATABASE {_quote_ident(temp)} RENAME TO {_quote_ident(name)}")
            except Exception as e:  # noqa: BLE001
                raise BackupError(f"cannot swap the restored database in ({e}); is the server still running? "
                                  "Stop it and run the restore again. Nothing was changed.") from None
        except BaseException:
            try:
                await admin.execute(f"DROP DATABASE IF EXISTS {_quote_ident(temp)}")
            except Exception:  # noqa: BLE001 — the original error matters more
                pass
            raise
        if old and not used:
            # The target was an empty database created for the restore: nothing to keep.
            await admin.execute(f"DROP DATABASE IF EXISTS {_quote_ident(old)}")
            old = None
        return old
    finally:
        await admin.close()


async def _pg_swap_back(url: str, old: str | None) -> None:
    """Undo _pg_restore_and_swap after a later step failed: the old database back in place."""
    name = _pg_db_name(url)
    admin = await _pg_maintenance(url)
    try:
        failed = f"{name[:40]}_failed_{_stamp()}"
        async with admin.transaction():
            await admin.execute(f"ALTER DATABASE {_quote_ident(name)} RENAME TO {_quote_ident(failed)}")
            if old:
                await admin.execute(f"ALTER DATABASE {_quote_ident(old)} RENAME TO {_quote_ident(name)}")
        await admin.execute(f"DROP DATABASE IF EXISTS {_quote_ident(failed)}")
    finally:
        await admin.close()


def _sqlite_check_and_swap(staged: Path, target: Path, manifest: dict, used: bool) -> Path | None:
    """`staged` lies beside `target` (same filesystem: os.replace is one atomic rename). Returns
    where the old file was kept, if it held anything."""
    conn = sqlite3.connect(staged)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        counts = sqlite_counts(staged) if ok == "ok" else {}
    except sqlite3.DatabaseError as e:
        ok = str(e)
    finally:
        conn.close()
    if ok != "ok":
        raise BackupError(f"the database in the backup failed its integrity check: {ok}")
    _check_counts(manifest, counts, "in the restored copy")
    kept = None
    if target.exists() and used:
        # Fold the old file's write-ahead log into it, so the copy kept aside is whole.
        conn = sqlite3.connect(target, timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        kept = target.with_name(f"{target.name}.{_stamp()}.bak")
        try:
            os.link(target, kept)  # the old file stays whole under its new name
        except OSError:
            shutil.copy2(target, kept)
    for suffix in ("-wal", "-shm", "-journal"):  # stale journals of the old file would corrupt the new one
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
    return kept


def _sqlite_swap_back(target: Path, kept: Path | None) -> None:
    if kept is not None:
        os.replace(kept, target)
    else:
        target.unlink(missing_ok=True)


async def restore_backup(archive: Path, database_url: str, upload_dir: Path, *, force: bool = False) -> dict:
    """Restore an archive into an empty database and uploads folder (or over them with force).
    Every file's hash and every table's row count is checked before anything live is replaced
    (see above); returns a report, with where the old database and uploads were kept."""
    engine = engine_of(database_url)
    upload_dir = Path(upload_dir)
    kept: dict[str, str] = {}
    with tarfile.open(archive, "r:gz") as tar:
        manifest = read_manifest(tar)
        if manifest["engine"] != engine:
            raise BackupError(f"this backup is of a {manifest['engine']} database and cannot be restored into "
                              f"{engine}; set COUNCIL_DATABASE_URL to a {manifest['engine']} database")
        used = []
        db_used = (await asyncio.to_thread(_sqlite_used, sqlite_path(database_url)) if engine == "sqlite"
                   else await _pg_used(database_url))
        if db_used:
            used.append(f"the database {sqlite_path(database_url)}" if engine == "sqlite" else "the PostgreSQL database")
        if _upload_dir_used(upload_dir):
            used.append(f"the uploads folder {upload_dir}")
        if used and not force:
            raise RestoreRefused("not empty: " + " and ".join(used) + ". Restore into an empty data directory "
                                 "and database, or pass --force to replace them.")

        upload_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".council-restore-", dir=upload_dir.parent))
        staged_sqlite: Path | None = None
        try:
            staged_uploads = staging / "uploads"
            staged_uploads.mkdir()
            for f in manifest.get("files", []):
                rel = _safe_rel(f["path"])
                await asyncio.to_thread(_extract_member, tar, f"{UPLOADS}/{rel}", staged_uploads / rel, f["sha256"])
            db = manifest["database"]
            if engine == "sqlite":
                target = sqlite_path(database_url)
                target.parent.mkdir(parents=True, exist_ok=True)
                staged_sqlite = target.with_name(f".{target.name}.restore-{secrets.token_hex(4)}")
                await asyncio.to_thread(_extract_member, tar, db["member"], staged_sqlite, db["sha256"])
                old_db = await asyncio.to_thread(_sqlite_check_and_swap, staged_sqlite, target, manifest, db_used)
                if old_db:
                    kept["database"] = str(old_db)
            else:
                staged_db = staging / Path(db["member"]).name
                await asyncio.to_thread(_extract_member, tar, db["member"], staged_db, db["sha256"])
                old_db = await _pg_restore_and_swap(database_url, staged_db, manifest, db_used)
                if old_db:
                    kept["database"] = old_db

            try:
                if upload_dir.exists():
                    aside = upload_dir.with_name(f"{upload_dir.name}.replaced-{_stamp()}")
                    os.replace(upload_dir, aside)
                    kept["uploads"] = str(aside)
                os.replace(staged_uploads, upload_dir)
            except BaseException:
                # The database was swapped but the files could not be: put the old database back.
                if "uploads" in kept and not upload_dir.exists():
                    os.replace(kept.pop("uploads"), upload_dir)
                if engine == "sqlite":
                    _sqlite_swap_back(sqlite_path(database_url), Path(kept["database"]) if "database" in kept else None)
                else:
                    await _pg_swap_back(database_url, kept.get("database"))
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            if staged_sqlite is not None:
                staged_sqlite.unlink(missing_ok=True)

    # Checked again where it now lives: what the server will open.
    _check_counts(manifest, await database_counts(database_url), "after restore")
    bad_files = [f["path"] for f in manifest.get("files", [])
                 if not (upload_dir / f["path"]).is_file() or _sha256_file(upload_dir / f["path"]) != f["sha256"]]
    if bad_files:
        raise BackupError("files differ after restore: " + ", ".join(bad_files))
    counts = await database_counts(database_url)
    return {"manifest": manifest, "tables": counts, "files": len(manifest.get("files", [])), "kept": kept}


def describe(manifest: dict) -> str:
    rows = sum(manifest["tables"].values())
    return (f"{manifest['engine']} backup of {manifest['created_at']}: {len(manifest['tables'])} tables, "
            f"{rows} rows, {len(manifest.get('files', []))} files, migrations {', '.join(manifest['migrations'])}")


__all__ = ["BackupError", "RestoreRefused", "create_backup", "restore_backup", "database_counts", "describe",
           "read_manifest", "pg_tool"]
