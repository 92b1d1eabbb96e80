"""Every link that leaves the app (QR codes on voting letters, calendar feed URLs, links in
messages) is built here, by public_url(path).

With COUNCIL_PUBLIC_URL set (production: the address residents use, https://…) that is the base,
whatever Host header or forwarded headers a request carried: a printed QR code must not point at
an internal address or at a host an attacker put in a header. Without it (a laptop demo), the
address the request came in on is used; outside a request (a background worker) there is then
no address to use and the call says so.
"""

from __future__ import annotations

from typing import Any


class NoPublicUrl(RuntimeError):
    pass


def public_base(request: Any = None) -> str:
    configured = None
    if request is not None:
        settings = getattr(request.app.state, "settings", None)
        configured = getattr(settings, "public_url", None)
    else:
        from council.settings import public_url_setting

        configured = public_url_setting()
    if configured:
        return configured.rstrip("/")
    if request is None:
        raise NoPublicUrl("COUNCIL_PUBLIC_URL is not set: links built outside a request (messages, "
                          "scheduled jobs) need it, e.g. COUNCIL_PUBLIC_URL=https://council.example.org")
    return str(request.base_url).rstrip("/")


def public_url(path: str, request: Any = None) -> str:
    """The absolute address of `path` (which starts with /) as residents and partners reach it."""
    if not path.startswith("/"):
        raise ValueError(f"public_url takes a path starting with /, not {path!r}")
    return public_base(request) + path
