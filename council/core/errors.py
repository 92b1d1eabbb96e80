"""Errors a use case raises. Each carries a message id (English, translated at the edge)
so the same error reads in the user's language on a page and as problem details on the API."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, str] | None = None, **params):
        super().__init__(message)
        self.message = message  # a msgid; formatted with params after translation
        self.params = params
        self.errors: dict[str, str] = dict(errors or {})
        if field:
            self.errors.setdefault(field, message)


class Invalid(DomainError):
    status = 422
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", **kw):
        super().__init__(message, **kw)


class OutOfScope(NotFound):
    """A row of a station the principal does not serve. Answered exactly as a row that does not
    exist (404, "Not found."), so nobody can learn by probing ids what other stations hold, nor
    what kind of thing an id is (council/core/scope.py; docs/security.md)."""

    def __init__(self, message: str = "Not found.", **kw):
        super().__init__(message, **kw)


class Forbidden(DomainError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "You do not have permission to do this.", **kw):
        super().__init__(message, **kw)


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


class Gone(DomainError):
    status = 410
    code = "gone"
