"""Shared fixtures: a migrated database with the demo data, an app, and signed-in clients."""

from __future__ import annotations

import re
from typing import Iterator

import pytest
from litestar.testing import TestClient

from council import db
from council.settings import load_settings

DEMO_PASSWORD = "council-demo"


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session", autouse=True)
async def database(settings):
    """Migrate once and load the demo data: every test can rely on the demo station."""
    from council.demo import load_demo

    db.configure(settings.database_url)
    await db.start()
    await load_demo(settings=settings)
    yield
    await db.stop()


@pytest.fixture(scope="session")
def app(settings, database):
    from council.app import create_app

    return create_app(settings)


def csrf_token(client: TestClient) -> str:
    token = client.cookies.get("csrftoken")
    if not token:
        client.get("/login")
        token = client.cookies.get("csrftoken")
    return token


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    token = csrf_token(client)
    r = client.post("/login", data={"username": username, "password": password, "_csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def post_form(client: TestClient, url: str, data: dict, **kw):
    return client.post(url, data={**data, "_csrf_token": csrf_token(client)}, follow_redirects=False, **kw)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app=app) as c:
        yield c


@pytest.fixture
def as_user(app):
    """as_user("secretary") -> a TestClient signed in as that demo user."""
    opened = []

    def make(username: str) -> TestClient:
        c = TestClient(app=app)
        c.__enter__()
        opened.append(c)
        return login(c, username)

    yield make
    for c in reversed(opened):  # LIFO: each client nests in the app lifespan of the one before
        c.__exit__(None, None, None)


__all__ = ["settings", "database", "app", "client", "as_user", "login", "post_form", "csrf_token", "DEMO_PASSWORD"]
