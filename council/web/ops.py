"""/readyz (may this process take traffic?) and /metrics (Prometheus, behind a token).

/healthz stays the cheap liveness probe; /readyz checks what a request needs: the database, the
migrations, the templates, the compiled catalogues and the CJK fonts. A load balancer sends
traffic only to nodes that answer 200.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from litestar import Request, Response, get

from council import db


async def _database() -> dict:
    from council.migrations import pending

    try:
        await db.raw("SELECT 1 AS ok")
        waiting = [m.ID for m in await pending()]
    except Exception as e:  # report, don't crash: this is what the balancer polls
        return {"ok": False, "reachable": False, "error": type(e).__name__}
    return {"ok": not waiting, "reachable": True, "pending_migrations": waiting}


def _templates() -> dict:
    from council.paths import TEMPLATES

    missing = [n for n in ("base.html", "error.html", "pdf") if not (TEMPLATES / n).exists()]
    return {"ok": not missing, "folder": str(TEMPLATES), "missing": missing}


def _catalogues() -> dict:
    from council.core import i18n

    try:
        i18n.translations("zh_CN")
    except Exception as e:
        return {"ok": False, "error": str(e)}
    return {"ok": True}


_fonts_cache: list[str] | None = None


async def _fonts() -> dict:
    """fc-list takes a moment: asked once per process (fonts are not installed while serving)."""
    global _fonts_cache
    if _fonts_cache is None:
        import asyncio

        from council import pdf

        _fonts_cache = await asyncio.to_thread(pdf.font_report)
    return {"ok": not _fonts_cache, "problems": _fonts_cache}


async def readiness() -> dict:
    checks = {"database": await _database(), "templates": _templates(), "catalogues": _catalogues(),
              "fonts": await _fonts()}
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}


@get("/readyz", include_in_schema=False)
async def readyz() -> Any:
    report = await readiness()
    return Response(report, status_code=200 if report["ready"] else 503)


# ---------------------------------------------------------------- metrics

def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def _outbox_backlog() -> int | None:
    """Messages waiting in an outbox table, when the schema has one (the notification outbox)."""
    try:
        if db.is_sqlite():
            rows = await db.raw("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%outbox%'")
            names = [r["name"] for r in rows]
        else:
            rows = await db.raw("SELECT table_name AS name FROM information_schema.tables "
                                "WHERE table_schema = current_schema() AND table_name LIKE '%outbox%'")
            names = [r["name"] for r in rows]
        if not names:
            return None
        table = names[0]
        cols = await _columns(table)
        for done in ("sent_at", "delivered_at", "done_at", "processed_at"):
            if done in cols:
                rows = await db.raw(f'SELECT count(*) AS n FROM "{table}" WHERE "{done}" IS NULL')
                return int(rows[0]["n"])
        rows = await db.raw(f'SELECT count(*) AS n FROM "{table}"')
        return int(rows[0]["n"])
    except Exception:
        return None


async def _columns(table: str) -> set[str]:
    if db.is_sqlite():
        return {r["name"] for r in await db.raw(f'PRAGMA table_info("{table}")')}
    rows = await db.raw("SELECT column_name AS name FROM information_schema.columns WHERE table_name = {}", table)
    return {r["name"] for r in rows}


def _pool_use() -> tuple[int, int] | None:
    """(connections open, connections in use) of this process's PostgreSQL pool."""
    pool = getattr(db.engine(), "pool", None)
    if pool is None or not hasattr(pool, "get_size"):
        return None
    size = pool.get_size()
    return size, size - pool.get_idle_size()


async def metrics_text() -> str:
    from council import pdf
    from council.ops.observe import BUCKETS, LATENCY

    pid = str(os.getpid())
    out = ["# HELP council_request_duration_seconds Time to answer a request, per route template.",
           "# TYPE council_request_duration_seconds histogram"]
    for (method, route, status), hist in sorted(LATENCY.items()):
        labels = f'method="{method}",route="{_escape(route)}",status="{status}",pid="{pid}"'
        running = 0
        for bound, n in zip((*BUCKETS, "+Inf"), hist.counts):
            running += n
            out.append(f'council_request_duration_seconds_bucket{{{labels},le="{bound}"}} {running}')
        out.append(f"council_request_duration_seconds_sum{{{labels}}} {hist.total:.6f}")
        out.append(f"council_request_duration_seconds_count{{{labels}}} {hist.count}")
    out += ["# HELP council_pdf_queue_depth PDFs asked for and not finished in this process.",
            "# TYPE council_pdf_queue_depth gauge",
            f'council_pdf_queue_depth{{pid="{pid}"}} {pdf.queue_depth()}']
    pool = _pool_use()
    if pool is not None:
        out += ["# HELP council_db_pool_connections PostgreSQL connections open in this process's pool.",
                "# TYPE council_db_pool_connections gauge",
                f'council_db_pool_connections{{pid="{pid}"}} {pool[0]}',
                "# HELP council_db_pool_in_use PostgreSQL connections of the pool in use now.",
                "# TYPE council_db_pool_in_use gauge",
                f'council_db_pool_in_use{{pid="{pid}"}} {pool[1]}']
    backlog = await _outbox_backlog()
    if backlog is not None:
        out += ["# HELP council_outbox_backlog Messages waiting to be sent.",
                "# TYPE council_outbox_backlog gauge", f"council_outbox_backlog {backlog}"]
    return "\n".join(out) + "\n"


@get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Any:
    """Prometheus text format. Without COUNCIL_METRICS_TOKEN the endpoint does not exist (404):
    route names and volumes are not for the public."""
    token = request.app.state.settings.metrics_token
    if not token:
        return Response({"status": 404, "detail": "Not found."}, status_code=404, media_type="application/problem+json")
    given = request.headers.get("authorization", "")
    given = given[7:].strip() if given.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        return Response({"status": 401, "detail": "A valid metrics token is needed (Authorization: Bearer …)."},
                        status_code=401, media_type="application/problem+json",
                        headers={"WWW-Authenticate": "Bearer"})
    return Response(await metrics_text(), media_type="text/plain; version=0.0.4; charset=utf-8")


ROUTES = [readyz, metrics]
