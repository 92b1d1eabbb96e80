"""Local stand-ins for the notification providers, started by the tests and the benchmark on
127.0.0.1: an Aliyun Dysmsapi server that checks the HMAC-SHA1 signature and answers SendSms and
QuerySendDetails, a WeCom group-robot webhook, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from council.notify.channels import aliyun_signature

SMS_KEY_ID, SMS_SECRET = "LTAI-test-key", "test-secret-of-the-standin"


class _Server:
    def __init__(self, handler_cls):
        self.lock = threading.Lock()
        outer = self

        class Handler(handler_cls):
            server_state = outer
            protocol_version = "HTTP/1.1"  # keep-alive, as the providers do (answers carry Content-Length)

            def log_message(self, *args):  # quiet
                pass

        class Server(ThreadingHTTPServer):
            # The worker opens 20 connections at once; the default backlog of 5 drops some.
            request_queue_size = 128

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _AliyunHandler(BaseHTTPRequestHandler):
    server_state: "AliyunSms"

    def _answer(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        params = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
        self.server_state.handle(self, params, "POST")

    def do_GET(self):
        params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query, keep_blank_values=True).items()}
        self.server_state.handle(self, params, "GET")


class AliyunSms(_Server):
    """Records each accepted SendSms; `fail_next` makes the next n sends answer a throttling error."""

    def __init__(self):
        super().__init__(_AliyunHandler)
        self.sent: list[dict] = []
        self.fail_next = 0
        self.fail_code = "isv.BUSINESS_LIMIT_CONTROL"

    def handle(self, h, params: dict, method: str) -> None:
        signature = params.pop("Signature", "")
        if params.get("AccessKeyId") != SMS_KEY_ID or aliyun_signature(params, SMS_SECRET, method) != signature:
            return h._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched",
                                   "RequestId": str(uuid.uuid4())})
        if params.get("Action") == "SendSms":
            with self.lock:
                if self.fail_next:
                    self.fail_next -= 1
                    return h._answer(200, {"Code": self.fail_code, "Message": "触发流控", "RequestId": str(uuid.uuid4())})
                for k in ("PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"):
                    if not params.get(k):
                        return h._answer(400, {"Code": "MissingParameter", "Message": k})
                json.loads(params["TemplateParam"])
                biz = uuid.uuid4().hex[:20]
                self.sent.append({**params, "BizId": biz})
            return h._answer(200, {"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": str(uuid.uuid4())})
        if params.get("Action") == "QuerySendDetails":
            with self.lock:
                found = [{"PhoneNum": s["PhoneNumbers"], "OutId": s.get("OutId", ""), "SendStatus": 3,
                          "Content": s["TemplateParam"]} for s in self.sent if s["PhoneNumbers"] == params.get("PhoneNumber")]
            return h._answer(200, {"Code": "OK", "Message": "OK", "TotalCount": len(found),
                                   "SmsSendDetailDTOs": {"SmsSendDetailDTO": found}})
        return h._answer(400, {"Code": "InvalidAction"})

    def out_ids(self) -> Counter:
        with self.lock:
            return Counter(s.get("OutId") for s in self.sent)

    def env(self) -> dict:
        return {"COUNCIL_SMS_ENDPOINT": self.url, "COUNCIL_SMS_ACCESS_KEY_ID": SMS_KEY_ID,
                "COUNCIL_SMS_ACCESS_KEY_SECRET": SMS_SECRET, "COUNCIL_SMS_SIGN_NAME": "议事驿站",
                "COUNCIL_SMS_TEMPLATE": "SMS_000001"}


class _WeComHandler(BaseHTTPRequestHandler):
    server_state: "WeComRobot"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        key = parse_qs(urlparse(self.path).query).get("key", [""])[0]
        state = self.server_state
        with state.lock:
            if key not in state.keys:
                answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
            elif body.get("msgtype") not in ("text", "markdown") or not body.get(body["msgtype"], {}).get("content"):
                answer = {"errcode": 40008, "errmsg": "invalid message type"}
            else:
                state.received.append({"key": key, **body})
                answer = {"errcode": 0, "errmsg": "ok"}
        if state.delay:  # posted in the group; the answer takes a while (a crash may come first)
            time.sleep(state.delay)
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class WeComRobot(_Server):
    def __init__(self, keys=("robot-key-1",)):
        super().__init__(_WeComHandler)
        self.keys = set(keys)
        self.received: list[dict] = []
        self.delay = 0.0

    def env(self) -> dict:
        return {"COUNCIL_WECOM_ENDPOINT": self.url + "cgi-bin/webhook/send"}


class Smtp:
    """aiosmtpd on a free port, keeping every message it accepts."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        outer = self
        self.messages: list[dict] = []
        self.delay = 0.0

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                       "data": envelope.content.decode("utf-8", "replace")})
                if outer.delay:  # kept; the 250 comes a little later (a crash may come first)
                    import asyncio

                    await asyncio.sleep(outer.delay)
                return "250 Message accepted for delivery"

        import socket

        with socket.socket() as probe:  # aiosmtpd checks its own port at start: 0 will not do
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def env(self) -> dict:
        return {"COUNCIL_SMTP_HOST": "127.0.0.1", "COUNCIL_SMTP_PORT": str(self.port),
                "COUNCIL_SMTP_FROM": "council@example.org"}
