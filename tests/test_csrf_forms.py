"""Every HTML form that posts carries the CSRF token, and a post without it is refused and
changes nothing.

The pages are found the way tests/test_matrix.py finds routes (walking `app.routes`) and then
by following the links on them, per role, so detail pages of rows that exist (a case, a vote,
a meeting…) are reached without naming them here: modules added later are covered as soon as
their pages link to each other."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from council.tables import ALL_TABLES
from tests.support import login
from tests.test_matrix import (  # noqa: F401  (sample_ids is a fixture)
    DEMO_USERNAME, NOT_PROBED_SIGNED_IN, PARAM, PUBLIC, ROLES, app_routes, concrete, expectation, sample_ids, template,
)

PAGES_PER_ROLE = 160
PER_TEMPLATE = 3  # concrete pages visited per route template: enough to meet every form kind
SKIP = re.compile(r"(\.csv|\.xlsx|\.pdf|/files/\d+|/export|/download)(\?|$)|^/static/|^/api/|^/logout")


class Forms(HTMLParser):
    """The forms of a page: method, action, and the names/values of their inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._open = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "",
                          "inputs": {}, "line": self.getpos()[0]}
            self.forms.append(self._open)
        elif tag in ("input", "button") and self._open is not None and a.get("name"):
            self._open["inputs"][a["name"]] = a.get("value") or ""
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def parse(html: str) -> Forms:
    p = Forms()
    p.feed(html)
    return p


def route_templates(app) -> list[re.Pattern]:
    return [re.compile("^" + PARAM.sub(lambda m: r"\d+" if ":int" in m.group(0) else r"[^/]+", path) + "$")
            for method, path in app_routes(app) if method == "GET"]


def crawl(app, client: TestClient, role: str, sample_ids) -> dict[str, Forms]:
    """GET every page route the role may open, then follow links, a few pages per route."""
    patterns = route_templates(app)
    start = []
    for method, path in app_routes(app):
        allowed = expectation(path, method)
        if method != "GET" or path.startswith(("/api/", "/static")) or allowed is None:
            continue
        if allowed == PUBLIC or role in allowed:
            start.append(concrete(path, "GET", sample_ids))
    queue, seen, per_template, pages = deque(start), set(), {}, {}
    while queue and len(pages) < PAGES_PER_ROLE:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or SKIP.search(path):
            continue
        seen.add(url)
        key = next((p.pattern for p in patterns if p.match(path)), None)
        if key is None or per_template.get(key, 0) >= PER_TEMPLATE:
            continue
        per_template[key] = per_template.get(key, 0) + 1
        r = client.get(url, follow_redirects=False)
        if r.status_code != 200 or not r.headers.get("content-type", "").startswith("text/html"):
            continue
        parsed = parse(r.text)
        pages[url] = parsed
        for href in parsed.links:
            parts = urlsplit(href)
            if not parts.scheme and not parts.netloc and parts.path.startswith("/"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query and "page=" in parts.query else ""))
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_every_post_form_carries_the_csrf_token(app, role, sample_ids):
    with TestClient(app=app) as c:
        login(c, DEMO_USERNAME[role])
        cookie = c.cookies.get("csrftoken")
        pages = crawl(app, c, role, sample_ids)
    assert len(pages) > 3, f"{role} reached only {list(pages)}"
    missing, posts = [], 0
    for url, parsed in pages.items():
        for form in parsed.forms:
            if form["method"] != "post":
                continue
            posts += 1
            token = form["inputs"].get("_csrf_token")
            if not token:
                missing.append(f"{url} line {form['line']}: form → {form['action'] or '(this page)'}")
            else:
                assert token == cookie or len(token) > 20
            assert not urlsplit(form["action"]).netloc, f"{url}: a form posts off-site: {form['action']}"
    assert not missing, "post forms without the CSRF token:\n" + "\n".join(missing)
    if role in ("admin", "secretary"):
        assert posts > 10, f"{role}: only {posts} post forms found — the crawl did not reach the detail pages"


def test_the_sign_in_form_carries_the_token_too(client):
    forms = [f for f in parse(client.get("/login").text).forms if f["method"] == "post"]
    assert forms and all(f["inputs"].get("_csrf_token") for f in forms)


async def row_counts() -> dict[str, int]:
    return {t._meta.tablename: await t.count() for t in ALL_TABLES}


@pytest.mark.parametrize("token", ["none", "forged"])
async def test_a_post_without_the_token_is_refused_and_changes_nothing(app, token, sample_ids):
    """Admin's signed-in browser, every page POST route, with plausible fields but no valid token."""
    refused, failures = 0, []
    with TestClient(app=app) as c:
        login(c, "admin")
        real_ids = {}
        for url in crawl(app, c, "admin", sample_ids):
            segs = urlsplit(url).path.split("/")
            for prev, seg in zip(segs, segs[1:]):
                if seg.isdigit():
                    real_ids.setdefault(prev, seg)
        before = await row_counts()  # after signing in, which itself writes a session and an audit entry
        for method, path in app_routes(app):
            if method != "POST" or path.startswith("/api/") or (method, template(path)) in NOT_PROBED_SIGNED_IN:
                continue
            segs = path.split("/")
            url = "/".join(real_ids.get(segs[i - 1], "999999999") if PARAM.fullmatch(s) and ":int" in s
                           else ("note" if PARAM.fullmatch(s) else s) for i, s in enumerate(segs))
            data = {"text": "CSRF", "name": "CSRF", "title": "CSRF", "version": "1", "kind": "request"}
            if token == "forged":
                data["_csrf_token"] = "forged." + "0" * 40
            r = c.post(url, data=data, follow_redirects=False)
            if r.status_code == 403 and "text/html" in r.headers.get("content-type", ""):
                refused += 1
                assert "表单已过期" in r.text or "过期" in r.text, r.text[:300]
            else:
                failures.append(f"POST {url}: {r.status_code}")
        after = await row_counts()
    assert not failures, "\n".join(failures)
    assert refused > 10
    assert after == before
