"""Route guards: signed in, and (for the API) signed in with a token."""

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("Sign in first.")


def client_ip(connection: ASGIConnection) -> str:
    """The real client address (behind COUNCIL_TRUSTED_PROXIES): see council.web.security."""
    from council.web.security import client_address

    return client_address(connection)
