"""Render a Jinja2 template to PDF bytes with WeasyPrint, off the event loop.

The renderer fetches nothing from the network or the file system beyond templates/pdf/ and
council/static/: every URL goes through `_fetcher`, which refuses anything else, so a case
title like <img src="file:///etc/passwd"> (already escaped by Jinja) or a stray http URL can't
make the server read or fetch it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from council.paths import STATIC, TEMPLATES  # checkout or installed wheel
ALLOWED_ROOTS = (TEMPLATES / "pdf", STATIC)

_pool: ProcessPoolExecutor | None = None


class PdfError(RuntimeError):
    pass


def _workers() -> int:
    """COUNCIL_PDF_WORKERS, else the cores left over by the web server processes (settings.pdf_workers)."""
    from council.settings import pdf_workers

    return pdf_workers()


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        import multiprocessing

        # "spawn": a forked child would inherit the event loop and open database sockets.
        _pool = ProcessPoolExecutor(max_workers=_workers(), mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_start_worker)
    return _pool


def _start_worker() -> None:
    _lower_priority()
    _warm()


def _warm() -> None:
    """Import WeasyPrint and lay out a little Chinese with the PDFs' own stylesheet, so the fonts
    are found and loaded now and not in the first user's request (a fresh worker renders 5.6
    times slower than a warm one: 1.7 s for the first minutes after a start)."""
    try:
        from weasyprint import HTML

        html = ('<html><head><link rel="stylesheet" href="pdf.css"></head>'
                '<body><h1>议事驿站 会议纪要</h1><p>Council 居民议事 12345</p></body></html>')
        HTML(string=html, base_url=str(TEMPLATES / "pdf") + "/", url_fetcher=_fetcher()).write_pdf()
    except Exception:  # a worker that cannot warm up still renders (and reports) on demand
        pass


def _ready() -> bool:
    return True


def start() -> None:
    """Start the worker processes now (each warms itself up as it starts): the server's startup.
    Returns at once; the workers warm up in the background at low priority."""
    pool = _executor()
    for _ in range(_workers()):
        pool.submit(_ready)


def _lower_priority() -> None:
    """Workers run at a lower CPU priority: on a small machine (2 CPUs here) the PDF workers would
    otherwise take every core and the server's light pages would queue behind them. Rendering only
    gets slower when something else wants the CPU."""
    try:
        os.nice(19)
    except OSError:  # pragma: no cover - not permitted: render at normal priority
        pass


def shutdown(wait: bool = False) -> None:
    """Stop the workers. wait=True for short-lived commands (`council demo`): the spawned workers
    are only told to exit once joined, and would otherwise outlive the command."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=wait, cancel_futures=True)
        _pool = None


@lru_cache(maxsize=4)
def _jinja(locale: str):
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from council.core import i18n

    from council.privacy import mask_free_text

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        # Every value a PDF prints passes the one masking function: a phone or ID number typed into
        # a title, a note or a name is masked on paper too. What must print in full (an
        # agreement's ID numbers, a voting link) is marked privacy.Unmasked by its document.
        finalize=mask_free_text,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    trans = i18n.translations(locale)

    def _(message: str, **params: Any) -> str:
        text = i18n.translate(trans, message)  # an i18n.InContext label in its context
        return text % params if params else text

    def pgettext(context: str, message: str, **params: Any) -> str:
        text = i18n.translate(trans, message, context)
        return text % params if params else text

    env.globals["_"] = _
    env.globals["pgettext"] = pgettext
    return env


def _fetcher():
    """A WeasyPrint fetcher that serves data: URLs and files under ALLOWED_ROOTS, and nothing else."""
    from weasyprint.urls import URLFetcher

    class AssetsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url[len("file://"):].split("?")[0]).resolve()
                if not (path.is_file() and any(path.is_relative_to(r.resolve()) for r in ALLOWED_ROOTS)):
                    raise PdfError(f"PDF renderer refused to read {url!r}")
            elif not url.startswith("data:"):
                raise PdfError(f"PDF renderer refused to fetch {url!r}")
            return super().fetch(url, headers)

    return AssetsOnly(allowed_protocols=("file", "data"), allow_redirects=False)


def render_sync(template: str, context: dict[str, Any], locale: str = "zh_CN") -> bytes:
    """Render in this process (the worker side, and scripts/benchmarks)."""
    from weasyprint import HTML

    html = _jinja(locale).get_template(template).render(**context, locale=locale)
    return HTML(string=html, base_url=str(TEMPLATES / "pdf") + "/", url_fetcher=_fetcher()).write_pdf()


# PDFs asked for and not finished in this process (queued or rendering): /metrics reports it.
_in_flight = 0


def queue_depth() -> int:
    return _in_flight


async def render(template: str, context: dict[str, Any], locale: str = "zh_CN") -> bytes:
    """Render off the event loop. The context must be picklable (plain dicts, lists, str, Decimal, date)."""
    global _in_flight
    loop = asyncio.get_running_loop()
    _in_flight += 1
    try:
        return await loop.run_in_executor(_executor(), render_sync, template, context, locale)
    finally:
        _in_flight -= 1


def document_title(pdf: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return (PdfReader(BytesIO(pdf)).metadata or {}).get("/Title", "")


def font_report() -> list[str]:
    """Warnings for start-up: what is missing that makes Chinese PDFs wrong or slow."""
    warnings = []
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
        if "Noto Sans CJK" not in out and "Noto Serif CJK" not in out:
            warnings.append("No Noto CJK font found (apt install fonts-noto-cjk): Chinese PDFs will show empty boxes.")
    else:
        warnings.append("fontconfig (fc-list) not found: cannot check for the Noto CJK font.")
    try:
        import ctypes.util

        if not ctypes.util.find_library("harfbuzz-subset"):
            warnings.append(
                "libharfbuzz-subset0 is missing: WeasyPrint falls back to slow font subsetting "
                "(about 7 s instead of 0.1 s per Chinese page). apt install libharfbuzz-subset0"
            )
    except Exception:  # pragma: no cover - ctypes lookup failing is itself worth a warning
        warnings.append("Could not check for libharfbuzz-subset.")
    return warnings
