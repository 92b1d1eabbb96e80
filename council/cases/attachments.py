"""Photos and files on a case: checked, stored under a random name, audited, on the timeline.

A file is accepted only when its first bytes *and* its name's extension agree on one of the
allowed types, so a renamed script cannot pass as a photo. The stored file is named by random
hex ("cases/<hex>", council/storage.py: under <upload_dir>/cases/, or a database row written in
the same transaction as the attachment's row); the client's name is kept only as a display name,
stripped of directories and control characters, and is never used to build a path.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from council import db, storage
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases import policy
from council.cases.common import add_event, load_case, now, view_of
from council.cases.tables import Attachment
from council.core.errors import DomainError, Forbidden, Invalid, NotFound
from council.core.prepared import prepared

MAX_BYTES = 10 * 1024 * 1024
# extension → content type; the sniffed type must equal the extension's.
EXTENSIONS = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
    "heic": "image/heic", "heif": "image/heic", "pdf": "application/pdf",
}
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
NAME_LIMIT = 200


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class UnsupportedType(DomainError):
    status = 415
    code = "unsupported_media_type"


def sniff(head: bytes) -> str | None:
    """The content type the first bytes show, among the allowed ones."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    # ISO base media: size(4) "ftyp" brand(4); HEIC photos from phones use these brands.
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def display_name(raw: str | None) -> str:
    """The name shown and offered on download: no directories, no control characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # Cc, Cf, Cs, Co, Cn
    name = name.strip().lstrip(".").strip()
    if len(name) > NAME_LIMIT:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: NAME_LIMIT - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:NAME_LIMIT]
    return name or "attachment"


def check_file(filename: str | None, content: bytes) -> tuple[str, str]:
    """(display name, content type), or the reason the file is refused."""
    if len(content) > MAX_BYTES:
        raise TooLarge("The file is larger than 10 MB.")
    if not content:
        raise Invalid("The file is empty.", field="file")
    name = display_name(filename)
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    sniffed = sniff(content[:16])
    if sniffed is None or EXTENSIONS.get(ext) != sniffed:
        raise UnsupportedType("Only JPEG, PNG, WebP and HEIC photos and PDF files can be attached.")
    return name, sniffed


def can_attach(principal: Principal, row: dict) -> bool:
    """Staff of the station, the handling organisation's liaison, and the resident who raised it."""
    view = view_of(row)
    if policy.can_follow_up(principal, view) or policy.can_handle(principal, view):
        return True
    return principal.role == Role.resident and row["reporter"] is not None and row["reporter"] == principal.person_id


def _folder(upload_dir: Path) -> Path:
    return Path(upload_dir) / "cases"


@dataclass(frozen=True)
class Stored:
    """A checked file under its random name, waiting for its row: already written to the uploads
    folder, or (database store) held here and written by `record` in the row's transaction."""

    path: Path
    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes | None = None  # set when the row's transaction writes the file

    @property
    def key(self) -> str:
        return f"cases/{self.path.name}"


def store(filename: str | None, content: bytes, upload_dir: Path) -> Stored:
    """Check the file and write it; the caller records it (`record`) or discards it."""
    name, content_type = check_file(filename, content)
    folder = _folder(upload_dir)
    stored_as = secrets.token_hex(16)
    digest = hashlib.sha256(content).hexdigest()
    if storage.in_database():
        return Stored(folder / stored_as, name, content_type, len(content), digest, content)
    path = storage.write_file(upload_dir, f"cases/{stored_as}", content)
    return Stored(path, name, content_type, len(content), digest)


def discard(stored: list[Stored]) -> None:
    for s in stored:
        if s.content is None:
            s.path.unlink(missing_ok=True)  # no row points at it: do not keep it


async def record(principal: Principal, case_id: int, s: Stored, station_id: int, ip: str = "") -> dict:
    """The row, timeline event and audit entry of a stored file, inside the caller's transaction."""
    if s.content is not None:
        await storage.put_row(s.key, s.content)
    values = dict(case=case_id, filename=s.filename, content_type=s.content_type, size=s.size, sha256=s.sha256,
                  stored_as=s.path.name, uploaded_by=principal.user_id or None, uploaded_at=now())
    att_id = (await Attachment.insert(Attachment(**values)))[0]["id"]
    summary = {"attachment": att_id, "filename": s.filename, "size": s.size, "sha256": s.sha256}
    await add_event(principal, case_id, "attachment", text=s.filename, data=summary)
    await audit.record(principal, "case.attachment", entity_type="case", entity_id=case_id,
                       after={**summary, "content_type": s.content_type}, station_id=station_id, ip=ip)
    return {"id": att_id, **values}


async def add_attachment(principal: Principal, case_id: int, *, filename: str | None, content: bytes,
                         upload_dir: Path, ip: str = "") -> dict:
    """Validate → permission → write (file, then row, event and audit in one transaction)."""
    check_file(filename, content)
    row = await load_case(principal, case_id)
    if not can_attach(principal, row):
        raise Forbidden()
    stored = store(filename, content, upload_dir)
    try:
        async with db.write():
            return await record(principal, case_id, stored, row["station"], ip)
    except BaseException:
        discard([stored])
        raise


async def list_attachments(case_id: int) -> list[dict]:
    """A case's attachments, oldest first (the caller has already checked the case may be read)."""
    return await _attachments(case_id)


_attachments = prepared(lambda case_id: Attachment.select().where(Attachment.case == case_id).order_by(Attachment.id))


async def open_attachment(principal: Principal, case_id: int, attachment_id: int, upload_dir: Path) -> tuple[dict, bytes]:
    """The attachment's row and its bytes, for whoever may read the case."""
    await load_case(principal, case_id)
    row = await Attachment.select().where((Attachment.id == attachment_id) & (Attachment.case == case_id)).first()
    if row is None or not STORED_NAME.match(row["stored_as"]):
        raise NotFound()
    body = await storage.read(upload_dir, f"cases/{row['stored_as']}")
    if body is None:
        raise NotFound()
    return row, body
