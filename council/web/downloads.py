"""Serving stored files back: one way for every route that hands out bytes, from a file kept in
the database (stateless nodes) or read from the uploads folder.

An upload is someone else's bytes. A browser that guesses a type from the bytes (MIME sniffing)
or renders a file in the app's origin can be made to run a script that passed as a PDF. So every
uploaded file is served with `X-Content-Type-Options: nosniff`, and as a download
(`Content-Disposition: attachment`) unless its *content* — its first bytes, read now, not its
name nor the type stored at upload — shows one of the allowed image types; those open inline so
a photo can be looked at on the case page.
"""

from __future__ import annotations

from urllib.parse import quote

from litestar import Response

OCTET = "application/octet-stream"


def download(body: bytes, filename: str, media_type: str, disposition: str = "attachment",
             headers: dict | None = None) -> Response:
    """Bytes with the same Content-Disposition that Litestar's File gives a path."""
    quoted = quote(filename)
    value = (f'{disposition}; filename="{filename}"' if quoted == filename
             else f"{disposition}; filename*=utf-8''{quoted}")
    return Response(body, media_type=media_type, headers={"Content-Disposition": value, **(headers or {})})


def serve_upload(body: bytes, filename: str, *, media_type: str | None = None, inline_images: bool = True) -> Response:
    """`media_type` forces the Content-Type and `inline_images=False` always downloads (the API
    hands over bytes); otherwise the inline-or-download decision is taken from the content."""
    from council.cases.attachments import sniff

    real = sniff(body[:16])
    image = inline_images and real is not None and real.startswith("image/")
    return download(body, filename, media_type or real or OCTET, "inline" if image else "attachment",
                    headers={"X-Content-Type-Options": "nosniff"})
