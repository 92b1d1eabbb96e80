"""Message templates per event, in zh-CN and en (catalogue: locale/zh_CN/LC_MESSAGES/notify.po),
and the links they carry, built from COUNCIL_PUBLIC_URL."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from council.core import i18n


def N_(msgid: str) -> str:
    return msgid


TEMPLATES = {
    "request.dispatch": N_("Case %(number)s “%(title)s” has been dispatched to you. Deadline %(due)s."),
    "request.reject_report": N_("The report on case %(number)s “%(title)s” was sent back: %(text)s"),
    "request.report": N_("Case %(number)s “%(title)s” has been reported back: please verify and close it."),
    "request.close": N_("Your concern %(number)s “%(title)s” has been handled and closed."),
    "request.send_back": N_("Case %(number)s “%(title)s” was sent back by the organisation: %(text)s"),
    "request.chase": N_("Reminder: case %(number)s “%(title)s” is waiting for you. Deadline %(due)s."),
    "request.escalate": N_("Case %(number)s “%(title)s” has been escalated."),
    "request.due_soon": N_("Case %(number)s “%(title)s” is due on the next working day (%(due)s)."),
    "request.overdue": N_("Case %(number)s “%(title)s” is overdue (deadline %(due)s)."),
    "vote.opened": N_("The vote “%(title)s” is open until %(closes)s."),
    "vote.closing": N_("The vote “%(title)s” closes at %(closes)s and you have not voted yet."),
    "vote.closed": N_("The vote “%(title)s” has closed."),
    "meeting.invited": N_("You are invited to “%(title)s” at %(when)s."),
    "meeting.moved": N_("“%(title)s” has moved to %(when)s."),
    "meeting.cancelled": N_("“%(title)s” at %(when)s is cancelled."),
    "meeting.remind_day": N_("Tomorrow: “%(title)s” at %(when)s."),
    "meeting.remind_hour": N_("In an hour: “%(title)s” at %(when)s."),
    "minutes.approved": N_("The minutes of “%(title)s” are approved (version %(number)s)."),
    "session.scheduled": N_("Mediation session of file %(file)s at %(when)s: please confirm the time."),
    "session.moved": N_("The mediation session of file %(file)s has moved to %(when)s: please confirm the time."),
    "agreement.effective": N_("The mediation agreement of file %(file)s took effect on %(effective_on)s."),
    "judicial.window": N_("File %(file)s: %(days)s days left to apply for judicial confirmation (until %(until)s)."),
    "obligation.due_tomorrow": N_("File %(file)s: “%(what)s” (%(party)s) is due tomorrow, %(due)s."),
    "obligation.due_today": N_("File %(file)s: “%(what)s” (%(party)s) is due today, %(due)s."),
    "obligation.overdue": N_("File %(file)s: “%(what)s” (%(party)s) was due on %(due)s and is not recorded as performed."),
    "roster.duty": N_("You are on duty at the reception day of %(station)s on %(day)s, %(start)s–%(end)s."),
    "holidays.missing": N_("The holiday calendar of %(year)s is missing: deadlines would count weekends only."),
    "digest": N_("%(count)s notifications since the last digest:"),
}
OPEN = N_("Open: %(url)s")
SUBJECT = N_("Council notification")


def public_url() -> str:
    """The base of links in messages: COUNCIL_PUBLIC_URL through the one place that reads it
    (council.links); unset, the demo's own address, which is what `./run.sh demo` serves."""
    from council.links import NoPublicUrl, public_base

    try:
        return public_base()
    except NoPublicUrl:
        return "http://127.0.0.1:8000"


@dataclass
class Message:
    key: str  # the dedup key, also the provider's idempotency reference
    outbox_id: int
    channel: str
    to: str
    subject: str
    text: str
    url: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    event: str = ""
    mentions: list[str] = field(default_factory=list)


def translate(locale: str):
    trans = i18n.translations(locale if locale in i18n.SUPPORTED else i18n.DEFAULT_LOCALE)
    return trans.gettext


class _Safe(dict):
    def __missing__(self, key):  # a template never fails on a parameter an older row lacks
        return ""


def text_for(event: str, params: dict, locale: str) -> str:
    _ = translate(locale)
    template = TEMPLATES.get(event)
    if template is None:
        return event
    return _(template) % _Safe({k: ("" if v is None else v) for k, v in params.items()})


async def url_for(row: dict, params: dict) -> str:
    """The signed link of a person without an account, their voting letter's link, or the page."""
    base = public_url()
    if params.get("link"):
        from council.notify import links

        token = await links.token_of(int(params["link"]))
        if token:
            return f"{base}/n/{token}"
    if params.get("voter"):
        from council.votes import tokens
        from council.votes.common import secret_key
        from council.votes.tables import VoteVoter

        v = await VoteVoter.select(VoteVoter.vote, VoteVoter.voter_key, VoteVoter.token_salt).where(
            VoteVoter.id == int(params["voter"])).first()
        if v:
            return f"{base}/v/{tokens.make_token(secret_key(), v['vote'], v['voter_key'], v['token_salt'])}"
    if not row["recipient"].startswith("user:"):
        return ""
    if params.get("case"):
        return f"{base}/cases/{params['case']}"
    if params.get("meeting"):
        return f"{base}/meetings/{params['meeting']}"
    if params.get("vote"):
        return f"{base}/votes/{params['vote']}"
    return base


async def build(row: dict) -> Message:
    params = row["params"]
    if isinstance(params, str):
        params = json.loads(params or "{}")
    locale = row["locale"] or "zh_CN"
    _ = translate(locale)
    if row["event"] == "digest":
        lines = [text_for("digest", {"count": len(params.get("items", []))}, locale)]
        lines += ["· " + text_for(i["event"], i["params"], locale) for i in params.get("items", [])]
        text, url = "\n".join(lines), ""
    else:
        text = text_for(row["event"], params, locale)
        url = await url_for(row, params)
    if url and row["channel"] != "inapp":
        text = f"{text} {_(OPEN) % {'url': url}}"
    mentions = [m for m in params.get("mention", []) if m] if row["channel"] == "wecom" else []
    return Message(key=f"council-{row['id']}", outbox_id=row["id"], channel=row["channel"], to=row["address"],
                   subject=f"{_(SUBJECT)}: {text[:40]}", text=text, url=url, params=params, event=row["event"],
                   mentions=mentions)
