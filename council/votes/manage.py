"""Use cases of a vote's life: create (draft), open (freeze the electorate), close (freeze the result
and feed it back to the proposal). Each validates, checks role and station, writes and audits in
ONE transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases.tables import Case
from council.core import scope
from council.core.errors import Conflict, Forbidden, Invalid
from council.notify import events as notify
from council.people.tables import Ownership, Person
from council.places.tables import Building, Unit
from council.stations.tables import Station, StationEstate
from council.votes import conduct, electorate, policy, rules, tokens
from council.votes.common import (
    as_json, centi, current_tally, get_vote, load_vote, now, options_of, require_state, rule_of, secret_key,
    set_vote, check_version,
)
from council.votes.tables import Vote, VoteBallot, VoteSecretCount, VoteVoter
from council.votes.tally import ABSTAIN, APPROVE, DEFAULT_OPTIONS, REJECT, SPOILED, N_

FIX = "Please correct the marked fields."
MAX_NOTICE_DAYS = 90


def _options(lines: Any) -> list[dict]:
    """No lines: agree / disagree / abstain. Lines: each a plan to choose (approve), followed by
    "none of these" and "abstain", so an owner can always say no or abstain."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    labels = [str(x).strip()[:100] for x in (lines or []) if str(x).strip()]
    if not labels:
        return [{"code": o.code, "label": o.label, "kind": o.kind} for o in DEFAULT_OPTIONS]
    if len(set(labels)) != len(labels):
        raise Invalid(FIX, errors={"options": "Each option must be different."})
    if len(labels) > 10:
        raise Invalid(FIX, errors={"options": "At most 10 options."})
    out = [{"code": f"o{i}", "label": label, "kind": APPROVE} for i, label in enumerate(labels, 1)]
    if len(labels) == 1:
        out[0]["code"] = "agree"
        out.append({"code": "disagree", "label": N_("Disagree"), "kind": REJECT})
    else:
        out.append({"code": "none", "label": N_("None of these"), "kind": REJECT})
    out.append({"code": "abstain", "label": N_("Abstain"), "kind": ABSTAIN})
    return out


def _when(raw: Any, field: str, errors: dict) -> dt.datetime | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        value = raw
    else:
        try:
            value = dt.datetime.fromisoformat(str(raw).strip())
        except ValueError:
            errors[field] = "Enter a date and time like 2026-11-30 18:00."
            return None
    if value.tzinfo is None:
        from council.cases.calendar_store import LOCAL

        value = value.replace(tzinfo=LOCAL)
    return value.astimezone(dt.timezone.utc)


def _threshold(params: dict, name: str, errors: dict) -> list | None:
    raw = params.get(name)
    if raw in (None, "", []):
        return None
    text, inclusive = (raw if isinstance(raw, (list, tuple)) else (raw, True))
    if str(text).strip() == "":
        return None
    try:
        value = rules.parse_fraction(text)
    except ValueError as e:
        errors[name] = str(e)
        return None
    return [f"{value.numerator}/{value.denominator}", bool(inclusive)]


def _rule_params(code: str, params: dict, errors: dict) -> dict:
    if code == "representatives":
        q = _threshold(params, "quorum", errors)
        return {"quorum": q} if q else {}
    if code == "custom":
        out: dict[str, Any] = {"counting": params.get("counting") or rules.OWNERS}
        for name in ("turnout_area", "turnout_heads", "approval_area", "approval_heads"):
            out[name] = _threshold(params, name, errors)
        return out
    return {}


def _int_list(raw: Any, field: str, errors: dict) -> list[int]:
    if raw in (None, ""):
        return []
    items = raw if isinstance(raw, (list, tuple)) else str(raw).replace("，", ",").replace(" ", ",").split(",")
    out = []
    for x in items:
        x = str(x).strip()
        if not x:
            continue
        if not x.isdigit():
            errors[field] = "Choose one of the listed options."
            return []
        out.append(int(x))
    return sorted(set(out))


async def create_vote(principal: Principal, data: dict[str, Any], ip: str = "") -> int:
    """A draft vote. `data`: station, title, question, options (lines), matter, rule_set, rule
    params, non_voters_follow_majority with its follow_clause, estate, buildings, voter_people, opens_at, closes_at, secret,
    notice_days, case."""
    errors: dict[str, str] = {}
    station_id = data.get("station")
    try:
        station_id = int(station_id)
    except (TypeError, ValueError):
        errors["station"] = "This field is required."
        station_id = None
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = "This field is required."
    elif len(title) > 200:
        errors["title"] = "At most 200 characters."
    question = str(data.get("question") or "").strip()
    if not question:
        errors["question"] = "This field is required."
    code = str(data.get("rule_set") or "")
    if code not in rules.CODES:
        errors["rule_set"] = "Choose one of the listed options."
    params = _rule_params(code, data, errors)
    follow = bool(data.get("non_voters_follow_majority"))
    matter = str(data.get("matter") or "").strip()
    follow_clause = str(data.get("follow_clause") or "").strip()
    if len(follow_clause) > 200:
        errors["follow_clause"] = "At most 200 characters."
    if matter not in rules.MATTER_CODES:
        errors["matter"] = rules.NO_MATTER
    if code in rules.CODES and not errors:
        try:
            rule = rules.build(code, params, non_voters_follow_majority=follow)
        except ValueError as e:
            errors["rule_set"] = str(e)
        else:
            # Civil Code Art. 278 para. 2 is the floor for its matters (council.votes.rules.check_matter).
            errors.update(rules.check_matter(matter, rule, follow_clause))
    try:
        options = _options(data.get("options"))
    except Invalid as e:
        errors.update(e.errors)
        options = []
    opens_at = _when(data.get("opens_at"), "opens_at", errors)
    closes_at = _when(data.get("closes_at"), "closes_at", errors)
    if opens_at and closes_at and closes_at <= opens_at:
        errors["closes_at"] = "The closing time must be after the opening time."
    try:
        notice_days = int(data.get("notice_days") or 7)
        if not 1 <= notice_days <= MAX_NOTICE_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        errors["notice_days"] = "Enter a whole number from 1 to 90."
        notice_days = 7
    estate_id = data.get("estate")
    estate_id = int(estate_id) if str(estate_id or "").isdigit() else None
    buildings = _int_list(data.get("buildings"), "buildings", errors)
    people = _int_list(data.get("voter_people"), "voter_people", errors)
    case_id = data.get("case")
    case_id = int(case_id) if str(case_id or "").isdigit() else None
    counting = rules.build(code, params).counting if code in rules.CODES and not errors else None
    if counting == rules.PERSONS and not people:
        errors["voter_people"] = "List the representatives who vote."
    if counting in (rules.OWNERS, rules.HOUSEHOLDS) and estate_id is None:
        errors["estate"] = "This field is required."
    if errors:
        raise Invalid(FIX, errors=errors)

    async with db.write():
        # A station the principal does not serve reads as one that does not exist (core/scope.py).
        station = await scope.ensure_station(principal, station_id, field="station")
        if not policy.can_manage(principal, station_id):
            raise Forbidden()
        if estate_id is not None and not await StationEstate.exists().where(
                (StationEstate.station == station_id) & (StationEstate.estate == estate_id)):
            raise Invalid(FIX, errors={"estate": "Choose one of the listed options."})
        if buildings:
            found = await Building.count().where(Building.id.is_in(buildings) & (Building.estate == estate_id))
            if found != len(buildings):
                raise Invalid(FIX, errors={"buildings": "Choose one of the listed options."})
        if people:
            await scope.ensure_all_in_scope(principal, "person", people, field="voter_people", station=station_id)
        if case_id is not None:
            case = await Case.select().where(Case.id == case_id).first()
            if case is None or case["station"] != station_id or case["kind"] != "proposal":
                raise Invalid(FIX, errors={"case": "Choose a proposal of this station."})
            if case["state"] != "decide":
                raise Conflict("A vote on a proposal is held at its decide step.")
            if await Vote.exists().where((Vote.case == case_id) & Vote.state.is_in(["draft", "open"])):
                raise Conflict("This proposal already has a vote under way: close it before starting another.")
        row = (await Vote.insert(Vote(
            station=station_id, community=station["community"], case=case_id, title=title, question=question,
            options=options, rule_set=code, rule_params=params, non_voters_follow_majority=follow, matter=matter,
            follow_clause=follow_clause if follow else "",
            scope_estate=estate_id if counting != rules.PERSONS else None, scope_buildings=buildings,
            voter_people=people if counting == rules.PERSONS else [], opens_at=opens_at, closes_at=closes_at,
            secret=bool(data.get("secret")), notice_days=notice_days, state="draft", created_by=principal.user_id or None,
            created_at=now(),
        )).returning(Vote.id))[0]
        after = {"title": title, "matter": matter, "rule_set": code, "rule_params": params,
                 "non_voters_follow_majority": follow, **({"follow_clause": follow_clause} if follow else {}),
                 "secret": bool(data.get("secret")),
                 "estate": estate_id, "buildings": buildings, "case": case_id, "options": [o["label"] for o in options]}
        await audit.record(principal, "vote.create", entity_type="vote", entity_id=row["id"], after=after,
                           station_id=station_id, ip=ip)
        if case_id is not None:
            await _on_case(principal, case_id, "vote_created", {"vote": row["id"], "vote_title": title})
        return row["id"]


async def build_electorate(row: dict) -> list[electorate.Voter]:
    """The heads of the vote, from the register as it stands now."""
    rule = rule_of(row)
    if rule.counting == rules.PERSONS:
        return electorate.build([], [], rules.PERSONS, persons=as_json(row["voter_people"]) or [])
    where = Unit.estate == row["scope_estate"]
    buildings = as_json(row["scope_buildings"]) or []
    if buildings:
        where = where & Unit.building.is_in(buildings)
    units = await Unit.select(Unit.id, Unit.number, Unit.area_m2, Unit.developer_unsold).where(where)
    records = [electorate.UnitRecord(u["id"], u["number"], centi(u["area_m2"]), u["developer_unsold"]) for u in units]
    owners = []
    if rule.counting == rules.OWNERS and units:
        ids = [u["id"] for u in units]
        for chunk in range(0, len(ids), 900):
            owners += [electorate.OwnerRecord(o["unit"], o["person"], o["is_representative"])
                       for o in await Ownership.select(Ownership.unit, Ownership.person, Ownership.is_representative)
                       .where(Ownership.unit.is_in(ids[chunk:chunk + 900])).order_by(Ownership.id)]
    # Areas went in as hundredths (integers), so the voters' areas come out in hundredths too.
    return electorate.build(records, owners, rule.counting)


async def open_vote(principal: Principal, vote_id: int, *, version: Any = None, confirm_small: bool = False,
                    ip: str = "") -> dict:
    """Freeze the electorate (one row per head, with its units and area) and the rule set, issue
    a voting link per head, and start taking ballots. A secret vote with fewer heads than
    conduct.SECRET_MIN_HEADS opens only when `confirm_small` says the warning was read."""
    async with db.write():
        row = await load_vote(principal, vote_id, policy.can_manage)
        require_state(row, "draft")
        check_version(row, version)
        voters = await build_electorate(row)
        if not voters:
            raise Conflict("The electorate is empty: there are no units or voters in the chosen scope.")
        small = bool(row["secret"]) and conduct.secrecy_at_risk(len(voters))
        if small and not confirm_small:
            raise Conflict(conduct.SMALL_SECRET, errors={"confirm_small": conduct.SMALL_SECRET},
                           n=len(voters), min=conduct.SECRET_MIN_HEADS)
        secret = secret_key()
        batch = []
        for v in voters:
            salt = tokens.new_salt()
            batch.append(VoteVoter(
                vote=vote_id, voter_key=v.key, kind=v.kind, person=v.person, units=list(v.units),
                unit_numbers=" ".join(v.unit_numbers), area_centi=int(v.area),
                token_salt=salt, token_hash=tokens.hash_token(tokens.make_token(secret, vote_id, v.key, salt)),
            ))
        for chunk in range(0, len(batch), 300):
            await VoteVoter.insert(*batch[chunk:chunk + 300])
        if row["secret"]:
            await VoteSecretCount.insert(*[VoteSecretCount(vote=vote_id, choice=c, heads=0, area_centi=0)
                                           for c in [o.code for o in options_of(row)] + [SPOILED]])
        rule = rule_of(row)
        after = await set_vote(row, {"state": "open", "opened_at": now(), "rules_frozen": rule.to_json()})
        total = sum(int(v.area) for v in voters)
        await audit.record(principal, "vote.open", entity_type="vote", entity_id=vote_id,
                           before={"state": "draft"},
                           after={"state": "open", "heads": len(voters), "area_centi": total, "rules": rule.to_json(),
                                  **({"small_secret_confirmed": True} if small else {})},
                           station_id=row["station"], ip=ip)
        if row["case"]:
            await _on_case(principal, row["case"], "vote_opened",
                           {"vote": vote_id, "vote_title": row["title"], "heads": len(voters)})
        await notify.vote_moved(after, "vote.opened")
        return after


async def close_vote(principal: Principal, vote_id: int, *, version: Any = None, reason: str = "",
                     ip: str = "") -> dict:
    """Freeze the result, start the notice period, and feed the result back to the proposal:
    passed → evaluate, failed → back to discuss (through the case's own state machine). Before
    the announced end it needs a reason, which is audited and printed on the notice."""
    from council.cases.calendar_store import today

    reason = str(reason or "").strip()[:500]
    async with db.write():
        row = await load_vote(principal, vote_id, policy.can_manage)
        require_state(row, "open")
        check_version(row, version)
        closed = now()
        why = conduct.early_close_refusal(row["closes_at"], closed, reason)
        if why:
            raise Invalid(why, errors={"reason": why})
        early = conduct.is_early(row["closes_at"], closed)
        result = await current_tally(row)
        after = await set_vote(row, {
            "state": "closed", "closed_at": closed, "result": result, "passed": result["passed"],
            "notice_until": today() + dt.timedelta(days=row["notice_days"]),
            "early_close_reason": reason if early else "",
        })
        await audit.record(principal, "vote.close", entity_type="vote", entity_id=vote_id,
                           before={"state": "open"},
                           after={"state": "closed", "passed": result["passed"], "participating": result["participating"],
                                  "options": [{o["code"]: o["heads"]} for o in result["options"]],
                                  **({"early": True, "announced_end": row["closes_at"], "reason": reason}
                                     if early else {})},
                           station_id=row["station"], ip=ip)
        if row["case"]:
            await _feed_back(principal, row, result, ip)
        await notify.vote_moved(after, "vote.closed")
        return after


async def _on_case(principal: Principal, case_id: int, kind: str, data: dict) -> None:
    """A line on the proposal's timeline (same transaction). Only data is stored — the vote, its
    title, the result's reasons as msgids with their parameters — so the case page words it in
    the reader's language (labels in council.cases.pages.EVENT_LABELS, the rest in
    templates/votes/_case_event.html)."""
    from council.cases.common import add_event

    await add_event(principal, case_id, kind, data=data)


async def _feed_back(principal: Principal, row: dict, result: dict, ip: str) -> None:
    """Record the result on the proposal with the case services (same transaction). A proposal
    moved on while the vote ran (e.g. the step was skipped) only gets the timeline line."""
    from council.cases import proposals
    from council.votes.tally import reason_records

    case = await Case.select(Case.state, Case.version).where(Case.id == row["case"]).first()
    await _on_case(principal, row["case"], "vote_closed", {
        "vote": row["id"], "vote_title": row["title"], "passed": bool(result["passed"]),
        "reasons": reason_records(result),
    })
    if case and case["state"] == "decide":
        await proposals.record_vote(principal, row["case"], vote=row["id"], version=case["version"], ip=ip)


async def reissue_letter(principal: Principal, vote_id: int, voter_id: Any, *, reason: str = "", ip: str = "") -> dict:
    """A voter lost their letter: a new salt gives a new link, and the old link stops working at
    once (only the new token's hash is kept). Only while the vote is open and the voter has not
    voted; the secretariat of the vote's station only. Audited with who, which voter and why —
    never the token. Returns the voter (the new letter is printed from /votes/{id}/letters.pdf)."""
    if not str(voter_id or "").strip().isdigit():
        raise Invalid(FIX, errors={"voter": "Choose one of the listed options."})
    reason = str(reason or "").strip()[:200]
    async with db.write():
        row = await load_vote(principal, vote_id, policy.can_manage)
        require_state(row, "open")
        voter = await VoteVoter.select().where((VoteVoter.vote == vote_id) & (VoteVoter.id == int(voter_id))).first()
        if voter is None:
            raise Invalid(FIX, errors={"voter": "Choose one of the listed options."})
        if await VoteBallot.exists().where((VoteBallot.vote == vote_id) & (VoteBallot.voter == voter["id"])):
            raise Conflict("This voter has already voted: there is no letter to reissue.")
        salt = tokens.new_salt()
        new_hash = tokens.hash_token(tokens.make_token(secret_key(), vote_id, voter["voter_key"], salt))
        # Conditional on the hash we read: two reissues at once cannot both think theirs is the letter.
        done = await VoteVoter.update({VoteVoter.token_salt: salt, VoteVoter.token_hash: new_hash}).where(
            (VoteVoter.id == voter["id"]) & (VoteVoter.token_hash == voter["token_hash"])).returning(VoteVoter.id)
        if not done:
            raise Conflict("Someone else reissued this letter at the same time. Reload to see the new one.")
        await audit.record(principal, "vote.letter_reissued", entity_type="vote", entity_id=vote_id,
                           after={"voter": voter["id"], "units": voter["unit_numbers"],
                                  **({"reason": reason} if reason else {})},
                           station_id=row["station"], ip=ip)
        return {**voter, "token_salt": salt, "token_hash": new_hash}


__all__ = ["create_vote", "open_vote", "close_vote", "build_electorate", "get_vote", "reissue_letter"]
