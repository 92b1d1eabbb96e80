"""Several app nodes on one PostgreSQL database hold nothing of their own.

Two servers on different ports share one fresh database, as two machines behind a balancer would
(node A runs two worker processes, `council serve --workers 2`): a photo uploaded through one is
served by the other, ballots entered on both at once are counted once each and a voter entered on
both is refused on one, case numbers taken at once on both never collide, and minutes approved on
one are served byte-identical by the other. PostgreSQL only: SQLite is one machine, one process.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import date

import httpx
import pytest

from tests.conftest import BACKEND
from tests.liveserver import Server, fresh_site

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="several nodes need PostgreSQL")

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def nodes():
    from tests.conftest import admin_dsn

    site = fresh_site(admin_dsn)
    a = b = None
    try:
        a = Server(site, workers=2).start(timeout=90)
        b = Server(site).start(timeout=90)
        yield site, a, b
    finally:
        for s in (a, b):
            if s:
                s.stop()
        if os.environ.get("COUNCIL_KEEP_SITE"):
            print("kept", site.data_dir)
        else:
            site.drop()


def test_nodes_share_files_ballots_numbers_and_minutes(nodes):
    site, a, b = nodes
    assert not list(site.data_dir.glob("uploads/cases/*"))
    auth = {"Authorization": f"Bearer {site.token('secretary')}"}
    ca = httpx.Client(base_url=a.base, headers=auth, timeout=120)
    cb = httpx.Client(base_url=b.base, headers=auth, timeout=120)

    # A photo uploaded through A is served by B.
    r = ca.post("/api/v1/cases", json={"kind": "request", "title": "两节点：楼道灯不亮", "category": "facilities",
                                       "channel": "reception_day"})
    assert r.status_code == 201, r.text
    case = r.json()
    photo = PNG + secrets.token_bytes(16)
    r = ca.post(f"/api/v1/cases/{case['id']}/attachments", files={"file": ("楼道.png", photo, "image/png")})
    assert r.status_code == 201, r.text
    got = cb.get(f"/api/v1/cases/{case['id']}/attachments/{r.json()['id']}")
    assert got.status_code == 200 and got.content == photo
    assert not list(site.data_dir.glob("uploads/cases/*")), "the photo was written to one node's disk"

    # Case numbers taken at the same moment through both nodes never collide.
    async def create_many():
        async with httpx.AsyncClient(base_url=a.base, headers=auth, timeout=120) as xa, \
                httpx.AsyncClient(base_url=b.base, headers=auth, timeout=120) as xb:
            body = {"kind": "request", "title": "并发编号", "category": "facilities", "channel": "hotline_12345"}
            return await asyncio.gather(*(c.post("/api/v1/cases", json=body) for c in [xa, xb] * 8))

    made = asyncio.run(create_many())
    assert all(r.status_code == 201 for r in made), [r.text for r in made if r.status_code != 201]
    numbers = [r.json()["number"] for r in made]
    assert len(set(numbers)) == len(numbers) == 16

    # Ballots entered on both nodes at once: each voter counted once, a double entry refused.
    vote, voters, choice = _open_vote_with_voters(ca)
    first, rest = voters[0], voters[1:9]

    async def enter_all():
        async with httpx.AsyncClient(base_url=a.base, headers=auth, timeout=120) as xa, \
                httpx.AsyncClient(base_url=b.base, headers=auth, timeout=120) as xb:
            def ballot(c, voter, ref):
                return c.post(f"/api/v1/votes/{vote}/ballots",
                              json={"choice": choice, "channel": "paper", "voter": voter, "form_ref": ref,
                                    "received_on": date.today().isoformat()})
            same = [ballot(xa, first, "n-a"), ballot(xb, first, "n-b")]
            spread = [ballot([xa, xb][i % 2], v, f"n-{v}") for i, v in enumerate(rest)]
            return await asyncio.gather(*same), await asyncio.gather(*spread)

    same, spread = asyncio.run(enter_all())
    assert sorted(r.status_code for r in same) == [201, 409], [r.text for r in same]
    assert all(r.status_code == 201 for r in spread), [r.text for r in spread if r.status_code != 201]
    entered = {v["id"] for v in cb.get(f"/api/v1/votes/{vote}/voters").json() if v.get("voted") or v.get("ballot")}
    assert {first, *rest} <= entered
    import asyncpg

    async def ballots_per_voter():
        conn = await asyncpg.connect(site.database_url)
        try:
            return await conn.fetch('SELECT voter, count(*) AS n FROM vote_ballot WHERE vote = $1 GROUP BY voter', vote)
        finally:
            await conn.close()

    counts = {r["voter"]: r["n"] for r in asyncio.run(ballots_per_voter())}
    assert all(counts[v] == 1 for v in (first, *rest)), counts

    # Minutes approved through A are served byte-identical by B (and by A).
    meeting, number = _approve_some_minutes(ca)
    pdf_a = ca.get(f"/api/v1/meetings/{meeting}/minutes/versions/{number}/pdf")
    pdf_b = cb.get(f"/api/v1/meetings/{meeting}/minutes/versions/{number}/pdf")
    assert pdf_a.status_code == pdf_b.status_code == 200
    assert pdf_a.content.startswith(b"%PDF") and pdf_a.content == pdf_b.content
    ca.close()
    cb.close()


def _open_vote_with_voters(c: httpx.Client) -> tuple[int, list[int], str]:
    for v in c.get("/api/v1/votes", params={"state": "open"}).json():
        detail = c.get(f"/api/v1/votes/{v['id']}").json()
        options = detail.get("options") or []
        free = [x["id"] for x in c.get(f"/api/v1/votes/{v['id']}/voters").json()
                if not x.get("voted") and not x.get("ballot")]
        if options and len(free) >= 9:
            first = options[0]
            choice = first if isinstance(first, str) else next(first[k] for k in ("code", "key", "value") if k in first)
            return v["id"], free, choice
    pytest.fail("the demo has no open vote with nine voters left")


def _approve_some_minutes(c: httpx.Client) -> tuple[int, int]:
    tried = []
    for m in c.get("/api/v1/meetings").json():
        tried.append((m["id"], m.get("state")))
        if m.get("state") not in ("held", "minutes_drafted", "minutes_approved"):
            continue
        minutes = c.get(f"/api/v1/meetings/{m['id']}/minutes").json()
        version = minutes["version"]
        if m["state"] == "minutes_approved":
            r = c.post(f"/api/v1/meetings/{m['id']}/minutes/correct",
                       json={"reason": "两节点测试：更正", "version": c.get(f"/api/v1/meetings/{m['id']}").json()["version"]})
            if r.status_code != 204:
                tried.append(r.text[:200])
                continue
            version = c.get(f"/api/v1/meetings/{m['id']}/minutes").json()["version"]
        r = c.post(f"/api/v1/meetings/{m['id']}/minutes/approve", json={"version": version})
        if r.status_code == 200:
            return m["id"], r.json()["number"]
        tried.append(r.text[:200])
    pytest.fail(f"no meeting's minutes could be approved: {tried}")
