"""`council backup` / `council restore`: a snapshot taken while writes go on, restored into an
empty data directory (SQLite) or a new database (PostgreSQL), has every row of every table and
every uploaded file, byte for byte. Tables are found by walking the database and ALL_TABLES,
so tables added later (ballots, minutes, mediation, reception) are covered without edits here."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from council.accounts.principal import SYSTEM
from council.accounts.services import create_token
from council.cases import intake
from council.ops import backup as ops
from council.stations.tables import Station
from council.tables import ALL_TABLES

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROOT = Path(__file__).resolve().parent.parent


def engine(settings) -> str:
    return ops.engine_of(settings.database_url)


# ---------------------------------------------------------------- reading whole tables

async def all_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, ordered, as plain tuples: what "finds every row" compares."""
    if ops.engine_of(url) == "sqlite":
        conn = sqlite3.connect(ops.sqlite_path(url))
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
            return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in names}
        finally:
            conn.close()
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        names = [r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")]
        return {t: sorted((tuple(r) for r in await conn.fetch(f'SELECT * FROM "{t}"')), key=repr) for t in names}
    finally:
        await conn.close()


def tree_hashes(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- targets

@pytest.fixture
async def target(settings, tmp_path):
    """An empty place to restore into: a new data directory, and a new database on PostgreSQL."""
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    if engine(settings) == "sqlite":
        yield {"url": f"sqlite:///{data_dir / 'council.db'}", "data_dir": data_dir, "uploads": data_dir / "uploads"}
        return
    import asyncpg

    admin = settings.database_url
    name = f"council_restore_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield {"url": re.sub(r"/[^/]*$", f"/{name}", admin), "data_dir": data_dir, "uploads": data_dir / "uploads"}
    conn = await asyncpg.connect(admin)
    # A forced restore keeps the replaced database aside as <name>_old_<time>: drop those too.
    for r in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", f"{name}%"):
        await conn.execute(f'DROP DATABASE IF EXISTS "{r["datname"]}" WITH (FORCE)')
    await conn.close()


@pytest.fixture(scope="module")
async def secretary() -> dict:
    return {"Authorization": f"Bearer {await create_token(SYSTEM, 'secretary', 'backup test')}"}


def make_case_with_files(client, headers) -> dict:
    r = client.post("/api/v1/cases", headers=headers, json={
        "kind": "proposal", "title": "备份测试：楼道灯不亮", "category": "facilities", "channel": "reception_day"})
    assert r.status_code == 201, r.text
    case = r.json()
    for name, content, ctype in (("楼道.png", PNG + secrets.token_bytes(8), "image/png"),
                                 ("报价单.pdf", PDF + secrets.token_bytes(8), "application/pdf")):
        r = client.post(f"/api/v1/cases/{case['id']}/attachments", headers=headers,
                        files={"file": (name, content, ctype)})
        assert r.status_code == 201, r.text
    return case


# ---------------------------------------------------------------- the round trip

async def test_backup_restores_every_row_and_file(client, settings, secretary, target, tmp_path):
    case = make_case_with_files(client, secretary)
    archive = tmp_path / "backup.tar.gz"
    manifest = await ops.create_backup(settings.database_url, settings.upload_dir, archive)

    before = await all_rows(settings.database_url)
    files_before = tree_hashes(settings.upload_dir)
    # Every Piccolo table is in the snapshot, and so is the migration ledger.
    assert {t._meta.tablename for t in ALL_TABLES} <= set(manifest["tables"])
    assert manifest["tables"] == {t: len(rows) for t, rows in before.items()}
    assert manifest["engine"] == engine(settings) and "0001_initial" in "".join(manifest["migrations"])
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == files_before
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    report = await ops.restore_backup(archive, target["url"], target["uploads"])
    from council import storage

    assert report["files"] == len(files_before)
    after = await all_rows(target["url"])
    if storage.in_database():  # PostgreSQL keeps uploads in stored_blob: the rows carry them
        assert len([r for r in after["stored_blob"] if "cases/" in repr(r)]) >= 2
    else:
        assert len(files_before) >= 2
    for table, rows in before.items():
        assert after.get(table) == rows, f"{table}: rows differ after restore"
    assert set(after) == set(before)
    assert tree_hashes(target["uploads"]) == files_before
    # The case made for this test, its timeline and its two files came back.
    assert any(case["number"] in repr(row) for row in after["case_file"])
    assert sum(1 for row in after["case_attachment"] if case["id"] == row[1]) == 2
    # The issue names them: ballots and minutes versions (with their stored PDFs) come back too.
    for table in ("vote_ballot", "vote_secret_count", "meeting_minutes_version", "dispute_file", "reception_visit"):
        assert after[table], f"the test data has no {table} rows: the comparison above proves nothing for it"


async def test_backup_during_writes_is_consistent(settings, target, tmp_path):
    """Cases keep being registered while the backup runs; the snapshot is one moment: every case
    in it has its timeline, its number is within its station's counter, nothing is half-made."""
    zxl = await Station.select().where(Station.case_prefix == "ZXL").first()
    stop = asyncio.Event()
    made = []

    async def writer():
        while not stop.is_set():
            made.append(await intake.register_case(SYSTEM, {
                "station": zxl["id"], "kind": "request", "title": f"并发写入{len(made)}", "category": "facilities",
                "channel": "hotline_12345"}))
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.2)
    archive = tmp_path / "busy.tar.gz"
    manifest = await ops.create_backup(settings.database_url, settings.upload_dir, archive)
    stop.set()
    await task
    assert len(made) > 1
    await ops.restore_backup(archive, target["url"], target["uploads"])
    rows = await all_rows(target["url"])
    assert len(rows["case_file"]) == manifest["tables"]["case_file"]
    await assert_no_half_made_cases(target["url"])


async def assert_no_half_made_cases(url: str) -> None:
    """Every case has its 'created' event; numbers are unique and within the counter."""
    queries = {
        "without a created event": 'SELECT c.id FROM case_file c WHERE NOT EXISTS '
                                   '(SELECT 1 FROM case_event e WHERE e."case" = c.id AND e.kind = \'created\')',
        "duplicate numbers": 'SELECT number FROM case_file GROUP BY number HAVING count(*) > 1',
    }
    if ops.engine_of(url) == "sqlite":
        conn = sqlite3.connect(ops.sqlite_path(url))
        try:
            bad = {k: conn.execute(q).fetchall() for k, q in queries.items()}
        finally:
            conn.close()
    else:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            bad = {k: await conn.fetch(q) for k, q in queries.items()}
        finally:
            await conn.close()
    assert not any(bad.values()), bad


# ---------------------------------------------------------------- refusals

async def test_restore_refuses_a_target_that_is_not_empty(settings, target, tmp_path):
    archive = tmp_path / "b.tar.gz"
    await ops.create_backup(settings.database_url, settings.upload_dir, archive)
    await ops.restore_backup(archive, target["url"], target["uploads"])
    before = await all_rows(target["url"])
    with pytest.raises(ops.RestoreRefused, match="not empty"):
        await ops.restore_backup(archive, target["url"], target["uploads"])
    assert await all_rows(target["url"]) == before
    # --force replaces it, and the old uploads folder is kept aside, not deleted.
    (target["uploads"] / "stray.txt").write_text("x")
    await ops.restore_backup(archive, target["url"], target["uploads"], force=True)
    assert await all_rows(target["url"]) == before
    assert not (target["uploads"] / "stray.txt").exists()
    assert list(target["data_dir"].glob("uploads.replaced-*/stray.txt"))


async def test_a_damaged_archive_is_refused_and_restores_nothing(settings, target, tmp_path):
    from council import storage

    if storage.in_database():
        # PostgreSQL keeps new uploads in the database; a site that moved from the files store
        # still has its older files in the folder, and those are backed up as files.
        older = Path(settings.upload_dir) / "cases" / secrets.token_hex(16)
        older.parent.mkdir(parents=True, exist_ok=True)
        older.write_bytes(PNG + secrets.token_bytes(8))
    archive = tmp_path / "good.tar.gz"
    manifest = await ops.create_backup(settings.database_url, settings.upload_dir, archive)
    assert manifest["files"], "the test data has uploads"
    victim = "uploads/" + manifest["files"][0]["path"]
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == victim:
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(m, io.BytesIO(data))
    with pytest.raises(ops.BackupError, match="sha256"):
        await ops.restore_backup(damaged, target["url"], target["uploads"])
    assert await all_rows(target["url"]) == {}  # the database was never touched
    assert tree_hashes(target["uploads"]) == {}


def rewrite_archive(src_path: Path, dst_path: Path, *, manifest_edit=None, member: str | None = None,
                    data: bytes | None = None) -> None:
    """A copy of a backup with its manifest edited and/or one member's bytes replaced (the
    manifest's sha256 for it updated, so only the content is wrong, not the hash)."""
    with tarfile.open(src_path) as src:
        manifest = json.loads(src.extractfile("manifest.json").read())
        if member is not None:
            manifest["database"]["sha256"] = hashlib.sha256(data).hexdigest()
            manifest["database"]["size"] = len(data)
        if manifest_edit:
            manifest_edit(manifest)
        with tarfile.open(dst_path, "w:gz") as dst:
            for m in src.getmembers():
                body = src.extractfile(m).read()
                if m.name == "manifest.json":
                    body = json.dumps(manifest).encode()
                elif m.name == member:
                    body = data
                m.size = len(body)
                dst.addfile(m, io.BytesIO(body))


async def pg_leftovers(settings, url: str) -> list[str]:
    if engine(settings) != "postgres":
        return []
    import asyncpg

    name = url.rsplit("/", 1)[-1]
    conn = await asyncpg.connect(settings.database_url)
    try:
        return [r[0] for r in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1",
                                                f"{name}_%")]
    finally:
        await conn.close()


async def test_a_forced_restore_of_a_bad_archive_leaves_the_live_data_as_it_was(settings, target, tmp_path):
    """--force restores into a temporary database and checks it before swapping: an archive whose
    counts do not match, or whose database is not one, changes nothing live — not the database,
    not the uploads — and leaves no temporary database or file behind."""
    good = tmp_path / "good.tar.gz"
    await ops.create_backup(settings.database_url, settings.upload_dir, good)
    await ops.restore_backup(good, target["url"], target["uploads"])
    (target["uploads"] / "kept.txt").write_text("still here")
    rows, files = await all_rows(target["url"]), tree_hashes(target["uploads"])
    siblings = sorted(p.name for p in target["data_dir"].iterdir())

    def wrong_count(m):
        m["tables"]["app_user"] += 1

    member = "database/council.db" if engine(settings) == "sqlite" else "database/council.dump"
    bad_counts, bad_db = tmp_path / "counts.tar.gz", tmp_path / "db.tar.gz"
    rewrite_archive(good, bad_counts, manifest_edit=wrong_count)
    rewrite_archive(good, bad_db, member=member, data=b"not a database at all" * 100)
    for bad, match in ((bad_counts, "row counts differ in the restored copy"), (bad_db, "integrity|pg_restore|not a database")):
        with pytest.raises(ops.BackupError, match=match):
            await ops.restore_backup(bad, target["url"], target["uploads"], force=True)
        assert await all_rows(target["url"]) == rows
        assert tree_hashes(target["uploads"]) == files
        assert sorted(p.name for p in target["data_dir"].iterdir()) == siblings
        assert await pg_leftovers(settings, target["url"]) == []

    # A good archive does replace it, and the old database is kept aside, whole.
    report = await ops.restore_backup(good, target["url"], target["uploads"], force=True)
    assert not (target["uploads"] / "kept.txt").exists()
    assert "database" in report["kept"] and "uploads" in report["kept"]
    if engine(settings) == "sqlite":
        bak = Path(report["kept"]["database"])
        assert bak.name.endswith(".bak") and bak.parent == target["data_dir"]
        assert await all_rows(f"sqlite:///{bak}") == rows
    else:
        assert report["kept"]["database"] in await pg_leftovers(settings, target["url"])
        assert await all_rows(re.sub(r"/[^/]*$", "/" + report["kept"]["database"], target["url"])) == rows


async def test_an_archive_with_path_tricks_is_refused(settings, target, tmp_path):
    evil = tmp_path / "evil.tar.gz"
    manifest = {"format": 1, "engine": engine(settings), "created_at": "x", "migrations": [], "tables": {},
                "database": {"member": "database/council.db", "size": 0, "sha256": ""},
                "files": [{"path": "../../escaped.txt", "size": 1, "sha256": ""}]}
    with tarfile.open(evil, "w:gz") as tar:
        body = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    with pytest.raises(ops.BackupError, match="unsafe path"):
        await ops.restore_backup(evil, target["url"], target["uploads"])
    assert not (tmp_path / "escaped.txt").exists()


# ---------------------------------------------------------------- the commands

def cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "council.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


async def test_backup_and_restore_commands(settings, target, tmp_path):
    archive = tmp_path / "cli.tar.gz"
    env = {**os.environ}
    r = await asyncio.to_thread(cli, ["backup", "-o", str(archive)], env)
    assert r.returncode == 0, r.stderr
    assert "Wrote" in r.stdout and archive.exists()

    env_new = {**os.environ, "COUNCIL_DATA_DIR": str(target["data_dir"])}
    if engine(settings) == "sqlite":
        env_new.pop("COUNCIL_DATABASE_URL", None)  # the new data directory's own council.db
    else:
        env_new["COUNCIL_DATABASE_URL"] = target["url"]
    r = await asyncio.to_thread(cli, ["restore", str(archive)], env_new)
    assert r.returncode == 0, r.stderr
    assert "Restored and checked" in r.stdout
    with tarfile.open(archive) as tar:
        manifest = ops.read_manifest(tar)
    assert await ops.database_counts(target["url"]) == manifest["tables"]

    r = await asyncio.to_thread(cli, ["restore", str(archive)], env_new)
    assert r.returncode != 0 and "not empty" in r.stderr
