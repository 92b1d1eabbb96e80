"""Who votes, and with what weight: the counting rules of Art. 278. Pure: no web or database imports.

From the units in scope and their owners this builds the voters ("heads"):

- one owner with several units is ONE head carrying the sum of their units' area;
- the developer's unsold or undelivered units together are ONE head (the developer);
- a unit owned jointly is ONE head, whose owner is the set of its co-owners: the same set of
  co-owners holding several units is one head, and a different set of owners is a different
  buyer — a unit that one of the co-owners owns alone is that person's own head, apart from the
  joint one. The joint head votes once, through one representative: the co-owner the register
  marks, else the first co-owner recorded;
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
    """The co-owners' representative: the one the register marks, else the first co-owner
    recorded (`owners` come in the order they were recorded). The register refuses a second mark;
    should old data hold two, the first recorded of them speaks."""
    marked = [o.person for o in owners if o.is_representative]
    return marked[0] if marked else owners[0].person


def owner_key(persons: Iterable[int]) -> str:
    """The head of a set of owners: "p:<id>" for one owner, "j:<ids>" for joint owners (a short
    hash when many ids would not fit the 40 characters a key has)."""
    ids = sorted(set(persons))
    if len(ids) == 1:
        return f"p:{ids[0]}"
    text = "j:" + "+".join(map(str, ids))
    if len(text) <= 40:
        return text
    import hashlib

    return "j:" + hashlib.sha256(text.encode()).hexdigest()[:32]


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
            # One head per set of owners: the representative speaks for the joint head, but the
            # key is the whole set, so it never merges with that person's sole-owned units.
            key, kind = owner_key(o.person for o in by_unit[u.id]), "owner"
            person = None
        else:
            key, kind, person = f"u:{u.id}", "unregistered", None
        groups.setdefault(key, []).append(u)
        kinds[key] = (kind, person)
    out = []
    for key, members in groups.items():
        members.sort(key=lambda u: u.number)
        kind, person = kinds[key]
        if kind == "owner":  # the representative of the head's first unit (by number) votes for it
            person = _representative(by_unit[members[0].id])
        out.append(Voter(key, kind, person, tuple(u.id for u in members), tuple(u.number for u in members),
                         exact_sum(u.area for u in members)))
    return sorted(out, key=lambda v: v.key)
