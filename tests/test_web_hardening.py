"""The web layer's protections, checked across every route of their kind (routes found from
app.routes): security headers on every response, no inline script in any template, the real
client address behind configured proxies only, and an access log without secrets or searches."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from council.web import security
from council.web.security import address_from, redact
from tests.test_matrix import app_routes, concrete, sample_ids, tokens  # noqa: F401 (fixtures)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def check_headers(r, path: str) -> list[str]:
    h = r.headers
    out = []
    csp = h.get("content-security-policy", "")
    if "frame-ancestors 'none'" not in csp or "script-src 'self'" not in csp or "unsafe-inline" in csp.split(
            "script-src", 1)[1].split(";", 1)[0]:
        out.append(f"CSP {csp!r}")
    if h.get("x-content-type-options") != "nosniff":
        out.append("no nosniff")
    if h.get("referrer-policy") != "same-origin":
        out.append("no Referrer-Policy")
    if not path.startswith("/static/") and "no-store" not in h.get("cache-control", ""):
        out.append(f"Cache-Control {h.get('cache-control')!r}")
    return out


def test_every_get_route_sends_the_security_headers(app, sample_ids, tokens):  # noqa: F811
    failures = []
    with TestClient(app=app) as anon, TestClient(app=app) as admin:
        from tests.support import login

        login(admin, "admin")
        bearer = {"Authorization": f"Bearer {tokens['admin']}"}
        for method, path in app_routes(app):
            if method != "GET" or path.endswith(".pdf"):
                continue
            url = concrete(path, method, sample_ids)
            api = url.startswith("/api/")
            for who, c in (("admin", admin), ("anonymous", anon)):
                r = c.get(url, headers=bearer if api and who == "admin" else {}, follow_redirects=False)
                for problem in check_headers(r, url):
                    failures.append(f"{who} GET {url} ({r.status_code}): {problem}")
    assert not failures, "\n".join(failures[:40])


def test_errors_and_refusals_carry_the_headers_too(client):
    for url in ("/no-such-page", "/api/v1/no-such", "/cases", "/api/v1/cases"):
        r = client.get(url, follow_redirects=False)
        assert not check_headers(r, url), (url, r.status_code, dict(r.headers))


SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_no_template_has_inline_script():
    """The CSP refuses inline script; a template that used it would silently stop working."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if path.relative_to(TEMPLATES).parts[0] == "pdf":
            continue  # rendered by WeasyPrint, which runs no script
        text = path.read_text()
        for pattern in (SCRIPT, HANDLER, JS_URL):
            for m in pattern.finditer(text):
                found.append(f"{path.relative_to(TEMPLATES)}: {m.group(0)}")
    assert not found, "\n".join(found)


# ---------------------------------------------------------------- client address

def nets(spec: str):
    return security._trusted(spec)


def test_forwarded_header_is_ignored_unless_the_peer_is_a_trusted_proxy():
    assert address_from("203.0.113.9", "1.2.3.4", nets("")) == "203.0.113.9"
    assert address_from("203.0.113.9", "1.2.3.4", nets("10.0.0.0/8")) == "203.0.113.9"
    assert address_from("10.0.0.5", "1.2.3.4", nets("10.0.0.0/8")) == "1.2.3.4"
    # A client that writes its own X-Forwarded-For only adds hops left of the one our proxy saw.
    assert address_from("10.0.0.5", "6.6.6.6, 1.2.3.4", nets("10.0.0.0/8")) == "1.2.3.4"
    # Two proxies in a row: both skipped.
    assert address_from("10.0.0.5", "1.2.3.4, 10.0.0.7", nets("10.0.0.0/8, 192.168.1.1")) == "1.2.3.4"
    assert address_from("10.0.0.5", "not-an-ip", nets("10.0.0.0/8")) == "10.0.0.5"
    assert address_from("::1", "2001:db8::7", nets("::1")) == "2001:db8::7"


def test_login_audit_uses_the_forwarded_address_only_from_a_trusted_proxy(app, monkeypatch):
    from council.web.guards import client_ip

    class Conn:
        def __init__(self, peer, xff):
            self.scope = {"type": "http", "client": (peer, 1234),
                          "headers": [(b"x-forwarded-for", xff.encode())]}

    monkeypatch.setenv("COUNCIL_TRUSTED_PROXIES", "127.0.0.1")
    assert client_ip(Conn("127.0.0.1", "198.51.100.4")) == "198.51.100.4"
    assert client_ip(Conn("198.51.100.9", "127.0.0.1")) == "198.51.100.9"
    monkeypatch.delenv("COUNCIL_TRUSTED_PROXIES")
    assert client_ip(Conn("127.0.0.1", "198.51.100.4")) == "127.0.0.1"


# ---------------------------------------------------------------- the access log

SECRET_URLS = {
    "/v/AbCdEfGhIjKlMnOpQrStUvWxYz012345?done=1": "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "/api/v1/ballots/AbCdEfGhIjKlMnOpQrStUvWxYz012345": "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "/calendar/feedtokenfeedtoken123.ics": "feedtokenfeedtoken123",
    "/people?q=%E5%BC%A0%E4%B8%89": "%E5%BC%A0%E4%B8%89",
    "/reception/visitors?station=1&q=13812345678": "13812345678",
    "/api/v1/people?q=1234&page=2": "1234",
    "/reset/resettoken-abc": "resettoken-abc",
    "/notices/NoTiCeKeY1234567890": "NoTiCeKeY1234567890",
    "/n/NoTiFyToKeN1234567890/report?done=report": "NoTiFyToKeN1234567890",
    "/v/AbCdEfGhIjKlMnOpQrStUvWxYz012345/photos/7": "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
}


@pytest.mark.parametrize("url,secret", SECRET_URLS.items())
def test_redact_takes_out_secrets_and_search_terms(url, secret):
    out = redact(url)
    assert secret not in out and "[redacted]" in out


def test_redact_keeps_ordinary_urls():
    assert redact("/cases?station=1&page=2") == "/cases?station=1&page=2"
    assert redact("/static/app.css") == "/static/app.css"


def test_every_secret_path_the_app_serves_is_redacted(app):
    """Each route whose path carries a token (a {token} parameter) is covered by the redaction."""
    for _method, path in app_routes(app):
        if "{token:str}" in path or "{key:str}" in path:
            url = re.sub(r"\{(token|key):str\}", "SeCrEtSeCrEtSeCrEt", path)
            assert "SeCrEt" not in redact(url), path


def test_uvicorn_access_log_line_is_redacted(app):
    logger = logging.getLogger("uvicorn.access")
    assert any(isinstance(f, security.RedactAccessLog) for f in logger.filters)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/v/AbCdEfGhIjKlMnOpQrStUvWxYz012345", "1.1", 200), None)
    for f in logger.filters:
        f.filter(record)
    assert "AbCdEf" not in record.getMessage()
