"""CSRF tokens bound to the session.

Litestar's CSRF middleware checks that a form's token equals the csrftoken cookie (double
submit, HMAC-signed with the server secret). Alone, that lets anyone who can plant a cookie
(a sibling subdomain, a shared browser before sign-in) choose the token. Here the token of a
signed-in browser is derived from its session: HMAC(secret, session hash). The auth middleware
runs before the CSRF check and puts the session's token in place of whatever csrftoken cookie
came in, so a form carrying any other token — planted, from before sign-in, from another
session — fails the check; on a page view the browser is handed the bound cookie."""

from __future__ import annotations

import hashlib
import hmac

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.types import Empty, Message, Scope, Send
from litestar.utils.scope.state import ScopeState

COOKIE = "csrftoken"  # Litestar's default cookie name (CSRFConfig in council.app keeps it)


def _settings(scope: Scope):
    return scope["litestar_app"].state.settings


def token_for(secret: str, session_hash: str) -> str:
    """The CSRF token of a session, in Litestar's format (token + its HMAC)."""
    raw = hmac.new(secret.encode(), f"csrf:{session_hash}".encode(), hashlib.sha256).hexdigest()[:CSRF_SECRET_LENGTH]
    return raw + generate_csrf_hash(token=raw, secret=secret)


def cookie(settings, value: str) -> Cookie:
    return Cookie(key=COOKIE, value=value, path="/", secure=settings.secure_cookies, httponly=False, samesite="lax")


def bind(scope: Scope, session_hash: str, current: str | None) -> str | None:
    """Make the request's csrftoken cookie the session's. Returns the token when the browser
    holds another one (it must be sent the right one), else None."""
    expected = token_for(_settings(scope).secret_key, session_hash)
    if current == expected:
        return None
    headers = MutableScopeHeaders(scope)
    parts = [p.strip() for p in (headers.get("cookie") or "").split(";") if p.strip()]
    parts = [p for p in parts if not p.startswith(COOKIE + "=")] + [f"{COOKIE}={expected}"]
    headers["cookie"] = "; ".join(parts)
    # Litestar caches the parsed headers and cookies in the scope: drop them so the CSRF check reads ours.
    state = ScopeState.from_scope(scope)
    state.headers = Empty
    state.cookies = Empty
    return expected


def setting_cookie(send: Send, token: str, scope: Scope) -> Send:
    header = cookie(_settings(scope), token).to_header(header="")

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message).add("set-cookie", header)
        await send(message)

    return wrapped
