"""Channel credentials: from the environment, or from the admin form (stored Fernet-encrypted,
the key derived from the server secret). The environment wins, so an operator can always override
what the form holds.

    COUNCIL_SMTP_HOST, _PORT (25), _USER, _PASSWORD, _FROM, _TLS ("starttls" / "ssl" / "")
    COUNCIL_WECOM_ENDPOINT (https://qyapi.weixin.qq.com/cgi-bin/webhook/send), COUNCIL_WECOM_KEY
        (a default group robot; stations and organisations set their own in their preferences)
    COUNCIL_SMS_ENDPOINT (https://dysmsapi.aliyuncs.com/), _ACCESS_KEY_ID, _ACCESS_KEY_SECRET,
        _SIGN_NAME, _TEMPLATE (default template code), _TEMPLATES (JSON: event -> template code)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time

FIELDS = {
    "email": ("host", "port", "user", "password", "from", "tls"),
    "wecom": ("endpoint", "key"),
    "sms": ("endpoint", "access_key_id", "access_key_secret", "sign_name", "template", "templates"),
}
SECRET_FIELDS = {"password", "key", "access_key_secret"}
ENV_PREFIX = {"email": "COUNCIL_SMTP_", "wecom": "COUNCIL_WECOM_", "sms": "COUNCIL_SMS_"}
DEFAULTS = {
    "email": {"port": "25", "tls": ""},
    "wecom": {"endpoint": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"},
    "sms": {"endpoint": "https://dysmsapi.aliyuncs.com/"},
}
REQUIRED = {"email": ("host", "from"), "wecom": ("endpoint",), "sms": ("access_key_id", "access_key_secret", "sign_name")}


def _fernet():
    from cryptography.fernet import Fernet

    from council.votes.common import secret_key

    # A key of its own, derived from the server secret: rotating the secret key means entering
    # the credentials again (they cannot be read back), which is the point.
    digest = hashlib.sha256(b"council-notify-credentials:" + secret_key().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(values: dict) -> str:
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def decrypt(blob: str) -> dict:
    from cryptography.fernet import InvalidToken

    if not blob:
        return {}
    try:
        return json.loads(_fernet().decrypt(blob.encode()))
    except InvalidToken:
        return {}  # written under another secret key: as if never entered


def from_env(channel: str) -> dict:
    prefix = ENV_PREFIX[channel]
    out = {}
    for f in FIELDS[channel]:
        value = os.environ.get(prefix + f.upper())
        if value:
            out[f] = value
    return out


_cache: dict[str, tuple[float, dict]] = {}
CACHE_SECONDS = 30


async def stored(channel: str) -> dict:
    from council.notify.tables import ChannelSetting

    row = await ChannelSetting.select(ChannelSetting.secret).where(ChannelSetting.channel == channel).first()
    return decrypt(row["secret"]) if row else {}


async def settings(channel: str, *, fresh: bool = False) -> dict:
    """Defaults, then the admin form's values, then the environment."""
    hit = _cache.get(channel)
    if hit and not fresh and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    values = {**DEFAULTS.get(channel, {}), **{k: v for k, v in (await stored(channel)).items() if v},
              **from_env(channel)}
    _cache[channel] = (time.monotonic(), values)
    return values


def configured(channel: str, values: dict) -> bool:
    if channel == "inapp":
        return True
    return all(values.get(f) for f in REQUIRED[channel])


def clear_cache() -> None:
    _cache.clear()


async def save(principal, channel: str, values: dict, ip: str = "") -> None:
    """The admin form: blank secret fields keep what was stored (they are never shown back)."""
    import datetime as dt

    from council import db
    from council.audit import service as audit
    from council.core.errors import Forbidden, Invalid
    from council.notify.tables import ChannelSetting

    if not principal.is_admin:
        raise Forbidden()
    if channel not in FIELDS:
        raise Invalid("Please correct the marked fields.", errors={"channel": "Choose one of the listed options."})
    clean = {f: str(values.get(f) or "").strip() for f in FIELDS[channel]}
    errors = {}
    if channel == "email" and clean["port"] and not clean["port"].isdigit():
        errors["port"] = "Enter a whole number."
    if channel == "sms" and clean["templates"]:
        try:
            if not isinstance(json.loads(clean["templates"]), dict):
                raise ValueError
        except ValueError:
            errors["templates"] = "Enter a JSON object: event → template code."
    if errors:
        raise Invalid("Please correct the marked fields.", errors=errors)
    async with db.write():
        old = await stored(channel)
        for f in SECRET_FIELDS & set(clean):
            if not clean[f] and old.get(f):
                clean[f] = old[f]
        blob = encrypt(clean)
        now = dt.datetime.now(dt.timezone.utc)
        exists = await ChannelSetting.exists().where(ChannelSetting.channel == channel)
        if exists:
            await ChannelSetting.update({ChannelSetting.secret: blob, ChannelSetting.updated_at: now,
                                         ChannelSetting.version: ChannelSetting.version + 1}).where(
                ChannelSetting.channel == channel)
        else:
            await ChannelSetting.insert(ChannelSetting(channel=channel, secret=blob, updated_at=now))
        # Which fields changed is audited; the secrets themselves never enter the log.
        changed = sorted(f for f in clean if clean[f] != old.get(f, ""))
        await audit.record(principal, "notify.channel_settings", entity_type="notify_channel", entity_id=None,
                           before=None, after={"channel": channel, "changed": changed}, ip=ip)
    clear_cache()
