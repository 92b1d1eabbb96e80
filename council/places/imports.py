"""Importing an estate's register (units and owners) from CSV/XLSX, and exporting it back.

Pages: GET /imports (choose the estate, upload), POST /imports/preview (a dry run: every row
with its problems by line number), POST /imports/commit (all or nothing), and
GET /estates/{id}/export.csv|.xlsx. API: POST /api/v1/estates/{id}/import?dry_run=… and
GET /api/v1/estates/{id}/export?format=csv|xlsx.

The uploaded file waits between preview and commit in <data dir>/uploads/imports/<token>.<ext>
beside a small JSON note of who uploaded it for which estate; the commit form posts back only
the random token, never a path. Rules and the re-import policy: council.places.register_file
and council.places.import_service.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect

from council import db, storage
from council.core.errors import Forbidden, Invalid, NotFound
from council.places import import_service as service
from council.places import register_file as rf
from council.places.register_file import N_
from council.privacy import mask_id_number, mask_phone
from council.web.errors import problem
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator

MAX_UPLOAD = 5 * 1024 * 1024
BODY_LIMIT = MAX_UPLOAD + 256 * 1024  # room for the multipart envelope and the other fields
KEEP_UPLOADS = 24 * 3600  # an abandoned preview's file is removed after a day
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Files with more rows than this are imported by a background job (COUNCIL_IMPORT_JOB_ROWS).
JOB_ROWS = 300


def job_rows() -> int:
    import os

    try:
        return int(os.environ.get("COUNCIL_IMPORT_JOB_ROWS", JOB_ROWS))
    except ValueError:
        return JOB_ROWS


MEDIA = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8" to text types
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MODE_LABELS = (
    ("create", N_("Add new units only (a unit number already in the estate is an error)")),
    ("update", N_("Also update existing units: their area and owners are replaced by the file's")),
)


@dataclass
class UploadForm:
    file: UploadFile | None = None
    estate: int | None = None
    mode: str = "create"


@dataclass
class ApiUpload:
    # Optional here so a refused role gets 403 before the body is judged; a missing file is a 422.
    file: UploadFile | None = None


MultiPart = Body(media_type=RequestEncodingType.MULTI_PART)


# ---------------------------------------------------------------- helpers

def _mode(value: str | None) -> str:
    value = (value or "create").strip()
    if value not in rf.MODES:
        raise Invalid("Unknown import mode.", field="mode")
    return value


# Reading a workbook is CPU work (unzipping, XML): done in a worker thread so the event loop
# keeps answering everyone else (/healthz included), and at most two at a time so a queue of
# large uploads cannot take every thread.
_PARSERS = anyio.CapacityLimiter(2)


async def _read_register(filename: str, content: bytes) -> rf.Sheet:
    return await anyio.to_thread.run_sync(rf.read_register, filename, content, limiter=_PARSERS)


async def _read_upload(upload: UploadFile | None) -> tuple[str, bytes]:
    if upload is None or not upload.filename:
        raise rf.RegisterFileError("Choose a file to upload.")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise rf.RegisterFileError("The file is larger than %(max)s MB.", max=MAX_UPLOAD // (1024 * 1024))
    # Only the name's extension is used; the client's path never is.
    return Path(upload.filename.replace("\\", "/")).name, content


def _issue(issue: rf.Issue, _) -> dict[str, Any]:
    return {
        "line": issue.line,
        "column": issue.column,
        "column_label": _(rf.LABELS[issue.column]) if issue.column else "",
        "message": _(issue.message, **issue.params) if issue.params else _(issue.message),
    }


def _co_owners_masked(value: str) -> str:
    parts = []
    for part in re.split(r"[;；、\n]", value or ""):
        bits = re.split(r"[:：]", part.strip(), maxsplit=1)
        if bits[0]:
            parts.append(f"{bits[0]}:{mask_phone(bits[1].strip())}" if len(bits) > 1 and bits[1].strip() else bits[0])
    return ";".join(parts)


def _row_view(row: rf.RowResult, _) -> dict[str, Any]:
    """A row as shown or returned: what the file said, with phone and ID numbers masked."""
    raw = row.raw
    return {
        "line": row.line,
        "action": row.action,
        "building": raw.get("building", ""),
        "unit": raw.get("unit", ""),
        "area_m2": str(row.area_m2) if row.area_m2 is not None else raw.get("area_m2", ""),
        "area_source": row.area_source,
        "developer_unsold": row.developer_unsold,
        "owner_name": raw.get("owner_name", ""),
        "phone": mask_phone(raw.get("phone", "")),
        "id_number": mask_id_number(raw.get("id_number", "")),
        "co_owners": _co_owners_masked(raw.get("co_owners", "")),
        "representative": next((o.name for o in row.owners if o.is_representative), ""),
        "errors": [_issue(i, _) for i in row.errors],
        "warnings": [_issue(i, _) for i in row.warnings],
    }


def _file_error(exc: rf.RegisterFileError, _) -> str:
    return _(exc.message, **exc.params) if exc.params else _(exc.message)


def _upload_dir(request: Request) -> Path:
    folder = request.app.state.settings.upload_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - KEEP_UPLOADS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # removed by a concurrent sweep


async def _keep(request: Request, filename: str, content: bytes, estate_id: int, mode: str, rows: int = 0) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    note = {"user": request.user.user_id, "estate": estate_id, "mode": mode, "name": filename, "ext": ext,
            "rows": rows}
    if storage.in_database():
        # Any app node may take the commit: the preview's file is kept in the shared database.
        token = secrets.token_hex(16)
        async with db.write():
            await storage.sweep_rows("imports", KEEP_UPLOADS)
            await storage.sweep_rows("importnotes", KEEP_UPLOADS)
            await storage.put_row(f"imports/{token}", content)
            await storage.put_row(f"importnotes/{token}", json.dumps(note, ensure_ascii=False).encode())
        return token
    folder = _upload_dir(request)
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.{ext}").write_bytes(content)
    (folder / f"{token}.json").write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
    return token


async def read_kept(upload_dir: Path, token: str) -> tuple[dict, bytes]:
    """The file a preview kept and its note (whoever uploaded it: callers check)."""
    if not TOKEN.match(token or ""):
        raise NotFound("This upload has expired. Upload the file again.")
    try:
        if storage.in_database() and re.fullmatch(r"[0-9a-f]{32}", token):
            raw_note = await storage.read(upload_dir, f"importnotes/{token}")
            content = await storage.read(upload_dir, f"imports/{token}")
            if raw_note is None or content is None:
                raise ValueError(token)
            note = json.loads(raw_note.decode("utf-8"))
            if note.get("ext") not in MEDIA:
                raise ValueError(note.get("ext"))
        else:
            folder = upload_dir / "imports"
            note = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
            if note.get("ext") not in MEDIA:
                raise ValueError(note.get("ext"))
            content = (folder / f"{token}.{note['ext']}").read_bytes()
    except (OSError, ValueError, KeyError):
        raise NotFound("This upload has expired. Upload the file again.") from None
    return note, content


async def _kept(request: Request, token: str) -> tuple[dict, bytes]:
    """The file a preview kept, only for the user who uploaded it."""
    note, content = await read_kept(request.app.state.settings.upload_dir, token)
    if note.get("user") != request.user.user_id:
        raise Forbidden()
    return note, content


async def forget_kept(upload_dir: Path, token: str, ext: str) -> None:
    if storage.in_database() and re.fullmatch(r"[0-9a-f]{32}", token):
        async with db.write():
            await storage.delete_rows(f"imports/{token}", f"importnotes/{token}")
        return
    folder = upload_dir / "imports"
    for path in (folder / f"{token}.{ext}", folder / f"{token}.json"):
        path.unlink(missing_ok=True)


async def _forget(request: Request, token: str, ext: str) -> None:
    await forget_kept(request.app.state.settings.upload_dir, token, ext)


async def _form_page(request: Request, *, status_code: int = 200, message: str = "", estate: int | None = None,
                     mode: str = "create") -> Any:
    estates = await service.importable_estates(request.user)
    return page(request, "imports/upload.html", status_code=status_code, estates=estates, message=message,
                chosen=estate, mode=mode, modes=MODE_LABELS, max_mb=MAX_UPLOAD // (1024 * 1024))


def _preview_page(request: Request, outcome: service.Outcome, *, status_code: int = 200, token: str = "",
                  filename: str = "", message: str = "") -> Any:
    _ = translator(locale_of(request))
    report = outcome.report
    return page(
        request, "imports/preview.html", status_code=status_code, estate=outcome.estate,
        rows=[_row_view(r, _) for r in report.rows], errors=[_issue(i, _) for i in report.errors],
        warnings=[_issue(i, _) for i in report.warnings], summary=outcome.summary, mode=report.mode,
        ok=report.ok, token=token, filename=filename, message=message, labels=rf.LABELS,
        in_background=len(report.rows) > job_rows(),
    )


# ---------------------------------------------------------------- pages

@get("/imports", guards=[signed_in], name="imports.form")
async def upload_form(request: Request) -> Any:
    estate = request.query_params.get("estate")
    return await _form_page(request, estate=int(estate) if estate and estate.isdigit() else None)


@post("/imports/preview", guards=[signed_in], name="imports.preview", request_max_body_size=BODY_LIMIT)
async def preview_page(request: Request, data: Annotated[UploadForm, MultiPart]) -> Any:
    service.require_import(request.user)
    _ = translator(locale_of(request))
    if data.estate is None:
        return await _form_page(request, status_code=422, message=_("Choose an estate."), mode=data.mode)
    mode = _mode(data.mode)
    await service.estate_for(request.user, data.estate)
    try:
        filename, content = await _read_upload(data.file)
        sheet = await _read_register(filename, content)
    except rf.RegisterFileError as e:
        return await _form_page(request, status_code=422, message=_file_error(e, _), estate=data.estate, mode=mode)
    outcome = await service.preview(request.user, data.estate, sheet, mode)
    token = await _keep(request, filename, content, data.estate, mode, rows=len(outcome.report.rows)) if outcome.report.ok else ""
    return _preview_page(request, outcome, status_code=200 if outcome.report.ok else 422, token=token,
                         filename=filename)


@post("/imports/commit", guards=[signed_in], name="imports.commit")
async def commit_page(request: Request) -> Any:
    service.require_import(request.user)
    form = await request.form()
    token = str(form.get("token") or "")
    note, content = await _kept(request, token)
    estate_raw = str(form.get("estate") or "")
    if not estate_raw.isdigit() or int(estate_raw) != note["estate"]:
        raise Invalid("This upload was checked for another estate. Upload the file again.")
    mode = _mode(note["mode"])  # the mode the preview was checked with, whatever the form says now
    if note.get("rows", 0) > job_rows():
        # A large register is written by a background job: a page with a progress bar instead of
        # a request that hangs (council.jobs); small ones are written now, as before.
        from council.places import import_job

        job_id = await import_job.start(request.user, token, note, ip=client_ip(request))
        return Redirect(f"/jobs/{job_id}", status_code=303)
    _ = translator(locale_of(request))
    try:
        sheet = await _read_register(note["name"], content)
        outcome = await service.commit(request.user, note["estate"], sheet, mode, ip=client_ip(request))
    except rf.RegisterFileError as e:
        return await _form_page(request, status_code=422, message=_file_error(e, _), estate=note["estate"], mode=mode)
    except service.RegisterRejected as e:
        estate = await service.estate_for(request.user, note["estate"])
        failed = service.Outcome(report=e.report, summary=e.report.summary(), estate=estate)
        return _preview_page(request, failed, status_code=422, filename=note["name"], message=_(e.message))
    await _forget(request, token, note["ext"])
    return page(request, "imports/done.html", estate=outcome.estate, summary=outcome.summary, mode=mode,
                filename=note["name"])


def _download(content: bytes, fmt: str, estate: dict) -> Response:
    ascii_name = f"estate-{estate['id']}-register.{fmt}"
    utf8_name = quote(f"{estate['name']}-台账.{fmt}")
    return Response(content, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}",
        "Cache-Control": "no-store",
    })


async def _export(request: Request, estate_id: int, fmt: str) -> Response:
    if fmt not in MEDIA:
        raise Invalid("The format is csv or xlsx.", field="format")
    full = request.query_params.get("full") in ("1", "true")
    estate, records = await service.export_records(request.user, estate_id, full=full, ip=client_ip(request))
    content = rf.write_csv(records) if fmt == "csv" else rf.write_xlsx(records, title=estate["name"])
    return _download(content, fmt, estate)


@get("/estates/{row_id:int}/export.csv", guards=[signed_in], name="imports.export_csv")
async def export_csv(request: Request, row_id: FromPath[int]) -> Response:
    return await _export(request, row_id, "csv")


@get("/estates/{row_id:int}/export.xlsx", guards=[signed_in], name="imports.export_xlsx")
async def export_xlsx(request: Request, row_id: FromPath[int]) -> Response:
    return await _export(request, row_id, "xlsx")


# ---------------------------------------------------------------- API

class ImportIssue(msgspec.Struct, kw_only=True):
    line: int  # 0: the file as a whole
    column: str  # "" for the whole row
    column_label: str
    message: str  # in the reader's language


class ImportRow(msgspec.Struct, kw_only=True):
    """A row as the file said it, phone and ID numbers masked."""

    line: int
    action: str  # create / update
    building: str
    unit: str
    area_m2: str
    area_source: str
    developer_unsold: bool
    owner_name: str
    phone: str
    id_number: str
    co_owners: str
    representative: str
    errors: list[ImportIssue]
    warnings: list[ImportIssue]


class ImportReport(msgspec.Struct, kw_only=True):
    """What the import found (dry_run) or did (committed). The OpenAPI document's description of
    the body _api_body builds; a refused file comes back as problem+json with these fields."""

    estate: int
    dry_run: bool
    mode: str  # create / update
    committed: bool
    summary: dict[str, int]  # rows, units_new, units_updated, buildings_new, owner_entries, errors, warnings
    rows: list[ImportRow]
    errors: list[ImportIssue]
    warnings: list[ImportIssue]


def _api_body(outcome: service.Outcome, dry_run: bool, _) -> dict[str, Any]:
    report = outcome.report
    return {
        "estate": outcome.estate["id"],
        "dry_run": dry_run,
        "mode": report.mode,
        "committed": False,
        "summary": outcome.summary,
        "rows": [_row_view(r, _) for r in report.rows],
        "errors": [_issue(i, _) for i in report.errors],
        "warnings": [_issue(i, _) for i in report.warnings],
    }


def _api_rejected(request: Request, detail: str, body: dict | None = None) -> Response:
    response = problem(request, 422, detail, "invalid")
    return Response({**response.content, **(body or {})}, status_code=422, media_type="application/problem+json")


def _may_import(connection: Any, _: Any) -> None:
    # Refuse before the upload is read: a refused role gets 403, not a complaint about the body.
    if connection.scope.get("user") is not None:
        service.require_import(connection.scope["user"])


@post("/estates/{row_id:int}/import", guards=[signed_in, _may_import], name="imports.api_import", request_max_body_size=BODY_LIMIT,
      summary="Import units and owners from a CSV/XLSX register (dry_run=true only checks)")
async def import_api(request: Request, row_id: FromPath[int], data: Annotated[ApiUpload, MultiPart],
                     dry_run: FromQuery[bool] = True, mode: FromQuery[str] = "create") -> Response[ImportReport]:
    service.require_import(request.user)
    mode = _mode(mode)
    await service.estate_for(request.user, row_id)
    _ = translator(locale_of(request))
    try:
        filename, content = await _read_upload(data.file)
        sheet = await _read_register(filename, content)
    except rf.RegisterFileError as e:
        return _api_rejected(request, _file_error(e, _))
    try:
        if dry_run:
            outcome = await service.preview(request.user, row_id, sheet, mode)
        else:
            outcome = await service.commit(request.user, row_id, sheet, mode, ip=client_ip(request))
    except service.RegisterRejected as e:
        estate = await service.estate_for(request.user, row_id)
        failed = service.Outcome(report=e.report, summary=e.report.summary(), estate=estate)
        return _api_rejected(request, _(e.message), _api_body(failed, dry_run, _))
    body = _api_body(outcome, dry_run, _)
    if not outcome.report.ok:
        return _api_rejected(request, _("The file has errors. Nothing was imported."), body)
    body["committed"] = not dry_run
    return Response(body, status_code=200)


@get("/estates/{row_id:int}/export", guards=[signed_in], name="imports.api_export", media_type="text/csv",
     summary="Export an estate's register as CSV or XLSX (phone and ID numbers masked unless full=1)")
async def export_api(request: Request, row_id: FromPath[int], format: FromQuery[str] = "csv") -> Response:
    return await _export(request, row_id, format)


PAGE_ROUTES: list = [upload_form, preview_page, commit_page, export_csv, export_xlsx]
API_ROUTES: list = [import_api, export_api]
