"""The job pages: a job's progress (a bar the page refreshes itself: council/static/jobs.js polls
the JSON status; without script a <meta refresh> and a plain link), its download when ready, and
the buttons that start the long work — the voting letters of a vote, a backup.

Large register imports are started from the import's commit (council.places.imports).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council.core.errors import Forbidden
from council.core.localtime import local_time
from council.jobs import rules, service
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator


def _text(_, msgid: str, params: dict | None) -> str:
    if not msgid:
        return ""
    try:
        return _(msgid, **params) if params else _(msgid)
    except (KeyError, TypeError, ValueError):  # a message whose parameters changed between versions
        return _(msgid)


def status_of(job: dict, _) -> dict[str, Any]:
    """What the page shows and the status route answers, in the reader's language."""
    params = job.get("message_params") or {}
    error = ""
    if job["state"] == rules.FAILED:
        error = _text(_, job["error"], params.get("error") if isinstance(params.get("error"), dict) else None)
    ready = job["state"] == rules.DONE and bool(job["result_key"])
    return {
        "id": job["id"],
        "state": job["state"],
        "state_label": _(rules.STATE_LABELS[job["state"]]),
        "done": job["done"],
        "total": job["total"],
        "percent": rules.percent(job["done"], job["total"], job["state"]),
        "message": "" if job["state"] == rules.FAILED else _text(_, job["message"], params),
        "error": error,
        "finished": job["state"] in rules.FINISHED,
        "download": f"/jobs/{job['id']}/download" if ready else "",
        "expired": job["state"] == rules.DONE and not job["result_key"] and bool((job.get("summary") or {}).get("expired")),
    }


def back_link(job: dict) -> tuple[str, str]:
    """Where the job came from (msgid, path)."""
    if job["kind"] == "letters":
        return rules.N_("Back to the vote"), f"/votes/{job['subject_id']}"
    if job["kind"] == "import":
        return rules.N_("Units"), f"/units?estate={job['subject_id']}"
    return rules.N_("Backups"), "/admin/backups"


@get("/jobs/{job_id:int}", guards=[signed_in], name="jobs.page")
async def job_page(request: Request, job_id: FromPath[int]) -> Any:
    job = await service.load_for(request.user, job_id)
    _ = translator(locale_of(request))
    return page(request, "jobs/job.html", job=job, status=status_of(job, _), kind_label=rules.KINDS[job["kind"]].label,
                back=back_link(job), local_time=local_time)


@get("/jobs/{job_id:int}/status", guards=[signed_in], name="jobs.status")
async def job_status(request: Request, job_id: FromPath[int]) -> Response:
    job = await service.load_for(request.user, job_id)
    return Response(status_of(job, translator(locale_of(request))), headers={"Cache-Control": "no-store"})


@get("/jobs/{job_id:int}/download", guards=[signed_in], name="jobs.download")
async def job_download(request: Request, job_id: FromPath[int]) -> Response:
    job, content = await service.result_of(request.user, job_id, request.app.state.settings.upload_dir,
                                           ip=client_ip(request))
    name = job["result_name"] or f"job-{job_id}"
    return Response(content, media_type=job["result_media"] or "application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    })


# ---------------------------------------------------------------- starting the long work

@post("/votes/{vote_id:int}/letters", guards=[signed_in], name="jobs.start_letters")
async def start_letters(request: Request, vote_id: FromPath[int]) -> Any:
    from council.links import public_base
    from council.votes import letters_job, policy

    if request.user.role not in policy.SECRETARIAT:
        raise Forbidden()
    job_id = await letters_job.start(request.user, vote_id, base_url=public_base(request),
                                     locale=locale_of(request), ip=client_ip(request))
    return Redirect(f"/jobs/{job_id}", status_code=303)


def _admin(request: Request) -> None:
    if not request.user.is_admin:
        raise Forbidden()


@get("/admin/backups", guards=[signed_in], name="jobs.backups")
async def backups_page(request: Request) -> Any:
    _admin(request)
    _ = translator(locale_of(request))
    rows = await service.recent(request.user, "backup", limit=10)
    return page(request, "jobs/backups.html", jobs=rows, state_labels=rules.STATE_LABELS, local_time=local_time,
                keep_hours=rules.KEEP_HOURS)


@post("/admin/backups", guards=[signed_in], name="jobs.start_backup")
async def start_backup(request: Request) -> Any:
    _admin(request)
    from council.core.errors import Invalid
    from council.ops import backup_job

    # The button says what it starts; a bare POST (a stray form, a probe) starts nothing.
    if (await request.form()).get("start") != "backup":
        raise Invalid("Nothing was started: use the Create a backup button.")
    job_id = await backup_job.start(request.user, ip=client_ip(request))
    return Redirect(f"/jobs/{job_id}", status_code=303)


PAGE_ROUTES: list = [job_page, job_status, job_download, start_letters, backups_page, start_backup]
API_ROUTES: list = []
