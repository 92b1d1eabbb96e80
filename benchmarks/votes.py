"""Residents' votes: the tally of a 5,000-unit estate with 4,000 ballots (target p95 ≤ 100 ms), and
online ballots through voting links sustained on the real database (target ≥ 200 per second on
SQLite) with none lost.

    .venv/bin/python -m benchmarks.votes            # SQLite
    COUNCIL_BENCH_PG_DSN=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m benchmarks.votes
"""

from __future__ import annotations

import asyncio
import random
import time
from decimal import Decimal

from benchmarks.common import engines, report, run, scratch_database

UNITS = 5_000
BALLOTS = 4_000
TALLY_TARGET_MS = 100
ONLINE_BALLOTS = 2_000
ONLINE_TARGET_PER_S = 200
CONCURRENCY = 16


def tally_bench(label: str = "5,000 units / 4,000 ballots") -> bool:
    """The pure engine, as close_vote runs it: electorate from units and owners, then the tally."""
    from council.votes import electorate, rules
    from council.votes.tally import DEFAULT_OPTIONS, tally_ballots

    rng = random.Random(5)
    units = [electorate.UnitRecord(i, f"{i // 100 + 1}-{i % 100:03d}", Decimal(rng.randrange(5000, 15000)) / 100,
                                   developer_unsold=i >= UNITS - 40) for i in range(UNITS)]
    owners, person, i = [], 0, 0
    while i < UNITS - 40:  # ~8% of owners hold two or three units
        holding = 3 if rng.random() < 0.02 else 2 if rng.random() < 0.06 else 1
        for u in range(i, min(i + holding, UNITS - 40)):
            owners.append(electorate.OwnerRecord(u, person))
        person, i = person + 1, i + holding
    rule = rules.build("art278_major")
    # The electorate is built once, when the vote opens; the tally runs at close (and for live progress).
    build_ms = []
    for _ in range(10):
        start = time.perf_counter()
        voters = electorate.build(units, owners, rule.counting)
        build_ms.append((time.perf_counter() - start) * 1000)
    weights = {v.key: v.area for v in voters}
    voted = rng.sample(list(weights), min(BALLOTS, len(weights)))
    ballots = {k: rng.choice(("agree",) * 8 + ("disagree", "abstain", "spoiled")) for k in voted}
    samples = []
    for _ in range(30):
        start = time.perf_counter()
        result = tally_ballots(rule, DEFAULT_OPTIONS, weights, ballots)
        samples.append((time.perf_counter() - start) * 1000)
    assert result["voted"]["heads"] == len(ballots)
    print(f"electorate: {len(units)} units → {len(voters)} heads; {len(ballots)} ballots; "
          f"passed={result['passed']}")
    report(f"electorate of {label.split(' / ')[0]} (at open)", build_ms)
    return report(f"tally {label} (pure)", samples, TALLY_TARGET_MS)


async def seed_estate(n_units: int) -> tuple[int, int]:
    """A second estate of n_units single-owner units at the demo station."""
    from council import db
    from council.people.tables import Ownership, Person
    from council.places.tables import Building, Estate, Unit
    from council.stations.tables import Station, StationEstate

    station = await Station.select().first()
    community = station["community"]
    async with db.write():
        estate = (await Estate.insert(Estate(community=community, name="基准小区")).returning(Estate.id))[0]["id"]
        await StationEstate.insert(StationEstate(station=station["id"], estate=estate))
        building = (await Building.insert(Building(community=community, estate=estate, number="1栋"))
                    .returning(Building.id))[0]["id"]
        for chunk in range(0, n_units, 500):
            rows = await Unit.insert(*[Unit(community=community, estate=estate, building=building, number=f"B-{i}",
                                            area_m2=Decimal("88.88")) for i in range(chunk, min(chunk + 500, n_units))]
                                     ).returning(Unit.id)
            people = await Person.insert(*[Person(community=community, name=f"业主{r['id']}") for r in rows]
                                         ).returning(Person.id)
            await Ownership.insert(*[Ownership(community=community, unit=r["id"], person=p["id"])
                                     for r, p in zip(rows, people)])
    return station["id"], estate


async def online_bench(engine_name: str) -> bool:
    from council.accounts.principal import SYSTEM
    from council.votes import ballots, manage, tokens
    from council.votes.common import current_tally, get_vote, secret_key
    from council.votes.tables import VoteBallot, VoteVoter

    async with scratch_database(engine_name):
        station, estate = await seed_estate(ONLINE_BALLOTS)
        vote_id = await manage.create_vote(SYSTEM, {"station": station, "estate": estate, "title": "基准表决",
                                                    "question": "?", "rule_set": "art278_ordinary"})
        await manage.open_vote(SYSTEM, vote_id)
        voters = await VoteVoter.select().where(VoteVoter.vote == vote_id)
        secret = secret_key()
        links = [tokens.make_token(secret, vote_id, v["voter_key"], v["token_salt"]) for v in voters]
        queue = list(links)
        latencies: list[float] = []
        failures: list[str] = []

        async def worker():
            while queue:
                link = queue.pop()
                start = time.perf_counter()
                try:
                    await ballots.cast_online(link, "agree")
                except Exception as e:  # noqa: BLE001 — counted and reported, never hidden
                    failures.append(repr(e))
                latencies.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
        elapsed = time.perf_counter() - start
        stored = await VoteBallot.count().where(VoteBallot.vote == vote_id)
        rate = len(links) / elapsed
        ok = rate >= ONLINE_TARGET_PER_S if engine_name == "sqlite" else True
        print(f"[{engine_name}] online ballots: {len(links)} in {elapsed:.2f} s = {rate:.0f}/s "
              f"({CONCURRENCY} concurrent); stored {stored}, failures {len(failures)}"
              + (f"  target ≥ {ONLINE_TARGET_PER_S}/s: {'met' if ok else 'MISSED'}" if engine_name == "sqlite" else ""))
        report(f"[{engine_name}] one online ballot", latencies)
        t0 = time.perf_counter()
        result = await current_tally(await get_vote(vote_id))
        print(f"[{engine_name}] tally from the database ({len(voters)} heads, {stored} ballots): "
              f"{(time.perf_counter() - t0) * 1000:.1f} ms, passed={result['passed']}")
        lost = len(links) - stored
        if lost or failures:
            print(f"[{engine_name}] LOST {lost} ballots; first failure: {failures[:1]}")
        return ok and not lost and not failures


async def main() -> None:
    ok = tally_bench()
    for engine_name in engines():
        ok = await online_bench(engine_name) and ok
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    run(main)
