"""A large register import as a background job (council.jobs). The preview (a dry run, nothing
written) stays a page of its own; committing a file of more than imports.JOB_ROWS rows is queued
here and written all or nothing, as a small one is, while the page shows its progress.
"""

from __future__ import annotations

import anyio.to_thread

from council.accounts.principal import Principal
from council.core.errors import Forbidden
from council.jobs import service as jobs
from council.places import import_service as service
from council.places import register_file as rf


def N_(msgid: str) -> str:
    return msgid


STEPS = 3


async def start(principal: Principal, token: str, note: dict, *, ip: str = "") -> int:
    service.require_import(principal)
    if note.get("user") != principal.user_id:
        raise Forbidden()
    estate = await service.estate_for(principal, note["estate"])
    station = await service._station_of(principal, estate)
    return await jobs.enqueue(principal, "import", station=station, subject_id=estate["id"], total=STEPS,
                              params={"token": token, "estate": estate["id"], "mode": note["mode"],
                                      "name": note["name"], "rows": note.get("rows", 0), "ip": ip}, ip=ip)


async def run(ctx) -> None:
    from council.jobs.runner import JobFailed
    from council.places import imports

    p = ctx.params
    note, content = await imports.read_kept(ctx.upload_dir, p["token"])
    if note.get("user") != ctx.principal.user_id or note.get("estate") != p["estate"]:
        raise JobFailed("This upload was checked for another estate. Upload the file again.")
    await ctx.progress(0, STEPS, N_("Reading the file %(name)s."), name=note["name"])
    try:
        sheet = await anyio.to_thread.run_sync(rf.read_register, note["name"], content)
    except rf.RegisterFileError as e:
        raise JobFailed(e.message, **e.params) from None
    await ctx.progress(1, STEPS, N_("Checking and writing %(rows)s rows (all or nothing)."), rows=len(sheet.rows))
    try:
        outcome = await service.commit(ctx.principal, p["estate"], sheet, p["mode"], ip=p.get("ip", ""))
    except service.RegisterRejected as e:
        raise JobFailed(e.message) from None
    await ctx.progress(2, STEPS, N_("Imported. Removing the uploaded copy."))
    await imports.forget_kept(ctx.upload_dir, p["token"], note["ext"])
    ctx.summary = {"estate": outcome.estate["id"], "estate_name": outcome.estate["name"], "rows": len(sheet.rows),
                   **{k: v for k, v in outcome.summary.items() if isinstance(v, int)}}
