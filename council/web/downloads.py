"""Serving uploaded files back: one way for every route that hands out what someone uploaded.

An upload is someone else's bytes. A browser that guesses a type from the bytes (MIME sniffing)
or renders a file in the app's origin can be made to run a script that passed as a PDF. So every
uploaded file is served with `X-Content-Type-Options: nosniff`, and as a download
(`Content-Disposition: attachment`) unless its *content* — its first bytes, read now, not its
name nor the type stored at upload — shows one of the allowed image types; those open inline so
a photo can be looked at on the case page.
"""

from __future__ import annotations

from pathlib import Path

from litestar.response import File

from council.cases.attachments import sniff

OCTET = "application/octet-stream"


def serve_upload(path: Path, filename: str, *, media_type: str | None = None, inline_images: bool = True) -> File:
    """`media_type` forces the Content-Type and `inline_images=False` always downloads (the API
    hands over bytes); otherwise the inline-or-download decision is taken from the content."""
    with open(path, "rb") as fh:
        real = sniff(fh.read(16))
    image = inline_images and real is not None and real.startswith("image/")
    return File(path=path, filename=filename, media_type=media_type or real or OCTET,
                content_disposition_type="inline" if image else "attachment",
                headers={"X-Content-Type-Options": "nosniff"})
