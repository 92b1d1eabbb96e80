"""A download answered from bytes (a file kept in the database, or read from the uploads folder),
with the same Content-Disposition that Litestar's File gives a path."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response


def download(body: bytes, filename: str, media_type: str, disposition: str = "attachment",
             headers: dict | None = None) -> Response:
    quoted = quote(filename)
    value = (f'{disposition}; filename="{filename}"' if quoted == filename
             else f"{disposition}; filename*=utf-8''{quoted}")
    return Response(body, media_type=media_type, headers={"Content-Disposition": value, **(headers or {})})
