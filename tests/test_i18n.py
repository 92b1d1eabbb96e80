"""Simplified Chinese first, English second: the catalogue is complete, and each request
gets its own language without anything global being switched."""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from council.core import catalog, i18n

LANG = re.compile(r'<html lang="([^"]+)"')


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return catalog.template()


# ---------------------------------------------------------------- the catalogue

def test_every_msgid_has_a_chinese_translation(pot):
    missing = catalog.missing(pot)
    assert not missing, (
        f"{len(missing)} msgid(s) lack a zh_CN translation: run `.venv/bin/python scripts/catalog.py`, "
        "translate them in council/locale/zh_CN/LC_MESSAGES/messages.po, then scripts/install.sh\n"
        + catalog.format_missing(missing, pot)
    )


def test_extraction_covers_wrapped_strings_errors_and_data(pot):
    ids = {m.id for m in pot if m.id}
    expected = {
        "Sign in",  # _() in a template
        "Wrong username or password.",  # _() in Python
        "Only an administrator can edit records shared by all stations.",  # Forbidden(...)
        "Enter a whole number.",  # ValueError(...) from a field parser
        "Not found.",  # NotFound's default message
        "Exclusive floor area (m²)",  # a Field label
        "Unique within the estate, e.g. 3-2-501.",  # a Field help
        "Property register",  # a choice label
        "Residents and owners",  # a Register plural
        "Places",  # a nav group
        "This estate already has a unit with that number.",  # a unique_message
        "Audit log",  # NAV
        "Something went wrong on our side. The error has been logged.",  # errors.TITLES
        "Friday",  # WEEKDAYS
        "grid_worker",  # a role
    }
    assert expected <= ids, sorted(expected - ids)
    # Startup errors meant for the operator are not UI text.
    assert not any("COUNCIL_DATABASE_URL" in i or "Piccolo" in i for i in ids)


def test_word_lists_and_guard_reasons_are_extracted(monkeypatch):
    """Msgids that no call marks: a vocabulary module's (code, msgid) tuples, and the reason a
    state machine's guard returns (raised later as MoveRefused(why))."""
    import types

    from council.cases.statemachine import Machine, Move

    vocab = types.ModuleType("council.i18n_probe.vocabulary")
    vocab.COLOURS = (("red", "Probe red"), ("blue", "Probe blue"))
    vocab.CODES = ("a", "b")  # plain codes, not shown
    steps = types.ModuleType("council.i18n_probe.steps")
    steps.MACHINE = Machine(("a", "b"), (
        Move("go", frozenset({"a"}), "b", guard=lambda f: None if f == "passed" else "Probe reason."),
    ))
    monkeypatch.setitem(sys.modules, vocab.__name__, vocab)
    monkeypatch.setitem(sys.modules, steps.__name__, steps)
    collector = catalog.Collector()
    catalog.data_messages(collector)
    assert {"Probe red", "Probe blue", "Probe reason."} <= set(collector.entries)
    assert not {"a", "b", "red", "passed"} & set(collector.entries)


def test_placeholders_match_in_every_domain():
    problems = catalog.placeholder_problems()
    assert not problems, "translations whose placeholders differ from the msgid:\n" + "\n".join(problems)


def test_placeholder_comparison_catches_a_mismatch():
    assert catalog.placeholders("Page %(page)s of %(pages)s") == catalog.placeholders("第 %(page)s 页，共 %(pages)s 页")
    assert catalog.placeholders("Welcome, %(name)s") != catalog.placeholders("您好")
    assert catalog.placeholders("Welcome, %(name)s") != catalog.placeholders("%(nom)s，您好")


def test_compiled_catalogues_match_the_po_files():
    """A .po edited without scripts/install.sh would leave the UI in English."""
    runtime = i18n.translations("zh_CN")
    expected: dict[str, str] = {}
    # Same order as council.core.i18n: messages first, the other domains merged over it.
    paths = catalog.domain_files()
    for path in sorted(paths, key=lambda p: (p.stem != catalog.CORE_DOMAIN, p.stem)):
        expected.update(catalog.translated(catalog.read_catalog(path)))
    stale = {k: v for k, v in expected.items() if runtime.gettext(k) != v}
    assert not stale, "run scripts/install.sh; stale or uncompiled: " + repr(sorted(stale)[:10])


def _po(path: Path, entries: dict[str, str]) -> None:
    cat = Catalog(locale="zh_CN", domain=path.stem, fuzzy=False)
    for k, v in entries.items():
        cat.add(k, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, cat)


def test_update_keeps_translations_and_leaves_other_domains_alone(tmp_path):
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    _po(folder / "messages.po", {"Save": "保存", "Gone": "已删除的词", "Edit": ""})
    _po(folder / "imports.po", {"Import register": "导入台账"})
    pot = Catalog(fuzzy=False)
    for msgid in ("Save", "Edit", "Import register", "Brand new"):
        pot.add(msgid, locations=[("templates/x.html", 1)])

    path, total, untranslated = catalog.update_core(pot, locale_dir=tmp_path)
    with open(path, "rb") as f:
        merged = read_po(f)
    assert merged["Save"].string == "保存"
    assert merged["Brand new"] is not None and merged["Brand new"].string == ""
    assert merged["Import register"] is None  # imports.po translates it
    assert merged["Gone"] is None and merged.obsolete["Gone"].string == "已删除的词"
    assert (total, untranslated) == (3, 2)
    assert catalog.missing(pot, locale_dir=tmp_path) == ["Edit", "Brand new"]

    # A msgid that comes back (a template mid-edit) gets its old translation back.
    pot.add("Gone", locations=[("templates/x.html", 2)])
    catalog.update_core(pot, locale_dir=tmp_path)
    with open(path, "rb") as f:
        merged = read_po(f)
    assert merged["Gone"].string == "已删除的词" and "Gone" not in merged.obsolete


def test_check_mode_fails_on_missing_translations(tmp_path, monkeypatch, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("catalog_script", catalog.ROOT / "scripts" / "catalog.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)

    # The check against a copy of the locale folder that lost one translation.
    copy = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, copy)
    po_path = copy / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with open(po_path, "rb") as f:
        cat = read_po(f)
    cat["Sign in"].string = ""
    with open(po_path, "wb") as f:
        write_po(f, cat)
    real_report = catalog.report
    monkeypatch.setattr(catalog, "report", lambda pot: real_report(pot, locale_dir=copy))
    assert script.main(["--check"]) == 1
    assert "'Sign in'" in capsys.readouterr().err


# ---------------------------------------------------------------- choosing the language per request

def _lang(response: httpx.Response) -> str:
    m = LANG.search(response.text)
    assert m, response.text[:300]
    return m.group(1)


async def _new_user(locale: str = "") -> str:
    """A throwaway admin account, so saving a locale does not touch the demo users."""
    from council.accounts import services
    from council.accounts.principal import SYSTEM
    from council.accounts.tables import User

    username = f"i18n-{secrets.token_hex(4)}"
    user_id = await services.create_user(SYSTEM, username=username, password="council-demo", role="admin")
    if locale:
        await User.update({User.locale: locale}).where(User.id == user_id)
    return username


async def _sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/login")
    r = await client.post("/login", data={"username": username, "password": "council-demo", "next": "/",
                                          "_csrf_token": client.cookies["csrftoken"]})
    assert r.status_code == 303, r.text


@asynccontextmanager
async def serving(app, asgi_app=None, **kw):
    """An async client on the app with its lifespan held open. (A context manager, not a
    fixture: anyio's lifespan must be entered and left in the same task.)"""
    async with app.lifespan():
        transport = httpx.ASGITransport(app=asgi_app or app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", **kw) as client:
            yield client


async def test_login_page_defaults_to_chinese(app):
    async with serving(app) as asgi:
        r = await asgi.get("/login")
        assert r.status_code == 200
        assert _lang(r) == "zh-CN"
        assert "登录" in r.text and "Sign in" not in r.text


async def test_accept_language_english(app):
    async with serving(app) as asgi:
        r = await asgi.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
        assert _lang(r) == "en"
        assert "Sign in" in r.text and "登录" not in r.text
        # A preference order the browser states is respected.
        r = await asgi.get("/login", headers={"Accept-Language": "fr, zh-CN;q=0.8, en;q=0.5"})
        assert _lang(r) == "zh-CN"


async def test_switcher_sets_a_cookie_and_the_next_page_follows_it(app):
    async with serving(app) as asgi:
        await asgi.get("/login")
        r = await asgi.post("/locale", data={"locale": "en", "next": "/login",
                                            "_csrf_token": asgi.cookies["csrftoken"]})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert asgi.cookies.get(i18n.LOCALE_COOKIE) == "en"
        # The cookie beats the browser's Chinese header.
        r = await asgi.get("/login", headers={"Accept-Language": "zh-CN"})
        assert _lang(r) == "en" and "Sign in" in r.text
        r = await asgi.post("/locale", data={"locale": "zh_CN", "next": "/login",
                                            "_csrf_token": asgi.cookies["csrftoken"]})
        r = await asgi.get("/login", headers={"Accept-Language": "en"})
        assert _lang(r) == "zh-CN"


async def test_switcher_without_csrf_changes_nothing(app):
    async with serving(app) as asgi:
        r = await asgi.post("/locale", data={"locale": "en", "next": "/login"})
        assert r.status_code == 403
        assert i18n.LOCALE_COOKIE not in asgi.cookies


async def test_saved_locale_beats_accept_language(app):
    async with serving(app) as asgi:
        username = await _new_user()
        await _sign_in(asgi, username)
        r = await asgi.post("/locale", data={"locale": "en", "next": "/", "_csrf_token": asgi.cookies["csrftoken"]})
        assert r.status_code == 303

        # Another browser, no locale cookie, asking for Chinese: the saved setting wins.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver", headers={"Accept-Language": "zh-CN"}) as other:
            await _sign_in(other, username)
            assert i18n.LOCALE_COOKIE not in other.cookies
            r = await other.get("/")
            assert r.status_code == 200
            assert _lang(r) == "en" and "Home" in r.text


async def test_user_without_saved_locale_follows_the_browser(app):
    async with serving(app) as asgi:
        username = await _new_user()
        await _sign_in(asgi, username)
        r = await asgi.get("/", headers={"Accept-Language": "en"})
        assert _lang(r) == "en" and "Audit log" in r.text
        r = await asgi.get("/", headers={"Accept-Language": "zh-CN"})
        assert _lang(r) == "zh-CN" and "操作日志" in r.text and "管理员" in r.text


async def test_concurrent_requests_each_get_their_own_language(app):
    """20 requests in flight together, alternating Chinese and English: if the language were
    a global switched per request, interleaved requests would render in each other's."""
    in_flight = 0
    peak = 0

    async def counting(scope, receive, send):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            # Yield before and after handling: with persistent connections a request may no longer
            # wait on the database at all, and the requests must still interleave to prove anything.
            await asyncio.sleep(0.005)
            await app(scope, receive, send)
            await asyncio.sleep(0.005)
        finally:
            in_flight -= 1

    async with serving(app, asgi_app=counting) as client:
        await _sign_in(client, await _new_user())
        wants = ["zh-CN" if i % 2 == 0 else "en" for i in range(20)]
        # Half the requests are the home page (several queries, so they interleave),
        # half the error page for an unknown record (an exception handler renders it).
        paths = ["/" if i % 4 < 2 else "/units/999999999" for i in range(20)]
        responses = await asyncio.gather(
            *(client.get(p, headers={"Accept-Language": w}) for p, w in zip(paths, wants))
        )
    assert peak > 1, "the requests did not overlap, so the test proves nothing"
    for path, want, r in zip(paths, wants, responses):
        assert _lang(r) == want, (path, want)
        if path == "/":
            assert ("操作日志" in r.text) == (want == "zh-CN")
            assert ("Audit log" in r.text) == (want == "en")
        else:
            assert r.status_code == 404
            assert ("未找到。" in r.text) == (want == "zh-CN")
            assert ("Not found." in r.text) == (want == "en")
