"""Shared by the vote use cases: loading a vote for a principal, its options and rule set, the
server secret behind voting links, and the tally read from the database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from council.accounts.principal import Principal
from council.core.errors import Conflict, Forbidden, NotFound, OutOfScope
from council.core.locking import expect_version
from council.votes import policy, rules
from council.votes.tables import Vote, VoteBallot, VoteSecretCount, VoteVoter
from council.votes.tally import SPOILED, Count, OptionDef, aggregate, tally, total_of

STATES = ("draft", "open", "closed")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@lru_cache(maxsize=1)
def secret_key() -> str:
    from council.settings import load_settings

    return load_settings().secret_key


def centi(area: Any) -> int:
    """m² (Decimal, or a float that SQLite handed back for a NUMERIC column) → integer hundredths."""
    return int((Decimal(str(area)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def area_text(area_centi: int) -> str:
    return f"{Decimal(area_centi) / 100:.2f}"


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def options_of(row: dict) -> list[OptionDef]:
    return [OptionDef(o["code"], o["label"], o.get("kind", "approve")) for o in as_json(row["options"]) or []]


def rule_of(row: dict) -> rules.RuleSet:
    frozen = as_json(row.get("rules_frozen"))
    if frozen:
        return rules.from_json(frozen)
    return rules.build(row["rule_set"], as_json(row["rule_params"]) or {},
                       non_voters_follow_majority=bool(row["non_voters_follow_majority"]))


async def get_vote(vote_id: int) -> dict:
    row = await Vote.select().where(Vote.id == vote_id).first()
    if row is None:
        raise NotFound()
    return row


async def load_vote(principal: Principal, vote_id: int, check=policy.can_view) -> dict:
    """The vote, if `check` lets this principal at it (NotFound first, then Forbidden)."""
    row = await get_vote(vote_id)
    if not check(principal, row["station"]):
        if not policy.can_view(principal, row["station"]):
            raise OutOfScope()
        raise Forbidden()
    return row


def N_(msgid: str) -> str:
    return msgid


# Why an action is refused, by the state the vote is in.
NOT_NOW = {"draft": N_("This vote has not been opened yet."), "open": N_("This vote is still open."),
           "closed": N_("This vote is closed.")}


def require_state(row: dict, *states: str) -> None:
    state = row["state"]
    if state not in states:
        why = NOT_NOW[state]
        raise Conflict(why)


async def set_vote(row: dict, values: dict) -> dict:
    """Write with an optimistic version check: two people opening or closing one vote cannot both win."""
    done = await Vote.update({**{getattr(Vote, k): v for k, v in values.items()}, Vote.version: row["version"] + 1}).where(
        (Vote.id == row["id"]) & (Vote.version == row["version"])).returning(Vote.id)
    if not done:
        raise Conflict("Someone else changed this vote after you opened it. Reload to see their changes.")
    return {**row, **values, "version": row["version"] + 1}


def check_version(row: dict, version: Any) -> None:
    expect_version(row, version, "Someone else changed this vote after you opened it. Reload to see their changes.")


async def current_tally(row: dict) -> dict:
    """The tally of the ballots so far (or final, at close), from the frozen electorate."""
    voters = await VoteVoter.select(VoteVoter.id, VoteVoter.area_centi).where(VoteVoter.vote == row["id"])
    electorate = {v["id"]: Fraction(v["area_centi"], 100) for v in voters}
    options = options_of(row)
    if row["secret"]:
        counts = {c["choice"]: Count(c["heads"], Fraction(c["area_centi"], 100))
                  for c in await VoteSecretCount.select().where(VoteSecretCount.vote == row["id"]) if c["heads"]}
        return tally(rule_of(row), options, total_of(electorate.values()), counts)
    ballots = {b["voter"]: b["choice"] for b in await VoteBallot.select(VoteBallot.voter, VoteBallot.choice).where(
        VoteBallot.vote == row["id"])}
    return tally(rule_of(row), options, total_of(electorate.values()), aggregate(electorate, ballots))


__all__ = ["now", "secret_key", "centi", "area_text", "options_of", "rule_of", "get_vote", "load_vote",
           "require_state", "set_vote", "check_version", "current_tally", "SPOILED", "STATES"]
