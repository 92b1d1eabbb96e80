"""Route guards: signed in, and (for the API) signed in with a token."""

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("Sign in first.")


def above_stations(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """App-wide: the officers above the stations read, and write only what
    council.accounts.permissions.above_stations_allows lets them (a chase, an escalation)."""
    from council.accounts.permissions import above_stations_allows
    from council.core.errors import Forbidden

    user = connection.scope.get("user")
    if user is not None and not above_stations_allows(user.role, connection.scope["method"], connection.scope["path"]):
        raise Forbidden()


def client_ip(connection: ASGIConnection) -> str:
    """The real client address (behind COUNCIL_TRUSTED_PROXIES): see council.web.security."""
    from council.web.security import client_address

    return client_address(connection)
