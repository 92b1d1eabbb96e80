"""One error, two faces: an HTML page in the user's language, or problem details (RFC 9457) on /api/."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect

from council.core.errors import DomainError
from council.web.rendering import locale_of, page, translator
from council.web.security import redact

log = logging.getLogger("council")

TITLES = {
    400: "The request could not be understood.",
    401: "Please sign in.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    405: "This action is not allowed here.",
    409: "Conflict.",
    410: "This is no longer available.",
    413: "The upload is too large.",
    422: "Please correct the marked fields.",
    429: "Too many attempts. Please wait a few minutes and try again.",
    500: "Something went wrong on our side. The error has been logged.",
    503: "The database cannot be reached for a moment. Please try again shortly.",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(request: Request, status: int, detail: str, code: str, errors: dict | None = None) -> Response:
    _ = translator(locale_of(request))
    body = {
        "type": f"https://council.invalid/problems/{code}",
        "title": _(TITLES.get(status, "Error")),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    from council.ops.observe import current_request_id

    body["request_id"] = current_request_id()  # the id in the logs' lines for this request
    return Response(body, status_code=status, media_type="application/problem+json")


def error_page(request: Request, status: int, detail: str, errors: dict | None = None) -> Response:
    _ = translator(locale_of(request))
    # People read "截止日期", not "due_date": a field's name as a msgid ("Due date") is its label
    # in most catalogues; a name with no translation is shown as that English label.
    labelled = {_(k.replace("_", " ").strip().capitalize()): v for k, v in (errors or {}).items()}
    from council.ops.observe import current_request_id

    return page(request, "error.html", status_code=status, status=status,
                title=_(TITLES.get(status, "Error")), detail=detail, errors=labelled,
                request_id=current_request_id())


def handle_domain(request: Request, exc: DomainError) -> Response:
    _ = translator(locale_of(request))
    detail = _(exc.message, **exc.params) if exc.params else _(exc.message)
    errors = {k: _(v) for k, v in exc.errors.items()}
    if is_api(request):
        return problem(request, exc.status, detail, exc.code, errors)
    return error_page(request, exc.status, detail, errors)


def handle_http(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    _ = translator(locale_of(request))
    if isinstance(exc, NotAuthorizedException) and not is_api(request):
        return Redirect(f"/login?next={request.url.path}")
    if isinstance(exc, ValidationException):
        errors = {}
        for item in exc.extra or []:
            if isinstance(item, dict):
                errors[str(item.get("key") or item.get("source") or "body")] = str(item.get("message"))
        detail = _("The request could not be understood.") + (" " + str(exc.detail) if exc.detail else "")
        if is_api(request):
            return problem(request, 400, str(exc.detail), "invalid_request", errors)
        return error_page(request, 400, detail)
    detail = _(TITLES.get(status, "Error"))
    if "CSRF" in str(exc.detail):
        detail = _("This form has expired. Go back, reload the page and submit it again.")
    if is_api(request):
        return problem(request, status, str(exc.detail), "http_error")
    return error_page(request, status, detail)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, redact(request.url.path))
    _ = translator(locale_of(request))
    if is_api(request):
        return problem(request, 500, _(TITLES[500]), "server_error")
    return error_page(request, 500, _(TITLES[500]))


def handle_bad_value(request: Request, exc: Exception) -> Response:
    """A value the parser or the database cannot hold (an id beyond 64 bits, form bytes that are
    not UTF-8): the client's mistake, answered 400 like any malformed request, not a 500."""
    log.warning("bad value on %s %s: %s", request.method, redact(request.url.path), exc)
    _ = translator(locale_of(request))
    if is_api(request):
        return problem(request, 400, _(TITLES[400]), "invalid_request")
    return error_page(request, 400, _(TITLES[400]))


def _bad_value_errors() -> tuple[type[Exception], ...]:
    found: list[type[Exception]] = [OverflowError, UnicodeDecodeError]
    try:
        from asyncpg.exceptions import DataError  # PostgreSQL's "value out of int64 range" and kin

        found.append(DataError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(found)


def _db_unavailable_errors() -> tuple[type[Exception], ...]:
    found: list[type[Exception]] = [ConnectionError]  # refused / reset: the database server is away
    try:
        from asyncpg import exceptions as pg

        # Class 08 (connection exception), class 57 (shutdown, restart, cancel), a closed connection.
        found += [pg.PostgresConnectionError, pg.OperatorInterventionError, pg.InterfaceError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(found)


def handle_db_unavailable(request: Request, exc: Exception) -> Response:
    """The database went away (restarted, failed over): 503 with Retry-After, not a 500. The
    pool replaces the dead connections by itself, so the next request usually succeeds."""
    if type(exc).__name__ == "InterfaceError" and "closed" not in str(exc):
        return handle_unexpected(request, exc)  # other interface errors are bugs: log them as such
    log.warning("database unavailable on %s %s: %s: %s", request.method, redact(request.url.path), type(exc).__name__, exc)
    _ = translator(locale_of(request))
    if is_api(request):
        response = problem(request, 503, _(TITLES[503]), "database_unavailable")
    else:
        response = error_page(request, 503, _(TITLES[503]))
    response.headers["Retry-After"] = "2"
    return response


EXCEPTION_HANDLERS = {
    DomainError: handle_domain,
    HTTPException: handle_http,
    **{cls: handle_bad_value for cls in _bad_value_errors()},
    **{cls: handle_db_unavailable for cls in _db_unavailable_errors()},
    Exception: handle_unexpected,
}
