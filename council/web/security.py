"""The web layer's own protections, in one place: security headers on every response, the real
client address behind a proxy, and an access log that never holds a secret or a search term.

Each is one mechanism applied app-wide (a before_send hook, one function, one logging filter), so a
route added later is covered without doing anything."""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import re
from urllib.parse import parse_qsl, quote, urlsplit

from litestar.datastructures import Headers, MutableScopeHeaders
from litestar.types import Message, Scope

# ---------------------------------------------------------------- headers

# No inline script anywhere (templates/ load their scripts from /static): an injected <script>
# cannot run. Inline style attributes stay allowed (progress meters draw their width inline), as
# styles cannot run code. Images may be data: URLs (QR codes).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
STATIC_PREFIX = "/static/"


def security_headers(path: str) -> list[tuple[str, str]]:
    """The headers every response carries. Everything but the static assets may show personal data
    (every signed-in page, the API, voting links, calendar feeds), so none of it is stored by a
    browser or a shared cache."""
    out = [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),  # frame-ancestors for browsers that predate CSP 2
        ("referrer-policy", "same-origin"),
    ]
    if not path.startswith(STATIC_PREFIX):
        out.append(("cache-control", "no-store"))
    return out


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before_send hook of the app: it sees every response, including the 404s and 405s the
    router answers before any middleware runs."""
    if message["type"] == "http.response.start" and scope.get("type") == "http":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in security_headers(scope.get("path", "")):
            headers[name] = value  # replaces a handler's own Cache-Control too


# ---------------------------------------------------------------- the client's address

@functools.lru_cache(maxsize=8)
def _trusted(spec: str) -> tuple:
    nets = []
    for part in spec.split(","):
        part = part.strip()
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return tuple(nets)


def trusted_proxies() -> tuple:
    """COUNCIL_TRUSTED_PROXIES: a comma list of the reverse proxies' addresses or networks
    (10.0.0.5, 10.1.0.0/16). Read on each call (cached per value) so tests can change it."""
    return _trusted(os.environ.get("COUNCIL_TRUSTED_PROXIES", ""))


def _is_trusted(address: str, nets: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def address_from(peer: str, forwarded_for: str | None, nets: tuple) -> str:
    """The client as the first untrusted hop: X-Forwarded-For is read right to left, and only
    while each hop is one of our proxies; a client cannot name itself by sending the header,
    since whatever it wrote sits left of the first untrusted address."""
    if not nets or not _is_trusted(peer, nets) or not forwarded_for:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    current = peer
    while hops and _is_trusted(current, nets):
        current = hops.pop()
        try:
            ipaddress.ip_address(current)
        except ValueError:  # garbage in the header: stop at the last proxy that wrote it
            return peer
    return current


def client_address(connection) -> str:
    """The real client address of a request (or an ASGI scope): the one place that decides it,
    used by the login throttle and by every audit entry."""
    scope = connection.scope if hasattr(connection, "scope") else connection
    client = scope.get("client")
    peer = client[0] if client else ""
    nets = trusted_proxies()
    if not nets:
        return peer
    return address_from(peer, Headers.from_scope(scope).get("x-forwarded-for"), nets)


# ---------------------------------------------------------------- the access log

# Path segments that are secrets: a voting link (and its photos, /v/{token}/photos/…), a calendar feed,
# a public notice's key, a reset link, a notification's link (/n/{token} and its actions).
SECRET_PATHS = re.compile(r"^(/v/|/api/v1/ballots/|/calendar/|/notices/|/api/v1/notices/|/reset/|/n/)([^/?#]+)")
# Query values that are secrets or a person's search: a name or phone typed into a search box.
SECRET_QUERY = frozenset({"q", "token", "key", "phone", "name", "id_number", "reset", "password"})
REDACTED = "[redacted]"


def redact(target: str) -> str:
    """A URL (path and query) as it may be logged."""
    try:
        parts = urlsplit(target)
    except ValueError:
        return REDACTED
    path = SECRET_PATHS.sub(lambda m: m.group(1) + REDACTED, parts.path)
    if not parts.query:
        return path
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{quote(k)}={REDACTED if k.lower() in SECRET_QUERY else quote(v)}" for k, v in pairs)
    return f"{path}?{query}"


class RedactAccessLog(logging.Filter):
    """Uvicorn's access log line is (client, method, path with query, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install_log_redaction() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactAccessLog) for f in logger.filters):
        logger.addFilter(RedactAccessLog())


# ---------------------------------------------------------------- JSON bodies

MAX_JSON_DEPTH = 32  # the deepest body the API takes is 3 levels; 5,000 would exhaust the decoder's stack
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_JSON_NEST = re.compile(rb"[\[\]{}]")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON nests deeper than `limit` (strings are skipped: brackets inside them do
    not count). Stops at the first level too deep, so a hostile body costs almost nothing."""
    depth = 0
    for m in _JSON_NEST.finditer(_JSON_STRING.sub(b'""', body)):
        if m.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class JsonDepthMiddleware:
    """At the API boundary: a JSON body nested too deeply is refused with 400 problem+json before
    any handler decodes it. The body is read up to the app's size limit and handed on unchanged;
    anything larger passes through to the size check (413)."""

    def __init__(self, app, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] != "http" or not scope["path"].startswith("/api/")
                or scope["method"] not in ("POST", "PUT", "PATCH", "DELETE")
                or b"json" not in Headers.from_scope(scope).get("content-type", "").encode()):
            await self.app(scope, receive, send)
            return
        messages, size, more = [], 0, True
        while more and size <= self.max_body:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        if not more and json_too_deep(b"".join(m.get("body", b"") for m in messages)):
            from litestar.exceptions import ClientException

            raise ClientException(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        replay = iter(messages)

        async def replayed():
            for message in replay:
                return message
            return await receive()

        await self.app(scope, replayed, send)
