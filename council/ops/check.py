"""`council check`: what this machine is missing to serve Council, one line per need."""

from __future__ import annotations

import asyncio
import ctypes.util
import shutil
import subprocess


def _fonts() -> tuple[bool, str]:
    if not shutil.which("fc-list"):
        return False, "fontconfig (fc-list) not found: apt install fontconfig fonts-noto-cjk"
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    if "Noto Sans CJK" in out or "Noto Serif CJK" in out:
        return True, "Noto CJK found"
    return False, "no Noto CJK font: Chinese PDFs would show empty boxes. apt install fonts-noto-cjk"


def _harfbuzz() -> tuple[bool, str]:
    if ctypes.util.find_library("harfbuzz-subset"):
        return True, "libharfbuzz-subset found"
    return False, ("libharfbuzz-subset missing: about 7 s instead of 0.1 s per Chinese PDF page. "
                   "apt install libharfbuzz-subset0")


def _weasyprint() -> tuple[bool, str]:
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi)
    except Exception as e:  # OSError when libpango is missing
        return False, f"WeasyPrint cannot load: {e}. apt install libpango-1.0-0 libpangoft2-1.0-0"
    return True, f"WeasyPrint {weasyprint.__version__}"


def _database(settings) -> tuple[bool, str]:
    from council import db
    from council.migrations import pending

    async def go():
        db.configure(settings.database_url)
        await db.start()
        try:
            await db.raw("SELECT 1 AS ok")
            return [m.ID for m in await pending()]
        finally:
            await db.stop()

    engine = "SQLite" if settings.is_sqlite else "PostgreSQL"
    try:
        waiting = asyncio.run(go())
    except Exception as e:
        return False, f"{engine} cannot be reached: {type(e).__name__}: {e}"
    if waiting:
        return False, f"{engine} reachable, {len(waiting)} migration(s) pending: run `council migrate`"
    return True, f"{engine} reachable, migrations current"


def _catalogues() -> tuple[bool, str]:
    from council.core import i18n

    try:
        i18n.translations("zh_CN")
    except Exception as e:
        return False, str(e)
    return True, "zh_CN compiled"


def _templates() -> tuple[bool, str]:
    from council.paths import TEMPLATES

    if (TEMPLATES / "base.html").is_file():
        return True, str(TEMPLATES)
    return False, f"no templates at {TEMPLATES}: reinstall the wheel"


def _public_url(settings) -> tuple[bool, str]:
    if settings.public_url:
        ok = settings.public_url.startswith("https://")
        return ok, settings.public_url + ("" if ok else " (not https: links on letters would be plain http)")
    return False, ("COUNCIL_PUBLIC_URL is not set: QR codes on letters and links in messages would use the "
                   "address each request came in on. Set it to the address residents use, e.g. https://council.example.org")


def run_checks() -> list[tuple[bool, str, str]]:
    from council.settings import load_settings

    settings = load_settings()
    return [
        (ok, name, detail) for name, (ok, detail) in (
            ("CJK fonts", _fonts()), ("HarfBuzz subsetting", _harfbuzz()), ("WeasyPrint", _weasyprint()),
            ("templates", _templates()), ("catalogues", _catalogues()), ("database", _database(settings)),
            ("public URL", _public_url(settings)))
    ]
