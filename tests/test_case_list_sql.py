"""The case list's prebuilt SQL (queries.list_cases) answers exactly as the Piccolo clauses it
stands in for (queries._clauses, still used by searches, drill-downs and exports): for every demo
account — each role's scope, the officers above the stations included — and each filter."""

import pytest

from council.accounts.services import principal_for_user
from council.accounts.tables import User
from council.cases import queries
from council.cases.queries import CaseFilter
from council.demo import DEMO_USERS

FILTERS = [
    CaseFilter(), CaseFilter(kind="request"), CaseFilter(kind="proposal"), CaseFilter(state="dispatched"),
    CaseFilter(overdue=True), CaseFilter(mine=True), CaseFilter(channel="reception_day"),
    CaseFilter(category="facilities"), CaseFilter(page=2), CaseFilter(page=10**9),
]


@pytest.mark.parametrize("username", [u for u, _role, _name in DEMO_USERS])
async def test_prebuilt_list_matches_the_clauses(username):
    user = await User.select().where(User.username == username).first()
    principal = await principal_for_user(user, via="session")
    for f in FILTERS:
        rows, total = await queries.list_cases(principal, f)
        page = min(max(f.page, 1), 1_000_000)
        ref_rows, ref_total = await queries._list_cases_search(principal, f, queries.PER_PAGE, page)
        assert total == ref_total, (username, f)
        assert [r["id"] for r in rows] == [r["id"] for r in ref_rows], (username, f)
        for r, ref in zip(rows, ref_rows):
            assert {k: r[k] for k in ref} == ref, (username, f)
