"""Who is asking, and in which language they read.

Pages authenticate with a session cookie (and are CSRF-protected); /api/v1 authenticates
only with `Authorization: Bearer <token>`, so a browser's cookie can never be replayed
against the API and the API needs no CSRF token.
"""

from __future__ import annotations

from litestar.datastructures import Headers
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from council.accounts import csrf, services, whois
from council.core import i18n

SESSION_COOKIE = "council_session"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _cookies(headers: Headers) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is treated as no cookies
        return {}
    return {k: m.value for k, m in jar.items()}


class AuthMiddleware(ASGIMiddleware):
    scopes = ("http",)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        headers = Headers.from_scope(scope)
        cookies = _cookies(headers)
        principal = None
        session_hash = None
        path = scope["path"]
        bound_csrf = None
        if path.startswith("/api/"):
            auth = headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                try:
                    user = await services.token_user(auth[7:].strip())
                except services.TokenExpired:
                    raise NotAuthorizedException("This API token has expired.") from None
                if user:
                    if user["token_scope"] == "read" and scope["method"] not in READ_METHODS:
                        raise PermissionDeniedException("This API token may only read.")
                    principal = await whois.principal_of(user, via="token")
        elif not path.startswith("/static/"):
            token = cookies.get(SESSION_COOKIE)
            if token:
                found = await services.session_user(token)
                if found:
                    user, session_hash = found
                    principal = await whois.principal_of(user, via="session")
                    bound_csrf = csrf.bind(scope, session_hash, cookies.get(csrf.COOKIE))
        scope["user"] = principal
        scope["auth"] = session_hash
        state = scope.setdefault("state", {})
        state["locale"] = i18n.choose(
            principal.locale if principal else None,
            cookies.get(i18n.LOCALE_COOKIE),
            headers.get("accept-language"),
        )
        if bound_csrf:
            send = csrf.setting_cookie(send, bound_csrf, scope)
        await next_app(scope, receive, send)
