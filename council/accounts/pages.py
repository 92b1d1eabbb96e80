"""Sign in, sign out, change password, choose a language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect

from council.accounts import csrf, services
from council.accounts.middleware import SESSION_COOKIE
from council.accounts.ratelimit import LoginThrottle
from council.core import i18n
from council.core.errors import Invalid
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator

throttle = LoginThrottle()


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


def _session_cookie(request: Request, value: str, max_age: int) -> Cookie:
    settings = request.app.state.settings
    return Cookie(key=SESSION_COOKIE, value=value, httponly=True, samesite="lax",
                  secure=settings.secure_cookies, max_age=max_age, path="/")


@get("/login")
async def login_form(request: Request, next: FromQuery[str] = "/") -> Any:
    if request.scope.get("user"):
        return Redirect(_safe_next(next))
    return page(request, "accounts/login.html", next=_safe_next(next), error=None, username="")


@post("/login")
async def login(request: Request) -> Any:
    form = await request.form()
    username = (form.get("username") or "").strip()
    password = form.get("password") or ""
    target = _safe_next(form.get("next"))
    ip = client_ip(request)
    _ = translator(locale_of(request))
    keys = (f"ip:{ip}", f"user:{username.lower()[:100]}")
    # Slowed down, never refused: past a few failures each attempt waits (per address and per
    # account), then the password is checked as usual, so failing on purpose locks nobody out.
    wait = await throttle.attempt(*keys)
    if wait:
        await throttle.sleep(wait)
    user = await services.authenticate(username, password)
    if user is None:
        return page(request, "accounts/login.html", status_code=401, next=target, username=username,
                    error=_("Wrong username or password."))
    await throttle.succeeded(*keys)
    settings = request.app.state.settings
    token = await services.start_session(user, settings.session_days, ip=ip)
    response = Redirect(target, status_code=303)
    response.cookies.append(_session_cookie(request, token, settings.session_days * 86400))
    # The CSRF token from now on is the session's own (council.accounts.csrf).
    response.cookies.append(csrf.cookie(settings, csrf.token_for(settings.secret_key, services.session_hash(token))))
    return response


@post("/logout", guards=[signed_in])
async def logout(request: Request) -> Any:
    token = request.cookies.get(SESSION_COOKIE, "")
    await services.end_session(request.user, token, ip=client_ip(request))
    response = Redirect("/login", status_code=303)
    response.cookies.append(_session_cookie(request, "", 0))
    return response


@get("/account/password", guards=[signed_in])
async def password_form(request: Request) -> Any:
    return page(request, "accounts/password.html", errors={}, done=False)


@post("/account/password", guards=[signed_in])
async def password_change(request: Request) -> Any:
    form = await request.form()
    _ = translator(locale_of(request))
    if (form.get("new") or "") != (form.get("confirm") or ""):
        return page(request, "accounts/password.html", status_code=422,
                    errors={"confirm": _("The two new passwords differ.")}, done=False)
    try:
        await services.change_password(request.user, form.get("current") or "", form.get("new") or "",
                                       keep_session_hash=request.scope.get("auth"))
    except Invalid as e:
        return page(request, "accounts/password.html", status_code=422,
                    errors={k: _(v) for k, v in e.errors.items()}, done=False)
    return page(request, "accounts/password.html", errors={}, done=True)


@post("/locale")
async def choose_locale(request: Request) -> Any:
    form = await request.form()
    locale = i18n.normalise(form.get("locale")) or i18n.DEFAULT_LOCALE
    principal = request.scope.get("user")
    if principal:
        await services.set_locale(principal, locale)
    response = Redirect(_safe_next(form.get("next")), status_code=303)
    response.cookies.append(Cookie(key=i18n.LOCALE_COOKIE, value=locale, max_age=365 * 86400,
                                   samesite="lax", path="/"))
    return response


ROUTES = [login_form, login, logout, password_form, password_change, choose_locale]
