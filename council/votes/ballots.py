"""Use cases of ballots: cast online through a voting link, cast as a signed-in resident, enter a
paper or meeting ballot at the station, correct a ballot before close.

One ballot per voter is the database's job (UNIQUE vote+voter): two submissions racing for one
voter both try to INSERT, one wins, the other's transaction fails and rolls back whole, and the
loser gets a clear error. There is no check-then-insert to race past.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import VOTING_LINK, Principal
from council.audit import service as audit
from council.core.errors import Conflict, Forbidden, Invalid, NotFound
from council.votes import batching, conduct, policy, tokens
from council.votes.common import check_version, get_vote, load_vote, now, options_of, require_state
from council.votes.tables import Vote, VoteBallot, VoteSecretCount, VoteVoter
from council.votes.tally import SPOILED

FIX = "Please correct the marked fields."
CHANNELS = ("online", "paper", "meeting")
LINK_USED = "This voting link has already been used: the ballot for this household is counted."
ALREADY = "This voter has already voted. To change an open ballot before closing, correct it."


def _choice(row: dict, choice: Any, *, allow_spoiled: bool) -> str:
    codes = {o.code for o in options_of(row)}
    choice = str(choice or "").strip()
    if choice == SPOILED and allow_spoiled:
        return choice
    if choice not in codes:
        raise Invalid(FIX, errors={"choice": "Choose one of the listed options."})
    return choice


def _open_now(row: dict) -> None:
    require_state(row, "open")
    moment = now()
    if row["opens_at"] and moment < row["opens_at"]:
        raise Conflict("Voting has not started yet.")
    if row["closes_at"] and moment > row["closes_at"]:
        raise Conflict("Voting has ended.")


async def _insert(row: dict, voter: dict, choice: str, *, channel: str, entered_by: int | None = None,
                  form_ref: str = "", proxy_name: str = "", proxy_authorisation: str = "",
                  received_on: dt.date | None = None) -> int:
    """Inside the caller's transaction: the ballot row, then (secret) the option's running total."""
    secret = bool(row["secret"])
    ballot = (await VoteBallot.insert(VoteBallot(
        vote=row["id"], voter=voter["id"], choice=None if secret else choice, channel=channel,
        entered_by=entered_by, form_ref=form_ref, proxy_name=proxy_name, proxy_authorisation=proxy_authorisation,
        cast_at=now(), received_on=received_on,
    )).returning(VoteBallot.id))[0]["id"]
    if secret:
        await db.raw('UPDATE "vote_secret_count" SET "heads" = "heads" + 1, "area_centi" = "area_centi" + {} '
                     'WHERE "vote" = {} AND "choice" = {}', voter["area_centi"], row["id"], choice)
    return ballot


def _what(row: dict, choice: str) -> dict:
    """What the audit log may say about a choice: nothing at all for a secret ballot."""
    return {} if row["secret"] else {"choice": choice}


async def cast_online(token: str, choice: Any, ip: str = "") -> dict:
    """A ballot through a voting link (no account). Returns the vote and voter it was for.

    On SQLite concurrent link ballots share one commit (council.votes.batching); the answer comes
    only once the ballot is committed."""
    token = (token or "").strip()
    if not tokens.looks_like_token(token):
        raise NotFound("This voting link is not valid.")
    token_hash = tokens.hash_token(token)

    async def work() -> dict:
        try:
            voter = await VoteVoter.select().where(VoteVoter.token_hash == token_hash).first()
            if voter is None:
                raise NotFound("This voting link is not valid.")
            row = await get_vote(voter["vote"])
            _open_now(row)
            picked = _choice(row, choice, allow_spoiled=False)
            ballot_id = await _insert(row, voter, picked, channel="online")
            await audit.record(VOTING_LINK, "vote.ballot", entity_type="vote", entity_id=row["id"],
                               after={"voter": voter["id"], "channel": "online", "ballot": ballot_id,
                                      **_what(row, picked)},
                               station_id=row["station"], ip=ip)
        except Exception as e:
            if db.is_unique_violation(e):
                raise Conflict(LINK_USED) from None
            raise
        return {"vote": row, "voter": voter, "ballot": ballot_id}

    return await batching.run_batched(work)


async def voter_for_token(token: str) -> tuple[dict, dict, dict | None]:
    """The vote, the voter and their ballot (if any) behind a link: for the voting page."""
    token = (token or "").strip()
    voter = None
    if tokens.looks_like_token(token):
        voter = await VoteVoter.select().where(VoteVoter.token_hash == tokens.hash_token(token)).first()
    if voter is None:
        raise NotFound("This voting link is not valid.")
    row = await get_vote(voter["vote"])
    ballot = await VoteBallot.select(VoteBallot.id, VoteBallot.cast_at, VoteBallot.channel).where(
        (VoteBallot.vote == row["id"]) & (VoteBallot.voter == voter["id"])).first()
    return row, voter, ballot


async def resident_voter(principal: Principal, vote_id: int) -> tuple[dict, dict]:
    """The signed-in owner's head in this vote. Co-owners vote through their representative."""
    if principal.role != Role.resident or not principal.person_id:
        raise Forbidden()
    row = await get_vote(vote_id)
    if row["community"] not in principal.community_ids or row["state"] == "draft":
        raise NotFound()
    # One person may speak for several heads (units they own alone, and a joint head whose
    # representative they are): the next head without a ballot, else the first.
    mine = await VoteVoter.select().where((VoteVoter.vote == vote_id) & (VoteVoter.person == principal.person_id)).order_by(
        VoteVoter.id)
    voter = mine[0] if mine else None
    if len(mine) > 1:
        cast = {b["voter"] for b in await VoteBallot.select(VoteBallot.voter).where(
            (VoteBallot.vote == vote_id) & VoteBallot.voter.is_in([m["id"] for m in mine]))}
        voter = next((m for m in mine if m["id"] not in cast), mine[0])
    if voter is None:
        raise Forbidden("You are not on this vote's list of voters (co-owners vote through their representative).")
    return row, voter


async def cast_as_resident(principal: Principal, vote_id: int, choice: Any, ip: str = "") -> int:
    try:
        async with db.write():
            row, voter = await resident_voter(principal, vote_id)
            _open_now(row)
            choice = _choice(row, choice, allow_spoiled=False)
            ballot_id = await _insert(row, voter, choice, channel="online")
            await audit.record(principal, "vote.ballot", entity_type="vote", entity_id=vote_id,
                               after={"voter": voter["id"], "channel": "online", "ballot": ballot_id, **_what(row, choice)},
                               station_id=row["station"], ip=ip)
            return ballot_id
    except Exception as e:
        if db.is_unique_violation(e):
            raise Conflict("You have already voted on this question.") from None
        raise


async def find_voter(vote_id: int, *, voter_id: Any = None, unit_number: str = "") -> dict:
    """A voter of this vote by id, or by one of their unit numbers (as on the paper form)."""
    if str(voter_id or "").strip().isdigit():
        voter = await VoteVoter.select().where((VoteVoter.vote == vote_id) & (VoteVoter.id == int(voter_id))).first()
        if voter:
            return voter
        raise Invalid(FIX, errors={"voter": "Choose one of the listed options."})
    number = (unit_number or "").strip()
    if not number:
        raise Invalid(FIX, errors={"unit_number": "This field is required."})
    # unit_numbers holds "1-101 1-102": match one whole number, not a prefix of another.
    for v in await VoteVoter.select().where((VoteVoter.vote == vote_id) & db.contains(VoteVoter.unit_numbers, number)):
        if number in v["unit_numbers"].split(" "):
            return v
    raise Invalid(FIX, errors={"unit_number": "No voter of this vote holds that unit."})


def _received(raw: Any, errors: dict) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        errors["received_on"] = "Enter a date like 2026-11-30."
        return None


def _period_days(row: dict) -> tuple[dt.date, dt.date | None]:
    """The voting period in local days: from the announced opening (else the moment it opened)
    to the announced end (none announced: open-ended)."""
    from council.cases.calendar_store import LOCAL

    start = row["opens_at"] or row["opened_at"]
    return start.astimezone(LOCAL).date(), row["closes_at"].astimezone(LOCAL).date() if row["closes_at"] else None


async def enter_ballot(principal: Principal, vote_id: int, *, choice: Any, channel: str = "paper", voter_id: Any = None,
                       unit_number: str = "", form_ref: str = "", proxy_name: str = "", proxy_authorisation: str = "",
                       received_on: Any = None, ip: str = "") -> int:
    """A paper (written) or meeting ballot entered by staff for one voter, with who entered it, the
    form's reference and the day the station received it, which must lie inside the voting period
    (council.votes.conduct). A meeting ballot is dated the day it is entered unless told. A proxy
    needs a recorded written authorisation."""
    errors = {}
    received = _received(received_on, errors)
    if channel not in ("paper", "meeting"):
        errors["channel"] = "Choose one of the listed options."
    form_ref, proxy_name, proxy_authorisation = (str(x or "").strip() for x in (form_ref, proxy_name, proxy_authorisation))
    if channel == "paper" and not form_ref:
        errors["form_ref"] = "Enter the number printed on the paper form."
    if proxy_name and not proxy_authorisation:
        errors["proxy_authorisation"] = "A proxy needs a written authorisation: enter its reference."
    if proxy_authorisation and not proxy_name:
        errors["proxy_name"] = "Enter who voted as proxy."
    if errors:
        raise Invalid(FIX, errors=errors)
    try:
        async with db.write():
            from council.cases.calendar_store import today

            row = await load_vote(principal, vote_id, policy.can_enter)
            require_state(row, "open")
            choice = _choice(row, choice, allow_spoiled=True)
            on = today()
            if channel == "meeting" and received is None:
                received_day = on
            else:
                received_day = received
            why = conduct.received_refusal(received_day, *_period_days(row), on)
            if why:
                raise Invalid(FIX, errors={"received_on": why})
            voter = await find_voter(vote_id, voter_id=voter_id, unit_number=unit_number)
            ballot_id = await _insert(row, voter, choice, channel=channel, entered_by=principal.user_id or None,
                                      form_ref=form_ref[:60], proxy_name=proxy_name[:100],
                                      proxy_authorisation=proxy_authorisation[:100], received_on=received_day)
            await audit.record(principal, "vote.ballot_entered", entity_type="vote", entity_id=vote_id,
                               after={"voter": voter["id"], "units": voter["unit_numbers"], "channel": channel,
                                      "form_ref": form_ref, "proxy": proxy_name, "authorisation": proxy_authorisation,
                                      "received_on": received_day, "ballot": ballot_id, **_what(row, choice)},
                               station_id=row["station"], ip=ip)
            return ballot_id
    except Exception as e:
        if db.is_unique_violation(e):
            raise Conflict(ALREADY) from None
        raise


async def correct_ballot(principal: Principal, vote_id: int, ballot_id: Any, *, choice: Any, reason: str,
                         version: Any = None, ip: str = "") -> None:
    """Change a staff-entered ballot's choice before the vote closes (e.g. a form mis-keyed), with a
    reason, audited before → after, and counted on the ballot (the notice prints the count). A
    ballot the owner cast (link or account) is never changed by staff. A secret ballot cannot be
    corrected: nothing links it to its choice."""
    if not str(ballot_id or "").strip().isdigit():
        raise Invalid(FIX, errors={"ballot": "Choose one of the listed options."})
    if not (reason or "").strip():
        raise Invalid(FIX, errors={"reason": "Give a reason for this action."})
    async with db.write():
        row = await load_vote(principal, vote_id, policy.can_manage)
        require_state(row, "open")
        if row["secret"]:
            raise Conflict("A secret ballot cannot be changed once cast: nothing links it to the voter.")
        ballot = await VoteBallot.select().where((VoteBallot.id == int(ballot_id)) & (VoteBallot.vote == vote_id)).first()
        if ballot is None:
            raise Invalid(FIX, errors={"ballot": "Choose one of the listed options."})
        check_version(ballot, version)
        why = conduct.correction_refusal(ballot["channel"])
        if why:
            raise Conflict(why)
        choice = _choice(row, choice, allow_spoiled=True)
        if choice == ballot["choice"]:
            raise Invalid(FIX, errors={"choice": "This is already the ballot's choice."})
        done = await VoteBallot.update({VoteBallot.choice: choice, VoteBallot.version: ballot["version"] + 1,
                                        VoteBallot.corrections: ballot["corrections"] + 1}).where(
            (VoteBallot.id == ballot["id"]) & (VoteBallot.version == ballot["version"])).returning(VoteBallot.id)
        if not done:
            raise Conflict("Someone else changed this ballot after you opened it. Reload to see their changes.")
        await audit.record(principal, "vote.ballot_corrected", entity_type="vote", entity_id=vote_id,
                           before={"ballot": ballot["id"], "choice": ballot["choice"]},
                           after={"ballot": ballot["id"], "choice": choice, "reason": reason.strip(),
                                  "channel": ballot["channel"], "entered_by": ballot["entered_by"]},
                           station_id=row["station"], ip=ip)


__all__ = ["cast_online", "cast_as_resident", "enter_ballot", "correct_ballot", "voter_for_token", "resident_voter",
           "find_voter", "CHANNELS", "Vote", "VoteSecretCount"]
