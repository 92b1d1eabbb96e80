"""A bad client changes nothing: bodies over the limit get 413 (problem+json on the API, a page
in the user's language otherwise), attachment names cannot steer where a file is written,
files of the wrong type are refused by their content, and the PDF renderer reads nothing
beyond the app's own assets.

The body-size walk covers every route that accepts a body, found from `app.routes`, so routes
added later are checked without edits here."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from litestar.testing import TestClient

from council import storage
from council.accounts.principal import SYSTEM
from council.accounts.services import create_token
from council.app import MAX_BODY
from council.cases import attachments
from council.cases.tables import Attachment, Case
from tests.support import csrf_token, login
from tests.test_matrix import NOT_PROBED_SIGNED_IN, PARAM, template

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
PROBLEM = "application/problem+json"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
async def admin_auth() -> dict:
    return {"Authorization": f"Bearer {await create_token(SYSTEM, 'admin', 'bad input')}"}


@pytest.fixture(scope="module")
async def secretary_auth() -> dict:
    return {"Authorization": f"Bearer {await create_token(SYSTEM, 'secretary', 'bad input')}"}


def upload_tree(settings) -> set[Path]:
    return {p for p in Path(settings.data_dir).rglob("*") if p.is_file()}


async def blob_keys() -> set[str]:
    """The keys of the files kept in the database (COUNCIL_FILE_STORE=database, PostgreSQL's default)."""
    if not storage.in_database():
        return set()
    return {r["key"] for r in await storage.StoredBlob.select(storage.StoredBlob.key)}


# ---------------------------------------------------------------- 413

def write_routes(app) -> list[tuple[str, str, int]]:
    """(method, path, body limit, takes a body) of every route that takes a write, from app.routes."""
    out = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for method in sorted(set(handler.http_methods) & set(WRITES)):
                limit = handler.resolve_request_max_body_size() or 0
                out.append((method, route.path, limit, "data" in handler.parsed_fn_signature.parameters))
    return out


def concrete(path: str) -> str:
    return PARAM.sub("999999999", path)


def test_the_default_limit_is_small_and_upload_routes_raise_it(app):
    routes = write_routes(app)
    assert routes and MAX_BODY == 1024 * 1024
    limits = {(m, p): lim for m, p, lim, _ in routes}
    assert all(lim for lim in limits.values()), "every write route has a body limit"
    assert limits[("POST", "/api/v1/cases/{case_id:int}/attachments")] > attachments.MAX_BYTES
    assert limits[("POST", "/cases/{case_id:int}/files")] > attachments.MAX_BYTES


def test_every_write_route_refuses_an_oversized_body(app, admin_auth):
    """Admin (allowed almost everywhere) sends each small-limit route one byte over its limit,
    announced by Content-Length. Pages: the CSRF check reads the form first, so every page
    answers 413, in Chinese. API: every handler that takes a body answers 413 problem+json;
    one that takes none never reads it, and must not accept or crash on it either."""
    failures = []
    with TestClient(app=app) as c:
        login(c, "admin")
        token = csrf_token(c)
        for method, path, limit, takes_body in write_routes(app):
            if limit > 2 * MAX_BODY or (method, template(path)) in NOT_PROBED_SIGNED_IN:
                continue  # upload routes: checked below with a real file; signing out ends the walk
            api = path.startswith("/api/")
            body = b"x" * (limit + 1)
            if api:
                headers = {**admin_auth, "content-type": "application/json"}
            else:
                body = f"_csrf_token={token}&x=".encode() + body
                headers = {"content-type": "application/x-www-form-urlencoded"}
            r = c.request(method, concrete(path), content=body, headers=headers, follow_redirects=False)
            ctype = r.headers.get("content-type", "")
            if api and (not takes_body or r.status_code == 403):
                # No body taken, or refused by a role guard before reading it: neither accepted nor a crash.
                if r.status_code < 400 or r.status_code >= 500:
                    failures.append(f"{method} {path} (no body): {r.status_code}")
            elif r.status_code != 413:
                failures.append(f"{method} {path}: {r.status_code}")
            elif api and not ctype.startswith(PROBLEM):
                failures.append(f"{method} {path}: 413 as {ctype}")
            elif not api and "上传的文件太大" not in r.text:
                failures.append(f"{method} {path}: 413 page not in Chinese")
    assert not failures, "\n".join(failures)


async def test_oversized_case_json_is_refused_and_writes_nothing(client, secretary_auth):
    before = await Case.count()
    r = client.post("/api/v1/cases", headers=secretary_auth, json={
        "kind": "request", "title": "太长", "description": "长" * MAX_BODY, "category": "facilities",
        "channel": "other"})
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == 413 and body["title"] == "上传的文件太大。"
    assert await Case.count() == before


async def test_a_streamed_body_without_length_is_cut_off(client, secretary_auth):
    """No Content-Length (chunked): the limit holds on the bytes actually received."""
    before = await Case.count()

    def chunks():
        yield b'{"kind": "request", "title": "x", "category": "facilities", "channel": "other", "description": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    r = client.post("/api/v1/cases", headers={**secretary_auth, "content-type": "application/json"}, content=chunks())
    assert r.status_code == 413
    assert await Case.count() == before


async def test_oversized_attachment_is_refused(client, settings, secretary_auth):
    r = client.post("/api/v1/cases", headers=secretary_auth, json={
        "kind": "request", "title": "附件过大测试", "category": "facilities", "channel": "other"})
    case_id = r.json()["id"]
    files_before = upload_tree(settings)
    big = PNG + b"\0" * (attachments.MAX_BYTES + 300 * 1024)
    r = client.post(f"/api/v1/cases/{case_id}/attachments", headers=secretary_auth,
                    files={"file": ("big.png", big, "image/png")})
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
    # Just under the route limit but over the per-file limit: refused by the service, same status.
    r = client.post(f"/api/v1/cases/{case_id}/attachments", headers=secretary_auth,
                    files={"file": ("big.png", PNG + b"\0" * attachments.MAX_BYTES, "image/png")})
    assert r.status_code == 413
    assert await Attachment.count().where(Attachment.case == case_id) == 0
    assert upload_tree(settings) == files_before


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd.png", "passwd.png"),
    ("/etc/cron.d/evil.png", "evil.png"),
    ("..\\..\\windows\\system32\\evil.png", "evil.png"),
    ("C:\\Users\\a\\照片.jpg", "照片.jpg"),
    ("photo\x00.php.png", "photo.php.png"),
    ("\u202egnp.exe", "gnp.exe"),          # right-to-left override stripped
    ("../", "attachment"),
    ("..", "attachment"),
    ("", "attachment"),
    (None, "attachment"),
    (".htaccess", "htaccess"),
    ("line\r\nbreak.png", "linebreak.png"),
])
def test_display_name_neutralises_path_tricks(raw, expected):
    assert attachments.display_name(raw) == expected


def test_a_very_long_name_is_cut_keeping_its_extension():
    name = attachments.display_name("长" * 5000 + ".jpeg")
    assert len(name) <= attachments.NAME_LIMIT and name.endswith(".jpeg")
    assert len(attachments.display_name("x" * 10_000)) <= attachments.NAME_LIMIT


@pytest.mark.parametrize("name", ["../../../../escape.png", "/tmp/escape.png", "..\\..\\escape.png",
                                  "a/../../escape.png", "esc\x00ape.png", "%2e%2e%2fescape.png", "x" * 1000 + ".png"])
async def test_path_tricks_over_http_store_under_a_random_name(client, settings, secretary_auth, name, tmp_path):
    r = client.post("/api/v1/cases", headers=secretary_auth, json={
        "kind": "request", "title": "文件名测试", "category": "facilities", "channel": "other"})
    case_id = r.json()["id"]
    before, rows_before = upload_tree(settings), await blob_keys()
    r = client.post(f"/api/v1/cases/{case_id}/attachments", headers=secretary_auth,
                    files={"file": (name, PNG, "image/png")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert "/" not in body["filename"] and "\\" not in body["filename"] and "\x00" not in body["filename"]
    assert ".." not in body["filename"].split(".")[0] and len(body["filename"]) <= attachments.NAME_LIMIT
    row = await Attachment.select().where(Attachment.id == body["id"]).first()
    assert attachments.STORED_NAME.match(row["stored_as"])
    new, new_rows = upload_tree(settings) - before, await blob_keys() - rows_before
    if storage.in_database():  # PostgreSQL: the file is a stored_blob row, and nothing is written to disk
        assert new == set() and new_rows == {f"cases/{row['stored_as']}"}
        kept = await storage.StoredBlob.select().where(storage.StoredBlob.key == f"cases/{row['stored_as']}").first()
        assert bytes(kept["content"]) == PNG
    else:
        assert new == {Path(settings.upload_dir) / "cases" / row["stored_as"]} and new_rows == set()
    assert not Path("/tmp/escape.png").exists()
    # Downloading sends the neutral name back, quoted, never a path.
    r = client.get(body["url"], headers=secretary_auth)
    assert r.status_code == 200 and r.content == PNG
    assert "/" not in r.headers["content-disposition"].split("filename", 1)[1].replace("%2F", "/").strip("=*\"'")


# ---------------------------------------------------------------- types

@pytest.mark.parametrize("name, content", [
    ("photo.png", b"<html><script>alert(1)</script></html>"),                  # HTML renamed to .png
    ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64),                 # a Windows program
    ("photo.png", b"%PDF-1.4\n%%EOF"),                                          # a PDF calling itself a PNG
    ("report.pdf", PNG),                                                        # a PNG calling itself a PDF
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("page.html", b"<!doctype html><p>hi</p>"),
    ("shell.php.png", b"<?php system($_GET['c']); ?>"),
    ("noextension", PNG),
    ("archive.zip", b"PK\x03\x04" + b"\0" * 30),
])
async def test_wrong_types_are_refused_by_content(client, settings, secretary_auth, name, content):
    r = client.post("/api/v1/cases", headers=secretary_auth, json={
        "kind": "request", "title": "类型测试", "category": "facilities", "channel": "other"})
    case_id = r.json()["id"]
    before, rows_before = upload_tree(settings), await blob_keys()
    r = client.post(f"/api/v1/cases/{case_id}/attachments", headers=secretary_auth,
                    files={"file": (name, content, "image/png")})  # the client's content type is not trusted
    assert r.status_code == 415, (name, r.status_code, r.text)
    assert r.headers["content-type"].startswith(PROBLEM)
    assert await Attachment.count().where(Attachment.case == case_id) == 0
    assert upload_tree(settings) == before and await blob_keys() == rows_before


def test_wrong_type_on_the_page_is_refused_in_chinese(as_user):
    c = as_user("secretary")
    r = c.post("/cases/new", data={"_csrf_token": csrf_token(c), "kind": "request", "title": "页面类型测试",
                                   "category": "facilities", "channel": "other"},
               files={"files": ("photo.jpg", b"<script>alert(1)</script>", "image/jpeg")}, follow_redirects=False)
    assert r.status_code in (415, 422), r.status_code
    assert "JPEG" in r.text and "页面类型测试" in r.text  # the form comes back filled in, with the reason


# ---------------------------------------------------------------- the PDF renderer

class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "text/css")
        self.end_headers()
        self.wfile.write(b"body::after { content: 'FETCHED-FROM-NETWORK'; }")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


EVIL = """{% extends "pdf/base.html" %}
{% block body %}
<h1>{{ title }}</h1>
<img src="{{ file_url }}"><img src="file:///etc/passwd"><img src="{{ http_url }}/img.png">
<link rel="stylesheet" href="{{ http_url }}/style.css">
<link rel="stylesheet" href="{{ file_url }}">
<style>@import url("{{ http_url }}/import.css"); @import url("{{ file_url }}");
h1 { background: url("{{ http_url }}/bg.png"); } </style>
<iframe src="{{ http_url }}/frame"></iframe><object data="{{ file_url }}"></object>
<p>{{ raw|safe }}</p>
<link rel="stylesheet" href="data:text/css,h1::after%7Bcontent:'DATA-URL-OK'%7D">
{% endblock %}"""


def test_pdf_renderer_fetches_nothing_beyond_its_assets(monkeypatch, tmp_path, listener):
    from io import BytesIO

    import jinja2
    from pypdf import PdfReader

    from council.pdf import renderer

    # A readable local stylesheet that would show itself in the PDF if it were loaded.
    secret = tmp_path / "secret.css"
    secret.write_text("body::before { content: 'READ-FROM-DISK'; }")
    real = renderer._jinja("zh_CN")
    env = real.overlay(loader=jinja2.ChoiceLoader([jinja2.DictLoader({"test/evil.html": EVIL}), real.loader]))
    monkeypatch.setattr(renderer, "_jinja", lambda locale: env)
    pdf = renderer.render_sync("test/evil.html", {
        "title": "议事会纪要", "file_url": secret.as_uri(), "http_url": listener,
        "raw": f'<img src="{listener}/raw.png"><img src="file:///etc/hostname">'}, "zh_CN")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "议事会纪要" in text
    assert "DATA-URL-OK" in text  # the check below can fail: a loaded stylesheet does show
    assert "READ-FROM-DISK" not in text and "FETCHED-FROM-NETWORK" not in text
    assert _Recorder.hits == [], _Recorder.hits


def test_pdf_fetcher_allows_only_its_roots(tmp_path):
    from council.pdf import renderer

    fetch = renderer._fetcher().fetch
    assert fetch((renderer.TEMPLATES / "pdf" / "pdf.css").as_uri())  # the app's own stylesheet
    outside = tmp_path / "x.css"
    outside.write_text("x")
    for url in (outside.as_uri(), "file:///etc/passwd", (renderer.TEMPLATES / "pdf" / ".." / ".." / "pyproject.toml").as_uri(),
                "http://127.0.0.1:1/", "https://example.com/a.png", "ftp://example.com/x", "gopher://x"):
        with pytest.raises(Exception):
            fetch(url)
