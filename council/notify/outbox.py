"""Writing notifications into the outbox, inside the caller's transaction.

`enqueue` is called from a service function while its db.write() is open, so the message exists
exactly when the change that caused it commits (a rolled-back change sends nothing). Who gets it,
on which channels and to which address is decided here, from the preferences; the worker
(council.notify.worker) only delivers.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from piccolo.utils.encoding import dump_json

from council.core.localtime import LOCAL
from council.notify import rules


# No SMS at night unless urgent: the default quiet hours of everyone without a preference.
QUIET = ("21:00", "08:00")


@dataclass
class Target:
    """One recipient and the addresses it may be reached at, per channel."""

    key: str  # user:3 / org:12 / person:7 / party:4 / station:2
    label: str = ""
    locale: str = "zh_CN"
    addresses: dict[str, str] = field(default_factory=dict)  # channel -> address ("" for in-app)
    digest: bool = False
    quiet: tuple[str, str] | None = None  # None: QUIET
    link: tuple[str, int] | None = None  # (purpose, subject) of a signed link made for this target
    extra: dict = field(default_factory=dict)  # parameters of this target only (their voting letter)


def now_ms() -> int:
    return int(time.time() * 1000)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _channels(pref: dict | None) -> list[str] | None:
    if not pref:
        return None
    chosen = pref["channels"]
    if isinstance(chosen, str):
        chosen = json.loads(chosen or "[]")
    return list(chosen) or None


PREF_SQL = ('SELECT "owner", "channels", "email", "mobile", "wecom_key", "quiet_start", "quiet_end", "digest" '
            'FROM "notify_preference" WHERE "owner" IN ({})')


async def preferences(owners: Iterable[str]) -> dict[str, dict]:
    """Every owner's preference in one statement (raw SQL: this runs inside the write that causes
    the message, where each statement Piccolo builds costs a few hundred microseconds)."""
    from council import db

    owners = list(dict.fromkeys(owners))
    if not owners:
        return {}
    out: dict[str, dict] = {}
    for chunk in range(0, len(owners), 900):
        part = owners[chunk:chunk + 900]
        for r in await db.raw(PREF_SQL.format(", ".join(["{}"] * len(part))), *part):
            out[r["owner"]] = dict(r)
    return out


def apply_preference(target: Target, pref: dict | None, defaults: Iterable[str]) -> Target:
    """Keep the channels the owner chose (or the defaults) that have an address; the preference's
    own e-mail, mobile and robot key override what the registers hold."""
    if pref:
        for channel, column in (("email", "email"), ("sms", "mobile"), ("wecom", "wecom_key")):
            if pref[column]:
                target.addresses[channel] = pref[column]
        target.digest = bool(pref["digest"])
        target.quiet = (pref["quiet_start"] or QUIET[0], pref["quiet_end"] or QUIET[1])
    chosen = _channels(pref) or list(defaults)
    target.addresses = {c: a for c, a in target.addresses.items() if c in chosen and (a or c == "inapp")}
    return target


def _plan(target: Target, channel: str, urgent: bool, at_ms: int) -> tuple[str, int]:
    """(status, next_ms) of a new row. In-app rows are delivered by being written: the row is the
    message in the inbox. A digest reader's messages wait for the daily digest; a non-urgent SMS
    asked for in quiet hours waits for the morning."""
    if channel == "inapp":
        return "sent", at_ms
    if target.digest and not urgent:
        return "held", at_ms
    if rules.holds_for_quiet(channel, urgent):
        local = dt.datetime.fromtimestamp(at_ms / 1000, LOCAL)
        start, end = target.quiet or QUIET
        if rules.parse_hm(start) and rules.parse_hm(end) and rules.in_quiet_hours(local, start, end):
            return "pending", int(rules.quiet_until(local, start, end).timestamp() * 1000)
    return "pending", at_ms


async def enqueue(event: str, key: str, targets: Iterable[Target], params: dict[str, Any] | None = None, *,
                  case_id: int | None = None, urgent: bool = False) -> int:
    """One row per (target, channel); a row whose dedup key (key, recipient, channel) is already
    there is skipped, so enqueueing the same occurrence twice sends once. Returns rows written."""
    from council import db
    from council.notify import links

    at_ms = now_ms()
    created = utcnow()
    rows: list[tuple] = []
    seen = set()
    key = key[:160]
    for t in targets:
        if not t.addresses:
            continue
        row_params = {**(params or {}), **t.extra}
        if t.link:
            link_id = await links.issue(t.link[0], t.link[1], t.key)
            row_params["link"] = link_id
        as_json = dump_json(row_params)
        for channel, address in t.addresses.items():
            if (t.key, channel) in seen:
                continue
            seen.add((t.key, channel))
            status, next_ms = _plan(t, channel, urgent, at_ms)
            rows.append((key, event, t.key, t.label[:120], channel, address[:300], t.locale or "zh_CN", case_id,
                         as_json, urgent, status, next_ms, created, created if channel == "inapp" else None))
    if not rows:
        return 0
    # One multi-row INSERT for every recipient × channel (in chunks under the engines' parameter
    # limits); the dedup key's UNIQUE index skips the rows of an occurrence already written.
    written = 0
    for chunk in range(0, len(rows), INSERT_CHUNK):
        part = rows[chunk:chunk + INSERT_CHUNK]
        sql = INSERT_SQL + ", ".join([_ROW] * len(part)) + INSERT_TAIL
        written += len(await db.raw(sql, *[v for row in part for v in row]))
    return written


INSERT_CHUNK = 500  # rows per statement: 14 parameters each, well under SQLite's and PostgreSQL's limits
INSERT_SQL = ('INSERT INTO "notify_outbox" ("event_key", "event", "recipient", "recipient_label", "channel", '
              '"address", "locale", "case", "params", "urgent", "status", "next_ms", "created_at", "sent_at") VALUES ')
_ROW = "(" + ", ".join(["{}"] * 14) + ")"
INSERT_TAIL = ' ON CONFLICT ("event_key", "recipient", "channel") DO NOTHING RETURNING "id"'
