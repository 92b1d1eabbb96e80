"""Every role lands on its own work: the home page's sections per role, the menu by job (at most
seven first-level entries), and the home page agreeing with the lists behind it on what is overdue."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from litestar.testing import TestClient

from council.cases.tables import Case
from council.core.localtime import LOCAL
from council.web.rendering import JOBS, MENUS, nav_menus
from tests.support import login

ZH = {"Accept-Language": "zh-CN"}

EXPECTED = {
    "secretary": ["reception", "overdue", "reported", "votes", "meetings", "windows"],
    "mediator": ["files", "sessions", "windows", "followups"],
    "liaison": ["overdue", "due_soon", "dispatched", "handling"],
    "gridworker": ["pastes", "mine", "overdue"],
    "resident": ["cases", "votes", "meetings"],
}


@pytest.fixture
def signed_in(app):
    def make(username: str) -> TestClient:
        return login(TestClient(app=app), username)

    return make


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="card work" id="work-([a-z_]+)"', html)


def count_of(html: str, key: str) -> int:
    m = re.search(rf'id="work-{key}".*?<span class="count[^"]*">(\d+)</span>', html, re.S)
    assert m, key
    return int(m.group(1))


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_role_lands_on_its_own_work(signed_in, username):
    r = signed_in(username).get("/", headers=ZH)
    assert r.status_code == 200
    assert sections(r.text) == EXPECTED[username]
    assert "今日工作" in r.text
    # No register counts any more: the home page is about work, not the size of the registers.
    assert "楼栋" not in re.sub(r"<nav.*?</nav>", "", r.text, flags=re.S)


def test_menu_has_at_most_seven_entries_per_role_and_mediation_first_level_for_mediators():
    from council.accounts.principal import Principal

    for role in JOBS:
        p = Principal(user_id=1, username="x", display_name="x", role=role, station_ids=frozenset({1}))
        first, menus = nav_menus(p)
        assert len(first) + len(menus) <= 7, (role, first, menus)
        assert {name for name, _ in menus} <= set(MENUS)
    mediator = Principal(user_id=1, username="x", display_name="x", role="mediator", station_ids=frozenset({1}))
    assert "/mediation" in [href for _, href in nav_menus(mediator)[0]]


def test_registers_sit_under_one_menu(signed_in):
    html = signed_in("secretary").get("/", headers=ZH).text
    nav = re.search(r'<nav id="nav".*?</nav>', html, re.S).group(0)
    menus = re.findall(r'<summary class="nav-head">([^<]+)</summary>', nav)
    assert menus == ["台账", "系统"]
    registers = re.search(r"台账</summary>(.*?)</details>", nav, re.S).group(1)
    assert 'href="/units"' in registers and 'href="/people"' in registers
    system = re.search(r"系统</summary>(.*?)</details>", nav, re.S).group(1)
    assert 'href="/audit"' in system and 'href="/units"' not in system


async def test_home_and_the_overdue_list_agree(signed_in):
    """A request past its deadline shows on the secretary's and the liaison's home, counted as the
    overdue list counts it; put back, it leaves both."""
    from council.accounts.tables import User

    liaison = await User.select(User.organisation).where(User.username == "liaison").first()
    org = liaison["organisation"]
    case = await Case.select(Case.id, Case.state, Case.due_date, Case.organisation).where(
        (Case.kind == "request") & (Case.community.is_not_null())).order_by(Case.id).first()
    assert case, "the demo has requests"
    yesterday = dt.datetime.now(LOCAL).date() - dt.timedelta(days=1)
    try:
        await Case.update({Case.state: "dispatched", Case.due_date: yesterday, Case.organisation: org}).where(
            Case.id == case["id"])
        secretary = signed_in("secretary")
        home = secretary.get("/", headers=ZH).text
        listed = secretary.get("/cases/overdue", headers=ZH).text
        assert f'href="/cases/{case["id"]}"' in re.search(r'id="work-overdue".*?</section>', home, re.S).group(0)
        n = count_of(home, "overdue")
        assert n >= 1
        assert len(set(re.findall(r'href="/cases/(\d+)"', re.search(r"<main.*</main>", listed, re.S).group(0)))) >= min(n, 5)
        liaison_home = signed_in("liaison").get("/", headers=ZH).text
        assert f'href="/cases/{case["id"]}"' in re.search(r'id="work-overdue".*?</section>', liaison_home, re.S).group(0)
    finally:
        await Case.update({Case.state: case["state"], Case.due_date: case["due_date"],
                           Case.organisation: case["organisation"]}).where(Case.id == case["id"])
    home = signed_in("secretary").get("/", headers=ZH).text
    assert f'href="/cases/{case["id"]}"' not in re.search(r'id="work-overdue".*?</section>', home, re.S).group(0)
