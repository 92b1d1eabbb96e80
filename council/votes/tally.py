"""The tally: turnout and approval by area and by headcount against a rule set's thresholds, and
the verdict with its reasons. Pure: no web or database imports. Exact fractions, never floats.

- Abstentions and spoiled ballots are participation: they count in the turnout and in the
  participating base that approval is measured against, and never as agreement.
- With several options (e.g. plan A / plan B / against / abstain), each option of kind
  "approve" is measured on its own; the vote passes when turnout is met and exactly one approve
  option meets every approval threshold.
- "Non-voters follow the majority" (a setting, off by default): turnout is checked on those who
  really took part first, and only then, if it is met, owners who did not vote are counted as
  participating, on the side of the option that leads among those who voted by BOTH area and
  headcount; with no such option (a tie, or area and heads disagree), or with turnout not met by
  real participation, nobody is added and the reasons say so.

The result is plain JSON-able data, frozen into the vote at close; `explain` turns it into words
in the reader's language (e.g. 参与表决面积占比 68.2% ≥ 2/3 … 同意人数占参与表决人数 74.9% < 3/4 → 未通过).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Mapping, Sequence

from council.votes.rules import RuleSet, Threshold

SPOILED = "spoiled"
APPROVE, REJECT, ABSTAIN = "approve", "reject", "abstain"
OPTION_KINDS = (APPROVE, REJECT, ABSTAIN)


@dataclass(frozen=True)
class OptionDef:
    code: str
    label: str
    kind: str = APPROVE


def N_(msgid: str) -> str:
    return msgid


DEFAULT_OPTIONS = (
    OptionDef("agree", N_("Agree"), APPROVE),
    OptionDef("disagree", N_("Disagree"), REJECT),
    OptionDef("abstain", N_("Abstain"), ABSTAIN),
)


@dataclass
class Count:
    heads: int = 0
    area: Fraction = Fraction(0)

    def add(self, heads: int, area: Fraction) -> None:
        self.heads += heads
        self.area += area


def frac(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def unfrac(text: str) -> Fraction:
    return Fraction(text)


def aggregate(electorate: Mapping[str, Fraction], ballots: Mapping[str, str]) -> dict[str, Count]:
    """Per choice (an option code or SPOILED): heads and area of the voters who chose it.
    Area sums run on integers over one common denominator: exact, and fast for 5,000 units."""
    denominators: dict[str, int] = {}
    numerators: dict[str, int] = {}
    heads: dict[str, int] = {}
    for key, choice in ballots.items():
        area = electorate[key]  # KeyError: a ballot from outside the electorate is a bug upstream
        heads[choice] = heads.get(choice, 0) + 1
        d = denominators.setdefault(choice, 1)
        if area.denominator != d:
            from math import lcm

            new = lcm(d, area.denominator)
            numerators[choice] = numerators.get(choice, 0) * (new // d)
            denominators[choice] = d = new
        numerators[choice] = numerators.get(choice, 0) + area.numerator * (d // area.denominator)
    return {c: Count(heads[c], Fraction(numerators[c], denominators[c])) for c in heads}


def total_of(areas: Iterable[Fraction]) -> Count:
    count, num, den = 0, 0, 1
    from math import lcm

    for a in areas:
        count += 1
        if a.denominator != den:
            new = lcm(den, a.denominator)
            num *= new // den
            den = new
        num += a.numerator * (den // a.denominator)
    return Count(count, Fraction(num, den))


def _check(what: str, part: Fraction | int, whole: Fraction | int, threshold: Threshold,
           option: OptionDef | None = None) -> dict:
    return {
        "what": what, "option": option.code if option else None, "option_label": option.label if option else None,
        "part": frac(Fraction(part)), "whole": frac(Fraction(whole)),
        "threshold": frac(threshold.fraction), "inclusive": threshold.inclusive,
        "met": threshold.met(part, whole),
    }


def _majority(options: Sequence[OptionDef], counts: Mapping[str, Count]) -> OptionDef | None:
    """The option that leads strictly by heads AND by area among those voting for or against."""
    voting = [o for o in options if o.kind != ABSTAIN]
    if not voting:
        return None
    by_heads = sorted(voting, key=lambda o: counts.get(o.code, Count()).heads, reverse=True)
    by_area = sorted(voting, key=lambda o: counts.get(o.code, Count()).area, reverse=True)
    lead = by_heads[0]
    c = counts.get(lead.code, Count())
    if c.heads == 0 or by_area[0] is not lead:
        return None
    others = [counts.get(o.code, Count()) for o in voting if o is not lead]
    if any(x.heads >= c.heads or x.area >= c.area for x in others):
        return None
    return lead


def tally(rule: RuleSet, options: Sequence[OptionDef], electorate_total: Count,
          counts: Mapping[str, Count]) -> dict:
    """The result as JSON-able data. `counts` holds per-choice heads and area (see `aggregate`)."""
    codes = {o.code for o in options}
    unknown = set(counts) - codes - {SPOILED}
    if unknown:
        raise ValueError(f"ballots for unknown options: {sorted(unknown)}")
    counts = {c: Count(v.heads, v.area) for c, v in counts.items()}
    voted = Count()
    for v in counts.values():
        voted.add(v.heads, v.area)
    if voted.heads > electorate_total.heads or voted.area > electorate_total.area:
        raise ValueError("more participation than electorate")
    # Turnout is met by those who really took part, before anyone is counted with the majority
    # (Art. 278 para. 2: owners holding 2/3 of the area and 2/3 of the heads "参与表决").
    checks = []
    if rule.turnout_area:
        checks.append(_check("turnout_area", voted.area, electorate_total.area, rule.turnout_area))
    if rule.turnout_heads:
        checks.append(_check("turnout_heads", voted.heads, electorate_total.heads, rule.turnout_heads))
    turnout_met = all(c["met"] for c in checks)
    followed = None
    if rule.non_voters_follow_majority:
        lead = _majority(options, counts)
        missing = Count(electorate_total.heads - voted.heads, electorate_total.area - voted.area)
        followed = {"applied": turnout_met and lead is not None and missing.heads > 0,
                    "option": lead.code if lead else None, "option_label": lead.label if lead else None,
                    "heads": missing.heads, "area": frac(missing.area), "turnout_met": turnout_met}
        if followed["applied"]:
            counts.setdefault(lead.code, Count()).add(missing.heads, missing.area)
    participating = Count()
    for v in counts.values():
        participating.add(v.heads, v.area)
    winners = []
    for o in options:
        if o.kind != APPROVE:
            continue
        mine = counts.get(o.code, Count())
        own = []
        if rule.approval_area:
            own.append(_check("approval_area", mine.area, participating.area, rule.approval_area, o))
        if rule.approval_heads:
            own.append(_check("approval_heads", mine.heads, participating.heads, rule.approval_heads, o))
        checks += own
        if own and all(c["met"] for c in own):
            winners.append(o.code)
    passed = turnout_met and len(winners) == 1
    return {
        "rule_set": rule.to_json(),
        "electorate": {"heads": electorate_total.heads, "area": frac(electorate_total.area)},
        "voted": {"heads": voted.heads, "area": frac(voted.area)},
        "participating": {"heads": participating.heads, "area": frac(participating.area)},
        "options": [{"code": o.code, "label": o.label, "kind": o.kind,
                     "heads": counts.get(o.code, Count()).heads, "area": frac(counts.get(o.code, Count()).area)}
                    for o in options],
        "spoiled": {"heads": counts.get(SPOILED, Count()).heads, "area": frac(counts.get(SPOILED, Count()).area)},
        "followed_majority": followed,
        "checks": checks,
        "turnout_met": turnout_met,
        "winners": winners,
        "winner": winners[0] if passed else None,
        "passed": passed,
    }


def tally_ballots(rule: RuleSet, options: Sequence[OptionDef], electorate: Mapping[str, Fraction],
                  ballots: Mapping[str, str]) -> dict:
    """Tally per-voter choices: electorate maps voter key → area, ballots voter key → choice."""
    return tally(rule, options, total_of(electorate.values()), aggregate(electorate, ballots))


# ---------------------------------------------------------------- words

def percent(value: Fraction, bound: Fraction | None = None) -> str:
    """68.2% (rounded half up). Where one decimal would read the same as the bound while the exact
    value differs (66.7% vs 2/3), more decimals are shown so the words never contradict the verdict."""
    for places in (1, 2, 3, 4, 6):
        shown = _round(value * 100, places)
        if bound is None or value == bound or shown != _round(bound * 100, places):
            return f"{shown}%"
    return f"{shown}%"


def _round(x: Fraction, places: int) -> str:
    scale = 10 ** places
    n = (x * scale * 2 + 1) // 2  # half up, exact
    whole, part = divmod(int(n), scale)
    return f"{whole}.{part:0{places}d}"


PHRASES = {
    "turnout_area": N_("Participating area %(pct)s %(op)s %(bound)s"),
    "turnout_heads": N_("Participating headcount %(pct)s %(op)s %(bound)s"),
    "approval_area": N_("Agreeing area of the participating area %(pct)s %(op)s %(bound)s"),
    "approval_heads": N_("Agreeing headcount of the participating headcount %(pct)s %(op)s %(bound)s"),
}
OPTION_PHRASES = {
    "approval_area": N_("Area for “%(option)s” of the participating area %(pct)s %(op)s %(bound)s"),
    "approval_heads": N_("Headcount for “%(option)s” of the participating headcount %(pct)s %(op)s %(bound)s"),
}


def operator(check: dict) -> str:
    if check["met"]:
        return "≥" if check["inclusive"] else ">"
    return "<" if check["inclusive"] else "≤"


def check_words(check: dict, _: Callable = lambda s, **k: s % k if k else s, *, default_options: bool = True) -> str:
    whole = unfrac(check["whole"])
    value = unfrac(check["part"]) / whole if whole else Fraction(0)
    bound = unfrac(check["threshold"])
    params = {"pct": percent(value, bound), "op": operator(check), "bound": check["threshold"]}
    if check["option"] and not default_options:
        phrase = OPTION_PHRASES[check["what"]]
        label = check["option_label"]
        return _(phrase, option=_(label), **params)
    phrase = PHRASES[check["what"]]
    return _(phrase, **params)


def explain(result: dict, _: Callable = lambda s, **k: s % k if k else s) -> list[str]:
    """The reasons, one line per threshold, then the verdict: "… → 未通过"."""
    default_options = [o["code"] for o in result["options"] if o["kind"] == APPROVE] == ["agree"]
    lines = [check_words(c, _, default_options=default_options) for c in result["checks"]]
    followed = result.get("followed_majority")
    if followed:
        if followed["applied"]:
            label = followed["option_label"]
            lines.insert(0, _("Non-voters counted with the majority (“%(option)s”): %(heads)s heads",
                              option=_(label), heads=followed["heads"]))
        elif followed.get("turnout_met") is False:
            lines.insert(0, _("Non-voters were not counted: turnout must first be met by those who took part"))
        else:
            lines.insert(0, _("Non-voters were not counted: no option led by both area and headcount"))
    if len(result["winners"]) > 1:
        lines.append(_("More than one option met the thresholds"))
    lines.append("→ " + (_("Passed") if result["passed"] else _("Failed")))
    return lines


def summary(result: dict, _: Callable = lambda s, **k: s % k if k else s) -> str:
    """The reasons on one line, as the notice and the case timeline show them."""
    lines = explain(result, _)
    return _("; ").join(lines[:-1]) + " " + lines[-1] if len(lines) > 1 else lines[0]


class _Msgid(str):
    """A msgid `explain` asked to translate without parameters (an option label, a fixed line)."""


def _record(msgid: str, **params):
    if not params:
        return _Msgid(msgid)
    return {"msgid": str(msgid), "params": {k: {"msgid": str(v)} if isinstance(v, _Msgid) else v
                                            for k, v in params.items()}}


def reason_records(result: dict) -> list[dict]:
    """The reasons of `explain` (without the verdict line) as data to translate later, for the
    case timeline, which is read in either language: [{"msgid", "params"}], where a parameter
    that is itself a msgid (an option's label) is {"msgid": …}. The template translates them."""
    lines = explain(result, _record)[:-1]
    return [line if isinstance(line, dict) else {"msgid": str(line), "params": {}} for line in lines]


def render_records(records: list[dict], tr: Callable = lambda s, **k: s % k if k else s) -> list[str]:
    """`reason_records` back into words in the reader's language (what the template does)."""
    out = []
    for r in records:
        params = {k: tr(v["msgid"]) if isinstance(v, dict) else v for k, v in (r.get("params") or {}).items()}
        out.append(tr(r["msgid"], **params) if params else tr(r["msgid"]))
    return out
