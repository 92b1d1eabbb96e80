"""Settings come from the environment, read once per process.

COUNCIL_DATA_DIR      where the SQLite file, the secret key and uploads live (default ./data)
COUNCIL_DATABASE_URL  sqlite:///path/to/file.db or postgresql://user:pass@host:port/db
COUNCIL_SECRET_KEY    signs CSRF cookies; generated and kept in the data directory when absent
COUNCIL_SECURE_COOKIES  "1" behind HTTPS, so session cookies are marked Secure
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


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("COUNCIL_DATA_DIR", "data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("COUNCIL_DATABASE_URL") or f"sqlite:///{data_dir / 'council.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=_secret_key(data_dir),
        secure_cookies=os.environ.get("COUNCIL_SECURE_COOKIES", "") == "1",
        debug=os.environ.get("COUNCIL_DEBUG", "") == "1",
    )
