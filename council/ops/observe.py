"""Operations: a request id on every log line and response, JSON logs on request, latency figures.

Every request gets an id: the one a proxy sent in X-Request-ID (nginx's $request_id, see deploy/),
when it looks like one, else a new one. It is kept in a context variable, so every log line written
while serving the request carries it, and it goes back in the X-Request-ID header (error pages and
problem+json bodies show it too), so a resident's "it said error 5f3c…" finds the log lines.

Latency is counted per route template (/cases/{case_id:int}, not /cases/17) in this process;
/metrics (council/web/ops.py) prints it in Prometheus' text format.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import time
from bisect import bisect_left
from datetime import datetime, timezone

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("council_request_id", default="-")
_INCOMING = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return request_id_var.get()


# ---------------------------------------------------------------- latency

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Histogram:
    __slots__ = ("counts", "total", "count")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)  # the last one is +Inf
        self.total = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds
        self.count += 1


# (method, route template, status class) -> Histogram, for this process.
LATENCY: dict[tuple[str, str, str], Histogram] = {}


def observe(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, f"{status // 100}xx")
    hist = LATENCY.get(key)
    if hist is None:
        hist = LATENCY[key] = Histogram()
    hist.observe(seconds)


class RequestContext:
    """Wraps the app's ASGI handler (outside routing, so a 404 gets an id too)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = incoming if _INCOMING.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = [500]

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("path_template") or "(unrouted)"
            observe(scope.get("method", "GET"), route, status[0], time.perf_counter() - started)
            request_id_var.reset(token)


# ---------------------------------------------------------------- logs

class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_config(log_format: str, level: str = "INFO") -> dict:
    """A logging.config dict for this process and uvicorn's loggers (passed as uvicorn's log_config)."""
    formatter = ({"()": "council.ops.observe.JsonFormatter"} if log_format == "json"
                 else {"format": TEXT_FORMAT})
    handler = {"class": "logging.StreamHandler", "formatter": "council", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "council.ops.observe.RequestIdFilter"}},
        "formatters": {"council": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": level, "propagate": False},
        },
    }


def configure_logging(log_format: str) -> None:
    import logging.config

    logging.config.dictConfig(log_config(log_format))
