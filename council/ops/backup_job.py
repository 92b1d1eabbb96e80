"""A backup from the admin page, as a background job (council.jobs): the same archive as
`council backup` (council.ops.backup), checked, then offered for download for a day.

Only the newest backup is kept for download: starting one removes the earlier ones' files, so a
backup never carries the archives of the backups before it.
"""

from __future__ import annotations

import asyncio
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from council.accounts.principal import Principal
from council.jobs import service as jobs
from council.jobs.tables import Job


def N_(msgid: str) -> str:
    return msgid


STEPS = 3


async def start(principal: Principal, *, ip: str = "") -> int:
    return await jobs.enqueue(principal, "backup", station=None, total=STEPS, params={"ip": ip}, ip=ip)


def _check(archive: Path) -> dict:
    """The archive reads back: its manifest, and every member it lists is there."""
    from council.ops.backup import read_manifest

    with tarfile.open(archive, "r:gz") as tar:
        manifest = read_manifest(tar)
        names = set(tar.getnames())
    missing = [f["path"] for f in manifest.get("files", []) if f"uploads/{f['path']}" not in names]
    if missing:
        from council.ops.backup import BackupError

        raise BackupError(f"files missing from the archive: {', '.join(missing[:5])}")
    return manifest


async def run(ctx) -> None:
    from council.jobs.runner import JobFailed
    from council.ops.backup import BackupError, create_backup
    from council.settings import load_settings

    earlier = await Job.select(Job.id, Job.result_key).where((Job.kind == "backup") & (Job.result_key != ""))
    await jobs.forget_results(ctx.upload_dir, earlier)
    await ctx.progress(0, STEPS, N_("Copying the database and the uploaded files."))
    settings = load_settings()
    name = f"council-backup-{datetime.now().strftime('%Y%m%d-%H%M%S')}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="council-backup-job-") as work:
        out = Path(work) / name
        try:
            manifest = await create_backup(settings.database_url, ctx.upload_dir, out)
            await ctx.progress(1, STEPS, N_("Checking the archive."))
            await asyncio.to_thread(_check, out)
        except BackupError as e:
            raise JobFailed("The backup could not be made: %(reason)s", reason=str(e)) from None
        await ctx.progress(2, STEPS, N_("Keeping the archive for download."))
        content = await asyncio.to_thread(out.read_bytes)  # the whole archive: not on the event loop
    ctx.summary = {"tables": len(manifest["tables"]), "rows": sum(manifest["tables"].values()),
                   "files": len(manifest.get("files", [])), "engine": manifest["engine"]}
    ctx.set_result(content, name, "application/gzip")
