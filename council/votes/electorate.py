"""Who votes, and with what weight: the counting rules of Art. 278. Pure: no web or database imports.

From the units in scope and their owners this builds the voters ("heads"):

- one owner with several units is ONE head carrying the sum of their units' area;
- the developer's unsold or undelivered units together are ONE head (the developer);
- co-owners of a unit vote once, through the representative recorded in the register; the unit
  belongs to its representative's head;
- a unit with no owner in the register still has an owner in law: it is its own head, so the
  missing record lowers turnout instead of silently shrinking the electorate.

Areas are the register's (registered, else surveyed, else contract area — the unit row already
holds the best one) and are kept as exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from council.votes.rules import HOUSEHOLDS, OWNERS, PERSONS

DEVELOPER_KEY = "developer"


@dataclass(frozen=True)
class UnitRecord:
    id: int
    number: str
    area: Fraction | Decimal | int
    developer_unsold: bool = False


@dataclass(frozen=True)
class OwnerRecord:
    unit: int
    person: int
    is_representative: bool = True


@dataclass(frozen=True)
class Voter:
    key: str  # stable within a vote: "p:<person>", "u:<unit>", "developer"
    kind: str  # owner / developer / unregistered / household / person
    person: int | None
    units: tuple[int, ...]
    unit_numbers: tuple[str, ...]
    area: Fraction


def _ratio(area: Fraction | Decimal | int) -> tuple[int, int]:
    """An area as an exact (numerator, denominator): Decimal and int convert without a Fraction."""
    if isinstance(area, Fraction):
        return area.numerator, area.denominator
    if isinstance(area, int):
        return area, 1
    return area.as_integer_ratio()


def exact_sum(areas: Iterable[Fraction | Decimal | int]) -> Fraction:
    """Exact sum on integers over one common denominator (fast for thousands of units)."""
    from math import lcm

    num, den = 0, 1
    for a in areas:
        n, d = _ratio(a)
        if d != den:
            new = lcm(den, d)
            num *= new // den
            den = new
        num += n * (den // d)
    return Fraction(num, den)


def _representative(owners: Sequence[OwnerRecord]) -> int:
    """The co-owners' representative; with none marked, the first owner recorded (lowest id is
    not a choice of the software: the register should mark one, and the secretary is told)."""
    marked = sorted(o.person for o in owners if o.is_representative)
    return marked[0] if marked else sorted(o.person for o in owners)[0]


def build(units: Iterable[UnitRecord], owners: Iterable[OwnerRecord], counting: str = OWNERS,
          persons: Iterable[int] = ()) -> list[Voter]:
    """The frozen electorate for a vote, sorted by key."""
    if counting == PERSONS:
        return [Voter(f"p:{p}", "person", p, (), (), Fraction(0)) for p in sorted(set(persons))]
    units = list(units)
    if counting == HOUSEHOLDS:
        return sorted((Voter(f"u:{u.id}", "household", None, (u.id,), (u.number,), exact_sum((u.area,)))
                       for u in units), key=lambda v: v.key)
    if counting != OWNERS:
        raise ValueError(f"unknown counting mode {counting!r}")
    by_unit: dict[int, list[OwnerRecord]] = {}
    for o in owners:
        by_unit.setdefault(o.unit, []).append(o)
    groups: dict[str, list[UnitRecord]] = {}
    kinds: dict[str, tuple[str, int | None]] = {}
    for u in units:
        if u.developer_unsold:
            key, kind, person = DEVELOPER_KEY, "developer", None
        elif by_unit.get(u.id):
            person = _representative(by_unit[u.id])
            key, kind = f"p:{person}", "owner"
        else:
            key, kind, person = f"u:{u.id}", "unregistered", None
        groups.setdefault(key, []).append(u)
        kinds[key] = (kind, person)
    out = []
    for key, members in groups.items():
        members.sort(key=lambda u: u.number)
        kind, person = kinds[key]
        out.append(Voter(key, kind, person, tuple(u.id for u in members), tuple(u.number for u in members),
                         exact_sum(u.area for u in members)))
    return sorted(out, key=lambda v: v.key)
