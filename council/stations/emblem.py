"""A station's emblem: a small PNG or JPEG shown beside the station's name in the top bar of the
pages and in the running header of every PDF. None by default: the name alone.

The image is checked by its bytes (PNG or JPEG signature, then decoded by Pillow: a renamed file, a
truncated image or a pixel bomb is refused), limited in size, stored under a random key through
council/storage.py ("emblems/<hex>": a file under the uploads folder or a database row, written in
the same transaction as the station's row) and the change is audited. The station's administrators
change it: the administrator, and the secretary of that station.
"""

from __future__ import annotations

import base64
import asyncio
import hashlib
import io
import secrets
from pathlib import Path

from council import db, storage
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Forbidden, Invalid, OutOfScope
from council.stations.tables import Station

MAX_BYTES = 512 * 1024  # an emblem is a small picture; the PDFs embed it in every page's header
MAX_SIDE = 2000  # pixels, each way
AREA = "emblems"
TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def check_emblem(content: bytes) -> str:
    """The image's content type, or Invalid saying why it is refused."""
    if not content:
        raise Invalid("Choose a PNG or JPEG image for the emblem.", field="emblem")
    if len(content) > MAX_BYTES:
        raise Invalid("The emblem must be at most 512 KB.", field="emblem")
    sniffed = sniff(content[:8])
    if sniffed is None:
        raise Invalid("The emblem must be a PNG or JPEG image.", field="emblem")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as img:
            if TYPES.get(img.format or "") != sniffed:
                raise ValueError(img.format)
            width, height = img.size
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                raise Invalid("The emblem must be at most 2000 × 2000 pixels.", field="emblem")
            img.load()  # decodes every byte: a damaged image fails here
        # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process on import, and then
        # load() accepts a cut-off file: check the end of the file ourselves.
        if sniffed == "image/png":
            with Image.open(io.BytesIO(content)) as img:
                img.verify()  # every chunk's CRC, up to IEND
        elif not content.rstrip(b"\0\r\n ").endswith(b"\xff\xd9"):
            raise ValueError  # a JPEG cut off before its end-of-image marker
    except Invalid:
        raise
    except Exception:
        raise Invalid("The emblem must be a PNG or JPEG image.", field="emblem") from None
    return sniffed


def can_change(principal: Principal) -> bool:
    """Who may change an emblem at all (the station itself is checked by `_station`)."""
    return principal.role in (Role.admin, Role.secretary)


async def _station(principal: Principal, station_id: int) -> dict:
    row = await Station.select(Station.id, Station.emblem, Station.version).where(Station.id == station_id).first()
    if row is None or not principal.sees_station(station_id):
        raise OutOfScope()  # a station of another community answers as a missing one
    return row


def emblem_url(station_id: int, key: str) -> str:
    """The image's address for pages ("" for none); the key's tail makes a new emblem a new URL."""
    return f"/stations/{station_id}/emblem?v={key[-8:]}" if key else ""


async def set_emblem(principal: Principal, station_id: int, content: bytes, ip: str = "") -> str:
    """Permission → check the image → write the file, the station's row and the audit entry."""
    if not can_change(principal):
        raise Forbidden()
    station = await _station(principal, station_id)
    # Decoding a picture of up to 2000 × 2000 pixels takes tens of milliseconds: not on the event loop.
    content_type = await asyncio.to_thread(check_emblem, content)
    digest = hashlib.sha256(content).hexdigest()
    key = f"{AREA}/{secrets.token_hex(16)}"
    written: Path | None = None
    if not storage.in_database():
        written = storage.write_file(storage.upload_dir(), key, content)
    try:
        async with db.write():
            if storage.in_database():
                await storage.put_row(key, content)
                if station["emblem"]:
                    await storage.delete_rows(station["emblem"])
            await Station.update({Station.emblem: key, Station.version: Station.version + 1}).where(
                Station.id == station_id)
            await audit.record(principal, "station.emblem", entity_type="station", entity_id=station_id,
                               before={"emblem": station["emblem"]},
                               after={"emblem": key, "content_type": content_type, "size": len(content),
                                      "sha256": digest},
                               station_id=station_id, ip=ip)
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    _unlink_old(station["emblem"])
    return key


async def remove_emblem(principal: Principal, station_id: int, ip: str = "") -> None:
    """Back to the name alone (audited); nothing changes when there was none."""
    if not can_change(principal):
        raise Forbidden()
    station = await _station(principal, station_id)
    if not station["emblem"]:
        return
    async with db.write():
        if storage.in_database():
            await storage.delete_rows(station["emblem"])
        await Station.update({Station.emblem: "", Station.version: Station.version + 1}).where(
            Station.id == station_id)
        await audit.record(principal, "station.emblem", entity_type="station", entity_id=station_id,
                           before={"emblem": station["emblem"]}, after={"emblem": ""}, station_id=station_id, ip=ip)
    _unlink_old(station["emblem"])


def _unlink_old(key: str) -> None:
    """After a change: the replaced file goes, and the top bars of this process show the new emblem
    at once (other processes within council.accounts.whois.TTL seconds)."""
    from council.accounts import whois

    whois.forget()
    if key and not storage.in_database() and storage.KEY.match(key):
        (storage.upload_dir() / key).unlink(missing_ok=True)


async def read_emblem(principal: Principal, station_id: int) -> tuple[bytes, str]:
    """(bytes, content type) for whoever works at the station (OutOfScope otherwise, or with none)."""
    station = await _station(principal, station_id)
    if not station["emblem"]:
        raise OutOfScope()
    body = await storage.read(storage.upload_dir(), station["emblem"])
    if body is None:
        raise OutOfScope()
    return body, sniff(body[:8]) or "application/octet-stream"


async def pdf_emblem(station_id: int | None) -> str:
    """The emblem as a data: URL for a PDF's header ("" for none): the PDF renderer fetches nothing
    but data: URLs and its own assets. Marked Unmasked so that the PDFs' phone masking leaves the
    base64 text (whose digits can look like a phone number) alone."""
    from council.privacy import Unmasked

    if not station_id:
        return ""
    row = await Station.select(Station.emblem).where(Station.id == station_id).first()
    if not row or not row["emblem"]:
        return ""
    body = await storage.read(storage.upload_dir(), row["emblem"])
    kind = sniff(body[:8]) if body else None
    if kind is None:
        return ""
    return Unmasked(f"data:{kind};base64,{base64.b64encode(body).decode('ascii')}")
