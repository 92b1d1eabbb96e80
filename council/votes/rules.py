"""Rule sets for residents' votes (民事民决), as configuration. Pure: no web or database imports.

A rule set says how heads are counted (the electorate's counting mode) and which thresholds the
result must meet. Each threshold is an exact fraction with a bound that is either inclusive
("以上": at least, so exactly 2/3 or exactly 3/4 passes) or exclusive ("过半数": more than, so
exactly 1/2 fails). Civil Code Art. 278:

- turnout: owners holding ≥ 2/3 of the exclusive floor area AND ≥ 2/3 of the owner headcount take part;
- ordinary matters: > 1/2 of the participating area AND > 1/2 of the participating headcount agree;
- major matters (raising the maintenance fund, rebuilding/altering, changing the use of common
  parts, running a business on them): ≥ 3/4 of the participating area AND of the participating headcount.

Approval is always measured against those who took part (participating), never the whole electorate.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

# How the electorate counts heads (council.votes.electorate):
OWNERS = "owners"  # Art. 278: one owner = one head with the sum of their area; developer's unsold = one head
HOUSEHOLDS = "households"  # one unit = one household = one head
PERSONS = "persons"  # residents' representatives: one person, one vote, no area
COUNTINGS = (OWNERS, HOUSEHOLDS, PERSONS)


@dataclass(frozen=True)
class Threshold:
    fraction: Fraction
    inclusive: bool  # True: "at least" (≥, 以上); False: "more than" (>, 过半数)

    def met(self, part: Fraction | int, whole: Fraction | int) -> bool:
        """part / whole against the bound, in exact arithmetic. Nothing of nothing never passes."""
        if whole <= 0:
            return False
        # part/whole ≥ p/q  ⇔  part·q ≥ p·whole (whole > 0): no division, no rounding.
        left = Fraction(part) * self.fraction.denominator
        right = self.fraction.numerator * Fraction(whole)
        return left >= right if self.inclusive else left > right

    @property
    def symbol(self) -> str:
        return "≥" if self.inclusive else ">"

    def to_json(self) -> list:
        return [f"{self.fraction.numerator}/{self.fraction.denominator}", self.inclusive]

    @classmethod
    def from_json(cls, value: Any) -> "Threshold | None":
        if value in (None, "", []):
            return None
        text, inclusive = value
        return cls(parse_fraction(text), bool(inclusive))


def parse_fraction(text: Any) -> Fraction:
    """"2/3", "0.75", "75%" → an exact fraction in (0, 1]. ValueError otherwise."""
    raw = str(text).strip().replace("％", "%")
    try:
        value = Fraction(raw[:-1].strip()) / 100 if raw.endswith("%") else Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise ValueError("Enter a fraction like 2/3, 0.75 or 75%.") from None
    if not (0 < value <= 1):
        raise ValueError("Enter a fraction between 0 and 1.")
    return value


TWO_THIRDS = Threshold(Fraction(2, 3), True)
HALF_EXCLUSIVE = Threshold(Fraction(1, 2), False)
THREE_QUARTERS = Threshold(Fraction(3, 4), True)


@dataclass(frozen=True)
class RuleSet:
    code: str
    counting: str
    turnout_area: Threshold | None = None
    turnout_heads: Threshold | None = None
    approval_area: Threshold | None = None
    approval_heads: Threshold | None = None
    # Some estates' rules (议事规则) count owners who did not vote with the majority of those
    # who did. Off unless the vote says so.
    non_voters_follow_majority: bool = False
    params: dict = field(default_factory=dict, compare=False)

    def to_json(self) -> dict:
        return {
            "code": self.code, "counting": self.counting,
            "turnout_area": self.turnout_area.to_json() if self.turnout_area else None,
            "turnout_heads": self.turnout_heads.to_json() if self.turnout_heads else None,
            "approval_area": self.approval_area.to_json() if self.approval_area else None,
            "approval_heads": self.approval_heads.to_json() if self.approval_heads else None,
            "non_voters_follow_majority": self.non_voters_follow_majority,
        }


# The codes and their names (msgids) in the order the form offers them.
def N_(msgid: str) -> str:
    return msgid


RULE_SETS = (
    ("art278_ordinary", N_("Civil Code Art. 278 — ordinary matters")),
    ("art278_major", N_("Civil Code Art. 278 — major matters")),
    ("simple_majority", N_("Simple majority of participating households")),
    ("representatives", N_("Residents' representatives' meeting")),
    ("custom", N_("Custom thresholds")),
)
CODES = tuple(code for code, _ in RULE_SETS)
DEFAULT_QUORUM = Threshold(Fraction(2, 3), True)


def build(code: str, params: dict | None = None, *, non_voters_follow_majority: bool = False) -> RuleSet:
    """The rule set for a code; `params` carries the station's quorum (representatives) or the
    four custom thresholds, each as ["p/q", inclusive] or None."""
    params = dict(params or {})
    if code == "art278_ordinary":
        rule = RuleSet(code, OWNERS, TWO_THIRDS, TWO_THIRDS, HALF_EXCLUSIVE, HALF_EXCLUSIVE)
    elif code == "art278_major":
        rule = RuleSet(code, OWNERS, TWO_THIRDS, TWO_THIRDS, THREE_QUARTERS, THREE_QUARTERS)
    elif code == "simple_majority":
        # Community consultation on public matters: every household one voice, no turnout bar.
        rule = RuleSet(code, HOUSEHOLDS, approval_heads=HALF_EXCLUSIVE)
    elif code == "representatives":
        quorum = Threshold.from_json(params.get("quorum")) or DEFAULT_QUORUM
        rule = RuleSet(code, PERSONS, turnout_heads=quorum, approval_heads=HALF_EXCLUSIVE)
    elif code == "custom":
        counting = params.get("counting") or OWNERS
        if counting not in COUNTINGS:
            raise ValueError("Choose one of the listed options.")
        parts = {k: Threshold.from_json(params.get(k))
                 for k in ("turnout_area", "turnout_heads", "approval_area", "approval_heads")}
        if not (parts["approval_area"] or parts["approval_heads"]):
            raise ValueError("A custom rule set needs at least one approval threshold.")
        if counting == PERSONS and (parts["turnout_area"] or parts["approval_area"]):
            raise ValueError("A vote of persons has no floor area: leave the area thresholds empty.")
        rule = RuleSet(code, counting, **parts)
    else:
        raise ValueError("Choose one of the listed options.")
    return replace(rule, non_voters_follow_majority=non_voters_follow_majority, params=params)


def from_json(data: dict) -> RuleSet:
    """Rebuild a rule set frozen into a vote (its thresholds as they were when it opened)."""
    return RuleSet(
        code=data["code"], counting=data["counting"],
        turnout_area=Threshold.from_json(data.get("turnout_area")),
        turnout_heads=Threshold.from_json(data.get("turnout_heads")),
        approval_area=Threshold.from_json(data.get("approval_area")),
        approval_heads=Threshold.from_json(data.get("approval_heads")),
        non_voters_follow_majority=bool(data.get("non_voters_follow_majority")),
    )


# ---------------------------------------------------------------- the matter a vote decides

# Civil Code Art. 278 para. 1: the matters the owners decide together. Items 6–8 are the major
# ones (para. 2: ≥ 3/4 of the participating area and heads agree); the others need > 1/2.
MATTERS = (
    ("art278_1", N_("Art. 278 (1): make or amend the rules of procedure of the owners' assembly")),
    ("art278_2", N_("Art. 278 (2): make or amend the management rules")),
    ("art278_3", N_("Art. 278 (3): elect the owners' committee or replace its members")),
    ("art278_4", N_("Art. 278 (4): hire or dismiss the property service company or other manager")),
    ("art278_5", N_("Art. 278 (5): use the maintenance fund of the buildings and their facilities")),
    ("art278_6", N_("Art. 278 (6): raise the maintenance fund of the buildings and their facilities")),
    ("art278_7", N_("Art. 278 (7): rebuild or alter the buildings and their facilities")),
    ("art278_8", N_("Art. 278 (8): change the use of common parts or run a business on them")),
    ("art278_9", N_("Art. 278 (9): another major matter of common ownership and joint management")),
    ("community", N_("Another community matter, under the residents' committee's own rules")),
)
MATTER_CODES = tuple(code for code, _ in MATTERS)
ART278 = tuple(code for code in MATTER_CODES if code.startswith("art278_"))
MAJOR = ("art278_6", "art278_7", "art278_8")


def law_for(matter: str) -> RuleSet | None:
    """What Art. 278 para. 2 requires for a matter; None for a matter outside Art. 278."""
    if matter in MAJOR:
        return build("art278_major")
    if matter in ART278:
        return build("art278_ordinary")
    return None


def at_least_as_strict(mine: Threshold | None, law: Threshold | None) -> bool:
    """Whatever passes `mine` also passes `law`. None is no threshold at all (weakest). For the
    same fraction, "more than" is stricter than "at least": exactly the bound passes only the latter."""
    if law is None:
        return True
    if mine is None:
        return False
    if mine.fraction != law.fraction:
        return mine.fraction > law.fraction
    return law.inclusive or not mine.inclusive


WEAKER_ORDINARY = N_("This rule set is weaker than Civil Code Art. 278 para. 2 requires for this matter: owners "
                     "with at least 2/3 of the area and of the headcount take part, and more than half of the "
                     "participating area and headcount agree.")
WEAKER_MAJOR = N_("This rule set is weaker than Civil Code Art. 278 para. 2 requires for items 6 to 8: owners with "
                  "at least 2/3 of the area and of the headcount take part, and at least 3/4 of the participating "
                  "area and headcount agree.")
CUSTOM_ART278 = N_("Custom thresholds are only for matters outside Civil Code Art. 278: choose the Art. 278 rule set.")
FOLLOW_MAJOR = N_("Civil Code Art. 278 para. 2: raising the maintenance fund, rebuilding or altering, and changing "
                  "the use of common parts need the agreement of 3/4 of those who take part. Non-voters cannot be "
                  "counted with the majority for these matters.")
FOLLOW_CLAUSE = N_("Counting non-voters with the majority needs the clause of the estate's management rules "
                   "(管理规约) that allows it: enter the clause.")
NO_MATTER = N_("Say what the vote decides: an item of Civil Code Art. 278 para. 1, or another community matter.")


def check_matter(matter: str, rule: RuleSet, follow_clause: str = "") -> dict[str, str]:
    """Why this rule set may not decide this matter, per form field ({} when it may). The law's
    floor (Art. 278 para. 2) is compared threshold by threshold; heads must be counted as owners."""
    errors: dict[str, str] = {}
    if matter not in MATTER_CODES:
        return {"matter": NO_MATTER}
    law = law_for(matter)
    if law is not None:
        if rule.code == "custom":
            errors["rule_set"] = CUSTOM_ART278
        elif rule.counting != OWNERS or not all(
                at_least_as_strict(getattr(rule, name), getattr(law, name))
                for name in ("turnout_area", "turnout_heads", "approval_area", "approval_heads")):
            errors["rule_set"] = WEAKER_MAJOR if matter in MAJOR else WEAKER_ORDINARY
    if rule.non_voters_follow_majority:
        if matter in MAJOR:
            errors["non_voters_follow_majority"] = FOLLOW_MAJOR
        elif not follow_clause.strip():
            errors["follow_clause"] = FOLLOW_CLAUSE
    return errors

