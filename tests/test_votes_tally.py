"""The tally engine, the rule sets and the counting rules (pure; no database, no web).

Every statutory boundary is tested from both sides: exactly 2/3 and exactly 3/4 pass ("以上"
includes the bound), exactly 1/2 fails ("过半数" excludes it). A hypothesis test checks the
engine against a brute-force reference written independently, on random electorates.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from council.votes import electorate as el
from council.votes import rules
from council.votes.tally import (
    DEFAULT_OPTIONS, SPOILED, OptionDef, aggregate, explain, percent, summary, tally, tally_ballots, total_of,
)
from council.web.rendering import translator

zh = translator("zh_CN")
ORDINARY = rules.build("art278_ordinary")
MAJOR = rules.build("art278_major")


def equal_units(n: int) -> dict[str, Fraction]:
    return {f"p:{i}": Fraction(100) for i in range(n)}


def votes(agree=0, disagree=0, abstain=0, spoiled=0, start=0) -> dict[str, str]:
    out, i = {}, start
    for choice, k in (("agree", agree), ("disagree", disagree), ("abstain", abstain), (SPOILED, spoiled)):
        for _ in range(k):
            out[f"p:{i}"] = choice
            i += 1
    return out


def check(result, what):
    return next(c for c in result["checks"] if c["what"] == what)


# ---------------------------------------------------------------- thresholds

def test_threshold_bounds_are_exact():
    assert rules.TWO_THIRDS.met(2, 3) and not rules.TWO_THIRDS.met(Fraction(1999, 1000), 3)
    assert rules.THREE_QUARTERS.met(3, 4) and not rules.THREE_QUARTERS.met(Fraction(2999999, 1000000), 4)
    assert not rules.HALF_EXCLUSIVE.met(1, 2) and rules.HALF_EXCLUSIVE.met(Fraction(500001, 1000000), 1)
    assert not rules.TWO_THIRDS.met(0, 0)  # nothing of nothing never passes


def test_parse_fraction():
    assert rules.parse_fraction("2/3") == Fraction(2, 3)
    assert rules.parse_fraction("75%") == Fraction(3, 4)
    assert rules.parse_fraction("0.5") == Fraction(1, 2)
    for bad in ("0", "3/2", "abc", "1/0", "-1/2"):
        with pytest.raises(ValueError):
            rules.parse_fraction(bad)


# ---------------------------------------------------------------- Art. 278 turnout: exactly 2/3 passes

def test_turnout_exactly_two_thirds_by_heads_and_area_passes():
    e = equal_units(9)  # 6 of 9 = exactly 2/3
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, e, votes(agree=6))
    assert check(r, "turnout_area")["met"] and check(r, "turnout_heads")["met"]
    assert r["passed"]


def test_turnout_just_under_two_thirds_by_area_fails_even_with_heads_met():
    e = equal_units(9)
    e["p:8"] = Fraction(10001, 100)  # a non-voter a little larger: voters' area falls below 2/3
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, e, votes(agree=6))
    assert check(r, "turnout_heads")["met"] and not check(r, "turnout_area")["met"]
    assert not r["passed"]


def test_turnout_just_under_two_thirds_by_heads_fails():
    e = {f"p:{i}": Fraction(1) for i in range(10)}
    e["p:0"] = Fraction(1000)  # one big owner gives area but only one head
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, e, votes(agree=6))  # 6/10 heads < 2/3
    assert check(r, "turnout_area")["met"] and not check(r, "turnout_heads")["met"]
    assert not r["passed"]


# ---------------------------------------------------------------- ordinary: exactly 1/2 fails

def test_ordinary_exactly_half_agree_fails():
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, equal_units(12), votes(agree=5, disagree=5))
    assert r["turnout_met"]
    assert not check(r, "approval_heads")["met"] and not check(r, "approval_area")["met"]
    assert not r["passed"]


def test_ordinary_just_over_half_passes():
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, equal_units(12), votes(agree=6, disagree=5))
    assert r["passed"] and r["winner"] == "agree"


def test_ordinary_half_by_area_fails_though_heads_pass():
    e = {"p:0": Fraction(300), "p:1": Fraction(100), "p:2": Fraction(100), "p:3": Fraction(100)}
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, e, {"p:0": "disagree", "p:1": "agree", "p:2": "agree", "p:3": "agree"})
    assert check(r, "approval_heads")["met"] and not check(r, "approval_area")["met"]  # 300/600 = 1/2
    assert not r["passed"]


# ---------------------------------------------------------------- major: exactly 3/4 passes

def test_major_exactly_three_quarters_passes():
    r = tally_ballots(MAJOR, DEFAULT_OPTIONS, equal_units(8), votes(agree=6, disagree=2))
    assert check(r, "approval_heads")["met"] and check(r, "approval_area")["met"]
    assert r["passed"]


def test_major_just_under_three_quarters_fails():
    e = equal_units(8)
    e["p:7"] = Fraction(10001, 100)  # the one disagreeing owner is a little larger
    r = tally_ballots(MAJOR, DEFAULT_OPTIONS, e, votes(agree=6, disagree=2))
    assert check(r, "approval_heads")["met"] and not check(r, "approval_area")["met"]
    assert not r["passed"]


# ---------------------------------------------------------------- abstentions and spoiled ballots

def test_abstentions_and_spoiled_count_as_participation_not_agreement():
    e = equal_units(9)
    # 3 agree + 2 abstain + 1 spoiled = 6 of 9 take part: turnout exactly 2/3 is met only thanks to them.
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, e, votes(agree=3, abstain=2, spoiled=1))
    assert r["turnout_met"]
    assert r["participating"]["heads"] == 6
    assert r["spoiled"]["heads"] == 1
    # 3 of 6 participating agree: exactly a half, which fails.
    assert not check(r, "approval_heads")["met"] and not r["passed"]
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, e, votes(agree=4, abstain=1, spoiled=1))
    assert r["passed"]


def test_nobody_voted():
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, equal_units(3), {})
    assert not r["passed"] and not r["turnout_met"]
    assert explain(r, zh)[-1] == "→ 未通过"


# ---------------------------------------------------------------- other rule sets

def test_simple_majority_has_no_turnout_bar_and_excludes_half():
    rule = rules.build("simple_majority")
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(100), votes(agree=2, disagree=1))
    assert r["passed"] and [c["what"] for c in r["checks"]] == ["approval_heads"]
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(100), votes(agree=2, disagree=1, abstain=1))
    assert not r["passed"]  # 2 of 4 is not more than half


def test_representatives_quorum_set_by_station():
    rule = rules.build("representatives", {"quorum": ["1/2", False]})
    e = {f"p:{i}": Fraction(0) for i in range(10)}
    r = tally_ballots(rule, DEFAULT_OPTIONS, e, votes(agree=5))
    assert not r["turnout_met"]  # exactly half is not "more than half"
    r = tally_ballots(rule, DEFAULT_OPTIONS, e, votes(agree=6))
    assert r["passed"]
    assert rules.build("representatives").turnout_heads == rules.DEFAULT_QUORUM


def test_custom_thresholds_inclusive_and_exclusive():
    params = {"approval_heads": ["3/5", True], "turnout_heads": ["1/2", False]}
    rule = rules.build("custom", params)
    assert tally_ballots(rule, DEFAULT_OPTIONS, equal_units(10), votes(agree=3, disagree=2, abstain=1))["passed"] is False  # 3/6
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(10), votes(agree=3, disagree=2))  # 5/10 turnout, not > 1/2
    assert not r["turnout_met"]
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(10), votes(agree=6, disagree=4))  # 6/10 = 3/5 inclusive
    assert r["passed"]
    with pytest.raises(ValueError):
        rules.build("custom", {})
    with pytest.raises(ValueError):
        rules.build("custom", {"counting": "persons", "approval_area": ["1/2", False]})
    with pytest.raises(ValueError):
        rules.build("nonsense")


def test_rule_set_survives_json():
    rule = rules.build("custom", {"approval_area": ["2/3", True], "turnout_heads": ["1/2", False]},
                       non_voters_follow_majority=True)
    assert rules.from_json(rule.to_json()) == rule


# ---------------------------------------------------------------- non-voters follow the majority

def test_non_voters_follow_majority_off_by_default():
    assert not ORDINARY.non_voters_follow_majority
    r = tally_ballots(ORDINARY, DEFAULT_OPTIONS, equal_units(10), votes(agree=3, disagree=1))
    assert not r["turnout_met"] and r["followed_majority"] is None


def test_non_voters_follow_majority_when_set():
    rule = rules.build("art278_ordinary", non_voters_follow_majority=True)
    # 7 of 10 took part (≥ 2/3): the 3 who did not are counted with the majority.
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(10), votes(agree=4, disagree=3))
    assert r["followed_majority"]["applied"] and r["followed_majority"]["heads"] == 3
    assert r["participating"]["heads"] == 10 and r["passed"]
    # A tie: nobody is added, and the reasons say so.
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(10), votes(agree=4, disagree=4))
    assert not r["followed_majority"]["applied"] and not r["passed"]
    assert "未计入" in explain(r, zh)[0]


def test_non_voters_never_make_the_turnout():
    """Art. 278 para. 2: owners with 2/3 of the area and heads must take part. 6 of 10 did (< 2/3):
    the 4 non-voters are not counted, not even toward turnout, and the vote fails."""
    rule = rules.build("art278_ordinary", non_voters_follow_majority=True)
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(10), votes(agree=5, disagree=1))
    assert not r["turnout_met"] and not r["followed_majority"]["applied"] and not r["passed"]
    assert r["participating"]["heads"] == 6
    assert "实际参与表决" in explain(r, zh)[0]
    # Exactly at the bound by real participation (2/3 of 9 = 6): met, then the 3 follow.
    r = tally_ballots(rule, DEFAULT_OPTIONS, equal_units(9), votes(agree=4, disagree=2))
    assert r["turnout_met"] and r["followed_majority"]["applied"] and r["passed"]


# ---------------------------------------------------------------- several options

def test_several_options_exactly_one_must_meet_the_thresholds():
    options = (OptionDef("a", "方案一"), OptionDef("b", "方案二"), OptionDef("no", "都不同意", "reject"),
               OptionDef("abstain", "弃权", "abstain"))
    e = equal_units(10)
    ballots = {f"p:{i}": c for i, c in enumerate(["a"] * 6 + ["b"] * 2 + ["no"])}
    r = tally_ballots(ORDINARY, options, e, ballots)
    assert r["passed"] and r["winner"] == "a"
    assert "“方案二”" in " ".join(explain(r, zh))
    loose = rules.build("custom", {"approval_heads": ["1/3", True]})
    ballots = {f"p:{i}": c for i, c in enumerate(["a"] * 4 + ["b"] * 4 + ["no"] * 2)}
    r = tally_ballots(loose, options, e, ballots)
    assert r["winners"] == ["a", "b"] and not r["passed"]
    with pytest.raises(ValueError):
        tally_ballots(ORDINARY, options, e, {"p:0": "zzz"})


# ---------------------------------------------------------------- words

def test_reasons_in_chinese_words():
    # 1000 units of 1 m²: 682 take part (68.2% ≥ 2/3); 511 agree = 74.9…% of 682 < 3/4 → 未通过.
    e = {f"p:{i}": Fraction(1) for i in range(1000)}
    r = tally_ballots(MAJOR, DEFAULT_OPTIONS, e, votes(agree=511, disagree=171))
    lines = explain(r, zh)
    assert lines[0] == "参与表决面积占比 68.2% ≥ 2/3"
    assert lines[1] == "参与表决人数占比 68.2% ≥ 2/3"
    assert lines[3] == "同意人数占参与表决人数 74.9% < 3/4"
    assert lines[-1] == "→ 未通过"
    assert summary(r, zh).endswith("→ 未通过")
    ok = tally_ballots(ORDINARY, DEFAULT_OPTIONS, equal_units(12), votes(agree=5, disagree=5))
    assert "同意人数占参与表决人数 50.0% ≤ 1/2" in explain(ok, zh)


def test_percent_never_contradicts_the_verdict():
    assert percent(Fraction(2, 3), Fraction(2, 3)) == "66.7%"
    assert percent(Fraction(6666, 10000), Fraction(2, 3)) == "66.66%"
    assert percent(Fraction(1, 2)) == "50.0%"
    assert percent(Fraction(6825, 10000)) == "68.3%"  # half up


# ---------------------------------------------------------------- the counting rules

def test_counting_rules():
    units = [
        el.UnitRecord(1, "1-101", Decimal("89.47")), el.UnitRecord(2, "1-102", Decimal("96.12")),
        el.UnitRecord(3, "1-201", Decimal("100.00")), el.UnitRecord(4, "10-1301", Decimal("120.50"), True),
        el.UnitRecord(5, "10-1302", Decimal("120.50"), True), el.UnitRecord(6, "2-101", Decimal("70.00")),
    ]
    owners = [
        el.OwnerRecord(1, 10), el.OwnerRecord(2, 10),  # one owner, two units: one head
        el.OwnerRecord(3, 20, True), el.OwnerRecord(3, 21, False),  # co-owners: the representative votes
    ]  # unit 6: nobody in the register
    voters = {v.key: v for v in el.build(units, owners)}
    assert set(voters) == {"p:10", "j:20+21", "developer", "u:6"}
    assert voters["p:10"].area == Fraction("185.59") and voters["p:10"].units == (1, 2)
    assert voters["developer"].area == Fraction(241) and voters["developer"].kind == "developer"
    assert voters["j:20+21"].person == 20 and voters["u:6"].kind == "unregistered"
    households = el.build(units, owners, rules.HOUSEHOLDS)
    assert len(households) == 6
    people = el.build([], [], rules.PERSONS, persons=[3, 1, 3])
    assert [v.key for v in people] == ["p:1", "p:3"]


def test_a_jointly_owned_unit_is_its_own_head():
    """Same buyer of several units = one head; a different set of owners = a different buyer."""
    units = [el.UnitRecord(1, "1-101", 100), el.UnitRecord(2, "1-102", 80), el.UnitRecord(3, "1-103", 60),
             el.UnitRecord(4, "1-104", 50)]
    owners = [
        el.OwnerRecord(1, 7),  # 7 alone
        el.OwnerRecord(2, 7, False), el.OwnerRecord(2, 8, False),  # 7 and 8 jointly: none marked
        el.OwnerRecord(3, 8, True), el.OwnerRecord(3, 7, False),  # the same pair again, 8 marked
        el.OwnerRecord(4, 8),  # 8 alone
    ]
    voters = {v.key: v for v in el.build(units, owners)}
    assert set(voters) == {"p:7", "p:8", "j:7+8"}
    assert voters["j:7+8"].units == (2, 3) and voters["j:7+8"].area == 140
    # The joint head's voice: the representative of its first unit (1-102), where none is marked,
    # is the first co-owner recorded (7) — never the lowest id by chance.
    assert voters["j:7+8"].person == 7
    assert voters["p:7"].units == (1,) and voters["p:8"].units == (4,)
    # Old data with two marks: the first recorded speaks.
    two = el.build([el.UnitRecord(9, "2-101", 90)], [el.OwnerRecord(9, 31, True), el.OwnerRecord(9, 30, True)])
    assert two[0].person == 31
    # Many co-owners: the key stays within 40 characters and stable.
    many = el.owner_key(range(100000, 100010))
    assert len(many) <= 40 and many == el.owner_key(reversed(range(100000, 100010)))


def test_aggregate_and_totals_are_exact():
    e = {"a": Fraction("0.1"), "b": Fraction("0.2"), "c": Fraction(1, 3)}
    assert total_of(e.values()).area == Fraction(3, 10) + Fraction(1, 3)
    agg = aggregate(e, {"a": "agree", "b": "agree", "c": "agree"})
    assert agg["agree"].area == Fraction(19, 30) and agg["agree"].heads == 3


# ---------------------------------------------------------------- property: engine = brute force

def reference(rule, options, electorate, ballots) -> bool:
    """Written separately from the engine: counts by looping over voters, compares with Python's
    own Fraction operators in the most literal way."""
    total_heads = len(electorate)
    total_area = sum(electorate.values(), Fraction(0))
    voted = {k: c for k, c in ballots.items()}

    def ok(threshold, part, whole):
        if threshold is None:
            return True
        if whole == 0:
            return False
        ratio = Fraction(part) / Fraction(whole)
        return ratio >= threshold.fraction if threshold.inclusive else ratio > threshold.fraction

    # Turnout by real participation only, before anyone follows the majority.
    real_area = sum((electorate[k] for k in voted), Fraction(0))
    if not (ok(rule.turnout_area, real_area, total_area) and ok(rule.turnout_heads, len(voted), total_heads)):
        return False
    if rule.non_voters_follow_majority:
        tallies = {}
        for o in options:
            if o.kind == "abstain":
                continue
            tallies[o.code] = (sum(1 for c in voted.values() if c == o.code),
                               sum((electorate[k] for k, c in voted.items() if c == o.code), Fraction(0)))
        leaders = [code for code, (h, a) in tallies.items()
                   if h > 0 and all(h > h2 and a > a2 for c2, (h2, a2) in tallies.items() if c2 != code)]
        if leaders:
            for k in electorate:
                voted.setdefault(k, leaders[0])
    part_heads = len(voted)
    part_area = sum((electorate[k] for k in voted), Fraction(0))
    winners = 0
    for o in options:
        if o.kind != "approve":
            continue
        heads = sum(1 for c in voted.values() if c == o.code)
        area = sum((electorate[k] for k, c in voted.items() if c == o.code), Fraction(0))
        if ok(rule.approval_area, area, part_area) and ok(rule.approval_heads, heads, part_heads):
            winners += 1
    return winners == 1


thresholds = st.one_of(st.none(), st.builds(
    lambda n, d, inc: [f"{min(n, d)}/{d}", inc], st.integers(1, 6), st.integers(1, 6), st.booleans()))
rule_sets = st.one_of(
    st.sampled_from(["art278_ordinary", "art278_major", "simple_majority"]).flatmap(
        lambda code: st.booleans().map(lambda f: rules.build(code, non_voters_follow_majority=f))),
    st.builds(lambda q: rules.build("representatives", {"quorum": q}), thresholds.filter(lambda t: t is not None)),
    st.tuples(thresholds, thresholds, thresholds, thresholds, st.booleans()).filter(
        lambda t: t[2] is not None or t[3] is not None).map(
        lambda t: rules.build("custom", {"turnout_area": t[0], "turnout_heads": t[1], "approval_area": t[2],
                                         "approval_heads": t[3]}, non_voters_follow_majority=t[4])),
)


@st.composite
def elections(draw):
    n = draw(st.integers(1, 12))
    # Small integer areas make exact ties (and so the boundaries) common.
    areas = draw(st.lists(st.integers(0, 4).map(lambda x: Fraction(x * 25, 2)), min_size=n, max_size=n))
    electorate = {f"v{i}": a for i, a in enumerate(areas)}
    choices = st.sampled_from(["agree", "disagree", "abstain", SPOILED, None])
    picks = draw(st.lists(choices, min_size=n, max_size=n))
    ballots = {k: c for k, c in zip(electorate, picks) if c is not None}
    return electorate, ballots


@settings(max_examples=400, deadline=None)
@given(rule_sets, elections())
def test_engine_matches_brute_force(rule, election):
    electorate, ballots = election
    result = tally_ballots(rule, DEFAULT_OPTIONS, electorate, ballots)
    assert result["passed"] == reference(rule, DEFAULT_OPTIONS, electorate, ballots)
    assert result["voted"]["heads"] == len(ballots)
    assert explain(result, zh)[-1] in ("→ 通过", "→ 未通过")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.booleans(), st.integers(1, 500)), min_size=1, max_size=15),
       st.lists(st.tuples(st.integers(0, 14), st.integers(1, 5), st.booleans()), max_size=20))
def test_counting_matches_brute_force(unit_specs, owner_specs):
    units = [el.UnitRecord(i, f"u{i}", Fraction(area, 100), unsold) for i, (_, unsold, area) in enumerate(unit_specs)]
    owners = [el.OwnerRecord(u % len(units), p, rep) for u, p, rep in owner_specs]
    voters = el.build(units, owners)
    # Reference: every unit goes to exactly one head; total area is kept; heads are the distinct
    # representatives, plus one developer if any unit is unsold, plus each unowned unit.
    assert sorted(u for v in voters for u in v.units) == sorted(u.id for u in units)
    assert sum(v.area for v in voters) == sum(Fraction(u.area) for u in units)
    owned = {}
    for o in owners:
        owned.setdefault(o.unit, []).append(o)
    # Heads are the distinct SETS of owners (a joint unit is not its co-owner's sole unit).
    buyers = set()
    for u in units:
        if u.developer_unsold or u.id not in owned:
            continue
        buyers.add(frozenset(o.person for o in owned[u.id]))
    expected = len(buyers) + any(u.developer_unsold for u in units) + sum(
        1 for u in units if not u.developer_unsold and u.id not in owned)
    assert len(voters) == expected
