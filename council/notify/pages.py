"""Pages of notifications: the inbox (the bell on every page counts its unread lines), one's own
preferences, the admin's outbox (filters, failures, resend), channel credentials and an
organisation's or station's preferences, and the signed links for people without accounts."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council.core.i18n import C_
from council.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from council.core.localtime import local_time
from council.notify import config, linkuse, manage, messages, rules
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator


def N_(msgid: str) -> str:
    return msgid


CHANNEL_LABELS = {"inapp": N_("In the app"), "email": N_("E-mail"), "wecom": N_("WeCom group robot"), "sms": N_("SMS")}
# "Held" and "Failed" mean other things elsewhere (a meeting held, a vote failed): msgctxt "delivery".
STATUS_LABELS = {"pending": N_("Waiting to send"), "sending": N_("Sending"), "sent": N_("Delivered"),
                 "held": C_("delivery", "Held"), "dead": C_("delivery", "Failed"),
                 "uncertain": N_("Uncertain: check the group"), "digested": N_("In the digest")}
FIELD_LABELS = {"host": N_("Server"), "port": N_("Port"), "user": N_("User name"), "password": N_("Password"),
                "from": N_("Sender address"), "tls": N_("TLS (starttls / ssl / empty)"), "endpoint": N_("Endpoint"),
                "key": N_("Default robot key"), "access_key_id": N_("AccessKey ID"),
                "access_key_secret": N_("AccessKey secret"), "sign_name": N_("SMS signature"),
                "template": N_("Default template code"), "templates": N_("Template codes per event (JSON)")}


def words(**extra: Any) -> dict:
    return dict(channel_labels=CHANNEL_LABELS, status_labels=STATUS_LABELS, local_time=local_time, **extra)


def _errors(request: Request, e: DomainError) -> tuple[str, dict]:
    _ = translator(locale_of(request))
    return _(e.message), {k: _(v) for k, v in (e.errors or {}).items()}


# ---------------------------------------------------------------- the bell and the inbox

def bell_middleware(app):
    """Counts the signed-in user's unread in-app messages for the bell in base.html (pages only)."""

    async def middleware(scope, receive, send):
        user = scope.get("user")
        if (scope["type"] == "http" and user is not None and scope.get("method") == "GET"
                and not scope["path"].startswith(("/api/", "/static/"))):
            try:
                scope.setdefault("state", {})["notify_unread"] = await manage.unread_count(user.user_id)
            except Exception:  # the bell must never break a page
                pass
        await app(scope, receive, send)

    return middleware


@get("/notify/inbox", guards=[signed_in])
async def inbox_page(request: Request) -> Any:
    rows = await manage.inbox(request.user)
    locale = locale_of(request)
    for r in rows:
        r["text"] = messages.text_for(r["event"], r["params"] or {}, locale)
    return page(request, "notify/inbox.html", rows=rows, **words())


@post("/notify/inbox/read", guards=[signed_in])
async def inbox_read(request: Request) -> Any:
    form = await request.form()
    ids = [int(v) for v in form.getall("id", []) if str(v).isdigit()] if hasattr(form, "getall") else []
    await manage.mark_read(request.user, ids or None)
    return Redirect("/notify/inbox", status_code=303)


# ---------------------------------------------------------------- preferences

async def _pref_page(request: Request, owner: str, *, status_code: int = 200, errors: dict | None = None,
                     message: str | None = None, values: dict | None = None) -> Any:
    pref = values or await manage.preference(owner)
    return page(request, "notify/preferences.html", status_code=status_code, owner=owner, pref=pref,
                errors=errors or {}, message=message, channels=rules.CHANNELS,
                done=request.query_params.get("done") == "1", **words())


@get("/notify/preferences", guards=[signed_in])
async def my_preferences(request: Request) -> Any:
    owner = request.query_params.get("owner") or f"user:{request.user.user_id}"
    kind, ident = manage._owner(owner)
    if not manage._may_edit(request.user, kind, ident):
        raise Forbidden()
    return await _pref_page(request, owner)


@post("/notify/preferences", guards=[signed_in])
async def save_preferences(request: Request) -> Any:
    form = await request.form()
    owner = form.get("owner") or f"user:{request.user.user_id}"
    data = {k: form.get(k) for k in ("email", "mobile", "wecom_key", "quiet_start", "quiet_end", "digest")}
    data["channels"] = form.getall("channels", []) if hasattr(form, "getall") else []
    try:
        await manage.save_preference(request.user, owner, data, ip=client_ip(request))
    except Invalid as e:
        message, errors = _errors(request, e)
        return await _pref_page(request, owner, status_code=e.status, errors=errors, message=message,
                                values={**data, "owner": owner})
    return Redirect(f"/notify/preferences?owner={owner}&done=1", status_code=303)


# ---------------------------------------------------------------- the admin's outbox

@get("/admin/notify", guards=[signed_in])
async def outbox_page(request: Request) -> Any:
    qp = request.query_params
    filters = {k: qp.get(k, "") for k in ("status", "channel", "event", "q")}
    from council.core.reading import bounded_int

    page_no = bounded_int(qp.get("page", "1"), lo=1) or 1
    rows, total = await manage.outbox_list(request.user, **filters, page=page_no)
    shown = bounded_int(qp.get("attempts") or "", lo=1)
    attempts = await manage.attempts_of(request.user, shown) if shown else []
    from council.privacy import mask_phone

    for r in rows:
        if r["channel"] == "sms":
            r["address"] = mask_phone(r["address"])
        elif r["channel"] == "wecom":
            r["address"] = "***"
    return page(request, "notify/outbox.html", rows=rows, total=total, filters=filters, page_no=page_no,
                pages=max(1, -(-total // manage.PAGE)), statuses=manage.STATUSES, events=sorted(messages.TEMPLATES),
                attempts=attempts, shown=shown, done=qp.get("done", ""), **words())


@post("/admin/notify/{outbox_id:int}/resend", guards=[signed_in])
async def resend(request: Request, outbox_id: FromPath[int]) -> Any:
    try:
        await manage.resend(request.user, outbox_id, ip=client_ip(request))
    except Conflict:
        return Redirect("/admin/notify?done=refused", status_code=303)
    return Redirect("/admin/notify?done=resend", status_code=303)


async def _channels_page(request: Request, *, status_code: int = 200, errors: dict | None = None,
                         message: str | None = None, channel: str = "") -> Any:
    if not request.user.is_admin:
        raise Forbidden()
    state = {}
    for name, fields in config.FIELDS.items():
        env = config.from_env(name)
        current = await config.settings(name, fresh=True)
        state[name] = {"fields": fields, "env": sorted(env), "configured": config.configured(name, current),
                       "values": {f: ("" if f in config.SECRET_FIELDS else current.get(f, "")) for f in fields},
                       "has_secret": {f: bool(current.get(f)) for f in fields if f in config.SECRET_FIELDS}}
    return page(request, "notify/channels.html", status_code=status_code, state=state, errors=errors or {},
                message=message, failed=channel, field_labels=FIELD_LABELS, done=request.query_params.get("done") == "1",
                **words())


@get("/admin/notify/channels", guards=[signed_in])
async def channels_page(request: Request) -> Any:
    return await _channels_page(request)


@post("/admin/notify/channels", guards=[signed_in])
async def channels_save(request: Request) -> Any:
    form = await request.form()
    channel = form.get("channel") or ""
    try:
        await config.save(request.user, channel, {f: form.get(f) for f in config.FIELDS.get(channel, ())},
                          ip=client_ip(request))
    except Invalid as e:
        message, errors = _errors(request, e)
        return await _channels_page(request, status_code=e.status, errors=errors, message=message, channel=channel)
    return Redirect("/admin/notify/channels?done=1", status_code=303)


# ---------------------------------------------------------------- signed links (no account)

async def _link_page(request: Request, token: str, *, status_code: int = 200, message: str | None = None,
                     errors: dict | None = None) -> Any:
    from council.notify.tables import Link
    from council.votes import tokens

    row = await Link.select(Link.purpose).where(Link.token_hash == tokens.hash_token(token)).first() \
        if tokens.looks_like_token(token) else None
    if row is None:
        raise NotFound(linkuse.links.INVALID)
    done = request.query_params.get("done", "")
    if row["purpose"] == "case_handle":
        link, case = await linkuse.open_case(token, client_ip(request))
        return page(request, "notify/link_case.html", status_code=status_code, link=link, c=case, token=token,
                    message=message, errors=errors or {}, done=done, **words())
    link, session, party = await linkuse.open_session(token)
    return page(request, "notify/link_session.html", status_code=status_code, link=link, s=session, party=party,
                token=token, message=message, errors=errors or {}, done=done, **words())


@get("/n/{token:str}")
async def link_page(request: Request, token: FromPath[str]) -> Any:
    return await _link_page(request, token)


async def _link_action(request: Request, token: str, done: str, action) -> Any:
    """One answer for every move made through a link: back to the link's page, with the refusal
    beside its field, or with what was done."""
    try:
        await action
    except (Invalid, Conflict) as e:
        message, errors = _errors(request, e)
        return await _link_page(request, token, status_code=e.status, message=message, errors=errors)
    return Redirect(f"/n/{token}?done={done}", status_code=303)


@post("/n/{token:str}/accept")
async def link_accept(request: Request, token: FromPath[str]) -> Any:
    return await _link_action(request, token, "accept", linkuse.accept_case(token, ip=client_ip(request)))


UPLOAD_LIMIT = 64 * 1024 * 1024


@post("/n/{token:str}/report", request_max_body_size=UPLOAD_LIMIT)
async def link_report(request: Request, token: FromPath[str]) -> Any:
    from council.cases import attachments

    form = await request.form()
    photos = []
    for upload in (form.getall("photos", []) if hasattr(form, "getall") else []):
        if hasattr(upload, "read") and upload.filename:
            photos.append((upload.filename, await upload.read(attachments.MAX_BYTES + 1)))
    return await _link_action(request, token, "report", linkuse.report_case(
        token, form.get("report") or "", photos[:10], request.app.state.settings.upload_dir, ip=client_ip(request)))


@post("/n/{token:str}/confirm")
async def link_confirm(request: Request, token: FromPath[str]) -> Any:
    return await _link_action(request, token, "confirm", linkuse.confirm_session(token, ip=client_ip(request)))


PAGE_ROUTES = [inbox_page, inbox_read, my_preferences, save_preferences, outbox_page, resend, channels_page,
               channels_save, link_page, link_accept, link_report, link_confirm]
API_ROUTES: list = []
