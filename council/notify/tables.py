"""Notifications: the outbox (one row per message per recipient per channel), every delivery
attempt with the provider's answer, leases, signed links for people without accounts, preferences
and channel credentials.

Scheduling times (next_ms, claim_until_ms, lease until_ms) are integer milliseconds since the
epoch, not timestamps: the worker compares them in raw SQL on both engines (SKIP LOCKED on
PostgreSQL), and integers compare the same everywhere while SQLite keeps timestamps as text.
"""

from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.cases.tables import Case

R = OnDelete.restrict


class Outbox(Table, tablename="notify_outbox"):
    # The dedup key: UNIQUE (event_key, recipient, channel). event_key names one occurrence of an
    # event ("request.dispatch:case:12:v3", "meeting.remind_day:meeting:5:2026-12-03T02:00").
    event_key = Varchar(length=160, required=True)
    event = Varchar(length=60, required=True)  # the template: request.dispatch, vote.opened, …
    recipient = Varchar(length=40, required=True)  # user:3 / org:12 / person:7 / party:4 / station:2
    recipient_label = Varchar(length=120, default="")
    channel = Varchar(length=10, required=True)  # inapp / email / wecom / sms
    address = Varchar(length=300, default="")  # e-mail, mobile, or the WeCom robot key
    locale = Varchar(length=10, default="zh_CN")
    case = ForeignKey(Case, null=True, on_delete=R)  # shown on this case's timeline
    params = JSON(default="{}")
    urgent = Boolean(default=False)
    # pending → sending → sent (→ delivered) | failed (retrying: pending again) → dead
    # held: waits for the digest, or for its channel to be configured; read_at: in-app only
    status = Varchar(length=12, default="pending")
    attempts = Integer(default=0)
    attempt_id = Varchar(length=32, default="")
    next_ms = BigInt(default=0)
    claim_until_ms = BigInt(default=0)
    last_error = Text(default="")
    provider_id = Varchar(length=80, default="")
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    read_at = Timestamptz(null=True, default=None)


class Attempt(Table, tablename="notify_attempt"):
    outbox = ForeignKey(Outbox, null=False, on_delete=OnDelete.cascade)
    attempt_id = Varchar(length=32, required=True)
    at = Timestamptz()
    outcome = Varchar(length=12, required=True)  # sent / error / reconciled / resent
    code = Varchar(length=60, default="")
    answer = Text(default="")  # the provider's answer, as it came (cut to 2,000 characters)
    ms = Integer(default=0)


class Lease(Table, tablename="notify_lease"):
    name = Varchar(length=40, required=True, unique=True)
    holder = Varchar(length=80, default="")
    until_ms = BigInt(default=0)


class Link(Table, tablename="notify_link"):
    """A signed, expiring, single-purpose link for someone without an account. The token is
    HMAC(secret key, id:purpose:salt): never stored, only its SHA-256 (as the voting links)."""

    purpose = Varchar(length=20, required=True)  # case_handle / session_confirm
    subject_id = Integer(required=True)  # the case, or the mediation session
    recipient = Varchar(length=40, required=True)  # org:12 / party:4
    salt = Varchar(length=32, default="")
    token_hash = Varchar(length=64, default="")
    expires_at = Timestamptz()
    created_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    uses = Integer(default=0)
    revoked_at = Timestamptz(null=True, default=None)


class Preference(Table, tablename="notify_preference"):
    """Per user (user:3), organisation (org:12), station (station:2) or resident (person:7)."""

    owner = Varchar(length=40, required=True, unique=True)
    channels = JSON(default="[]")  # which of inapp / email / wecom / sms; a resident's consent
    email = Varchar(length=200, default="")
    mobile = Varchar(length=20, default="")
    wecom_key = Varchar(length=200, default="")  # the group robot's key (station or organisation)
    quiet_start = Varchar(length=5, default="21:00")
    quiet_end = Varchar(length=5, default="08:00")
    digest = Boolean(default=False)
    version = Integer(default=1)


class ChannelSetting(Table, tablename="notify_channel_setting"):
    """Channel credentials entered in the admin form, Fernet-encrypted with a key derived from
    the server secret (the environment wins when both are set)."""

    channel = Varchar(length=10, required=True, unique=True)
    secret = Text(default="")
    updated_at = Timestamptz()
    version = Integer(default=1)


TABLES = [Outbox, Attempt, Lease, Link, Preference, ChannelSetting]
