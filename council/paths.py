"""Where the app's files are, in a checkout and in an installed wheel.

The repository keeps `templates/` at its top (beside `council/`); a wheel cannot ship a top-level
folder, so the build copies it into the package as `council/_templates` (setup.py). The installed
copy wins when present; a checkout has none and uses the top-level folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_INSTALLED = PACKAGE / "_templates"
TEMPLATES = _INSTALLED if _INSTALLED.is_dir() else PACKAGE.parent / "templates"
STATIC = PACKAGE / "static"
LOCALE = PACKAGE / "locale"
