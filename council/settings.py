"""Settings come from the environment, read once per process.

COUNCIL_DATA_DIR      where the SQLite file, the secret key and uploads live (default ./data)
COUNCIL_DATABASE_URL  sqlite:///path/to/file.db or postgresql://user:pass@host:port/db
COUNCIL_SECRET_KEY    signs CSRF cookies; generated and kept in the data directory when absent
COUNCIL_SECURE_COOKIES  "1" behind HTTPS, so session cookies are marked Secure
COUNCIL_PUBLIC_URL    https://council.example.org: the base of every link that leaves the app
COUNCIL_LOG_FORMAT    text (default) or json (one JSON object a line)
COUNCIL_METRICS_TOKEN bearer token for /metrics; without it /metrics answers 404
COUNCIL_FILE_STORE    where uploads live: database (default on PostgreSQL) or files (default on SQLite)
COUNCIL_PDF_WORKERS   PDF rendering processes per server process
COUNCIL_WORKERS       server processes (`council serve --workers` sets it for its children)
COUNCIL_DEBUG         tracebacks in error pages (never in production)
COUNCIL_PDF_WARM      start the PDF workers with the server (default yes; 0 leaves them to the first PDF)

Every COUNCIL_* variable is read here and nowhere else. Booleans accept 1/true/yes/0/false/no;
anything else stops the start with a message naming the variable (a typo like "ture" would
otherwise silently mean "off").
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    secure_cookies: bool = False
    debug: bool = False
    session_days: int = 14
    public_url: str | None = None
    log_format: str = "text"
    metrics_token: str | None = None
    file_store: str = "files"
    workers: int = 1

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"


def _secret_key(data_dir: Path) -> str:
    from_env = os.environ.get("COUNCIL_SECRET_KEY")
    if from_env:
        return from_env
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Written with 0600 so other local users cannot forge CSRF tokens.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and what it accepts."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a yes/no value: use 1, true, yes, 0, false or no.")


def env_int(name: str, default: int | None, minimum: int = 1, maximum: int = 1024) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise SettingsError(f"{name}={raw!r} must be a whole number from {minimum} to {maximum}.")
    return int(raw)


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r} must be one of: {', '.join(choices)}.")
    return raw


def public_url_setting() -> str | None:
    raw = os.environ.get("COUNCIL_PUBLIC_URL", "").strip()
    if not raw:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"COUNCIL_PUBLIC_URL={raw!r} must look like https://council.example.org "
                            "(scheme and host, optionally a path; no query).")
    return raw.rstrip("/")


def pdf_workers(server_workers: int | None = None) -> int:
    """PDF rendering processes in this server process. Each server process keeps its own pool, so
    by default the pools together stay within the cores, one core left for the web servers'
    event loops (on 2 CPUs a light page's p95 tripled while 4 PDFs rendered)."""
    configured = env_int("COUNCIL_PDF_WORKERS", None, 1, 64)
    if configured:
        return configured
    workers = server_workers or env_int("COUNCIL_WORKERS", 1) or 1
    return max(1, min(4, ((os.cpu_count() or 1) - 1) // workers))


def pg_bin() -> str | None:
    return os.environ.get("COUNCIL_PG_BIN") or None


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("COUNCIL_DATA_DIR", "data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("COUNCIL_DATABASE_URL") or f"sqlite:///{data_dir / 'council.db'}"
    if not url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise SettingsError(f"COUNCIL_DATABASE_URL={url!r}: use sqlite:///path/to/file.db or "
                            "postgresql://user:password@host:5432/database.")
    sqlite = url.startswith("sqlite")
    file_store = env_choice("COUNCIL_FILE_STORE", ("database", "files"), "files" if sqlite else "database")
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=_secret_key(data_dir),
        secure_cookies=env_bool("COUNCIL_SECURE_COOKIES"),
        debug=env_bool("COUNCIL_DEBUG"),
        public_url=public_url_setting(),
        log_format=env_choice("COUNCIL_LOG_FORMAT", ("text", "json"), "text"),
        metrics_token=os.environ.get("COUNCIL_METRICS_TOKEN") or None,
        file_store=file_store,
        workers=env_int("COUNCIL_WORKERS", 1) or 1,
    )
