"""Channel adapters behind one interface: send a message, say what the provider answered, and —
where the provider can be asked — confirm afterwards whether a message went (the worker's
reconciliation after a crash).

    inapp   the outbox row is the message (the bell and the inbox read it)
    email   SMTP; the Message-ID is derived from the dedup key, so a resend after a crash is the
            same message to the receiving side
    wecom   企业微信 group robot webhook: POST {endpoint}?key=KEY, JSON text (with
            mentioned_mobile_list) or markdown; answer {"errcode": 0, "errmsg": "ok"}
    sms     Aliyun Dysmsapi SendSms (RPC API 2017-05-25, HMAC-SHA1 signature), template code and
            JSON parameters; OutId carries the dedup key and QuerySendDetails finds it again
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from urllib.parse import quote

import httpx

from council.core.localtime import LOCAL
from council.notify import config, rules
from council.notify.messages import Message

TIMEOUT = 10.0


@dataclass
class Result:
    ok: bool
    code: str = ""
    answer: str = ""
    provider_id: str = ""
    permanent: bool = False  # retrying cannot help (a wrong number, a deleted robot)


class Channel:
    name = ""

    def __init__(self, settings: dict) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return config.configured(self.name, self.settings)

    async def send(self, msg: Message) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    async def confirm(self, msg: Message, sent_day: dt.date) -> bool | None:
        """True: the provider has it; False: it does not; None: cannot tell (send again)."""
        return None

    async def close(self) -> None:
        pass


class InApp(Channel):
    name = "inapp"

    async def send(self, msg: Message) -> Result:
        return Result(True, "stored")


class Email(Channel):
    name = "email"

    def _compose(self, msg: Message) -> EmailMessage:
        s = self.settings
        em = EmailMessage()
        em["From"] = formataddr(("Council", s["from"])) if "<" not in s["from"] else s["from"]
        em["To"] = msg.to
        em["Subject"] = msg.subject
        em["Date"] = formatdate(localtime=False)
        # The same Message-ID on every try: a resend after a crash is one message to the receiver.
        em["Message-ID"] = f"<{msg.key}.{hashlib.sha256(msg.key.encode()).hexdigest()[:12]}@council>"
        em.set_content(msg.text)
        return em

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        port = int(s.get("port") or 25)
        tls = (s.get("tls") or "").lower()
        if tls == "ssl":
            smtp = smtplib.SMTP_SSL(s["host"], port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s["host"], port, timeout=TIMEOUT)
        if tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if s.get("user"):
            smtp.login(s["user"], s.get("password", ""))
        return smtp

    def _send_sync(self, msgs: list[Message]) -> list[Result]:
        out: list[Result] = []
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as e:
            return [Result(False, type(e).__name__, str(e)[:500]) for _ in msgs]
        try:
            for msg in msgs:
                em = self._compose(msg)
                try:
                    refused = smtp.send_message(em)
                except smtplib.SMTPRecipientsRefused as e:
                    out.append(Result(False, "refused", str(e.recipients)[:500], permanent=True))
                    continue
                except (smtplib.SMTPException, OSError) as e:
                    out.append(Result(False, type(e).__name__, str(e)[:500]))
                    continue
                if refused:
                    out.append(Result(False, "refused", str(refused)[:500], permanent=True))
                else:
                    out.append(Result(True, "250", "accepted", provider_id=em["Message-ID"]))
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
        # Messages not reached because the connection broke count as failed tries.
        out += [Result(False, "SMTPServerDisconnected", "connection lost") for _ in msgs[len(out):]]
        return out

    async def send_many(self, msgs: list[Message]) -> list[Result]:
        return await asyncio.to_thread(self._send_sync, msgs)

    async def send(self, msg: Message) -> Result:
        return (await self.send_many([msg]))[0]


class WeCom(Channel):
    name = "wecom"

    def __init__(self, settings: dict, client: httpx.AsyncClient) -> None:
        super().__init__(settings)
        self.client = client

    @staticmethod
    def body(msg: Message) -> dict:
        """text when someone is to be @-mentioned by mobile (only text supports
        mentioned_mobile_list), markdown otherwise."""
        if msg.mentions:
            return {"msgtype": "text", "text": {"content": msg.text, "mentioned_mobile_list": msg.mentions}}
        content = msg.text if not msg.url else msg.text.replace(msg.url, f"[{msg.url}]({msg.url})")
        return {"msgtype": "markdown", "markdown": {"content": content}}

    async def send(self, msg: Message) -> Result:
        key = msg.to or self.settings.get("key", "")
        if not key:
            return Result(False, "no_key", "no robot key", permanent=True)
        try:
            r = await self.client.post(self.settings["endpoint"], params={"key": key}, json=self.body(msg),
                                       timeout=TIMEOUT)
        except httpx.HTTPError as e:
            return Result(False, type(e).__name__, str(e)[:500])
        answer = r.text[:2000]
        try:
            data = r.json()
        except ValueError:
            return Result(False, f"http_{r.status_code}", answer)
        code = data.get("errcode")
        if code == 0:
            return Result(True, "0", answer)
        # 93000: the robot's key is invalid (deleted robot): retrying cannot help.
        return Result(False, str(code), answer, permanent=code in (93000, 93004))


def _pct(value: str) -> str:
    """Aliyun's POP encoding: RFC 3986 (space %20, * %2A, ~ kept)."""
    return quote(str(value), safe="~")


def aliyun_signature(params: dict, secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{_pct(k)}={_pct(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{_pct('/')}&{_pct(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(Channel):
    name = "sms"
    PERMANENT = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL",
                 "isv.TEMPLATE_MISSING_PARAMETERS", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.MOBILE_COUNT_OVER_LIMIT"}

    def __init__(self, settings: dict, client: httpx.AsyncClient) -> None:
        super().__init__(settings)
        self.client = client

    def _common(self, action: str) -> dict:
        return {
            "AccessKeyId": self.settings["access_key_id"], "Action": action, "Format": "JSON",
            "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0", "Timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    async def _call(self, params: dict) -> tuple[int, str, dict | None]:
        params = {**params, "Signature": aliyun_signature(params, self.settings["access_key_secret"])}
        r = await self.client.post(self.settings["endpoint"], data=params, timeout=TIMEOUT)
        try:
            return r.status_code, r.text[:2000], r.json()
        except ValueError:
            return r.status_code, r.text[:2000], None

    def template_code(self, event: str) -> str:
        table = self.settings.get("templates") or "{}"
        try:
            codes = json.loads(table) if isinstance(table, str) else dict(table)
        except ValueError:
            codes = {}
        return codes.get(event) or self.settings.get("template", "")

    @staticmethod
    def template_params(msg: Message) -> dict:
        """The parameters an approved template names (${number}, ${title}, ${due}, ${url}, …), as
        strings; `text` carries the whole rendered message for a generic template."""
        keep = {k: str(v)[:35] for k, v in msg.params.items()
                if isinstance(v, (str, int)) and not isinstance(v, bool) and k not in ("link", "voter")}
        return {**keep, "url": msg.url, "text": msg.text}

    def segments(self, msg: Message) -> int:
        return rules.sms_segments(f"【{self.settings.get('sign_name', '')}】{msg.text}")

    async def send(self, msg: Message) -> Result:
        params = {**self._common("SendSms"), "PhoneNumbers": msg.to, "SignName": self.settings["sign_name"],
                  "TemplateCode": self.template_code(msg.event),
                  "TemplateParam": json.dumps(self.template_params(msg), ensure_ascii=False), "OutId": msg.key}
        try:
            status, answer, data = await self._call(params)
        except httpx.HTTPError as e:
            return Result(False, type(e).__name__, str(e)[:500])
        if not data:
            return Result(False, f"http_{status}", answer)
        code = str(data.get("Code", ""))
        answer = json.dumps({**data, "segments": self.segments(msg)}, ensure_ascii=False)
        if code == "OK":
            return Result(True, code, answer, provider_id=str(data.get("BizId", "")))
        return Result(False, code, answer, permanent=code in self.PERMANENT)

    async def confirm(self, msg: Message, sent_day: dt.date) -> bool | None:
        """QuerySendDetails for the number and day: a record with our OutId means it went."""
        params = {**self._common("QuerySendDetails"), "PhoneNumber": msg.to, "SendDate": sent_day.strftime("%Y%m%d"),
                  "PageSize": "50", "CurrentPage": "1"}
        try:
            status, _answer, data = await self._call(params)
        except httpx.HTTPError:
            return None
        if not data or data.get("Code") != "OK":
            return None
        details = (data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        return any(d.get("OutId") == msg.key for d in details)


class Channels:
    """The adapters a worker uses, built from the current settings (re-read every 30 s)."""

    def __init__(self) -> None:
        self.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
        self._built: dict[str, Channel] = {}

    async def get(self, name: str) -> Channel:
        if name == "inapp":
            return InApp({})
        settings = await config.settings(name)
        ch = self._built.get(name)
        if ch is None or ch.settings is not settings:
            ch = {"email": lambda: Email(settings), "wecom": lambda: WeCom(settings, self.client),
                  "sms": lambda: AliyunSms(settings, self.client)}[name]()
            self._built[name] = ch
        return ch

    async def close(self) -> None:
        await self.client.aclose()


def local_day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000, LOCAL).date()
