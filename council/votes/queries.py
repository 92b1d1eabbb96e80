"""Reading votes: the station's list, a vote with its live progress, the voters and who has voted,
a resident's open votes, and the de-identified public notice."""

from __future__ import annotations

from fractions import Fraction

from piccolo.query.functions.aggregate import Count

from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.core.errors import Forbidden, NotFound
from council.people.tables import Person
from council.places.tables import Estate
from council.stations.tables import Station
from council.votes import conduct, policy
from council.votes.common import as_json, area_text, current_tally, get_vote, load_vote, options_of, secret_key
from council.votes.tables import Vote, VoteBallot, VoteVoter
from council.votes.tally import frac, percent


def fmt_area(value: str | Fraction) -> str:
    """"12345/1" → "12345.00" m², exactly (areas are in hundredths)."""
    from decimal import Decimal

    f = Fraction(value)
    return f"{Decimal(f.numerator) / Decimal(f.denominator):.2f}"


async def list_votes(principal: Principal, *, state: str = "", limit: int = 200, station: int | None = None,
                     closed_from=None, closed_to=None) -> list[dict]:
    """The votes of the stations the principal serves (or oversees), newest first. `station` and a
    closing period (local days; the overview's "votes held") narrow it; they never widen it."""
    if principal.role not in policy.READERS:
        raise Forbidden()
    query = Vote.select(Vote.id, Vote.station, Vote.title, Vote.state, Vote.rule_set, Vote.secret, Vote.case,
                        Vote.opens_at, Vote.closes_at, Vote.closed_at, Vote.passed, Vote.created_at)
    where = Vote.id > 0
    if not principal.is_admin:
        where = where & Vote.station.is_in(list(principal.station_ids) or [-1])
    if state:
        where = where & (Vote.state == state)
    if station:
        where = where & (Vote.station == station)
    if closed_from or closed_to:
        import datetime as _dt

        from council.core.localtime import LOCAL

        if closed_from:
            where = where & (Vote.closed_at >= _dt.datetime.combine(closed_from, _dt.time(), LOCAL))
        if closed_to:
            where = where & (Vote.closed_at < _dt.datetime.combine(closed_to + _dt.timedelta(days=1), _dt.time(), LOCAL))
    rows = await query.where(where).order_by(Vote.id, ascending=False).limit(limit)
    counts = {}
    if rows:
        ids = [r["id"] for r in rows]
        for r in await VoteBallot.select(VoteBallot.vote, Count(VoteBallot.id, alias="n")).where(
                VoteBallot.vote.is_in(ids)).group_by(VoteBallot.vote):
            counts[r["vote"]] = r["n"]
        for r in await VoteVoter.select(VoteVoter.vote, Count(VoteVoter.id, alias="n")).where(
                VoteVoter.vote.is_in(ids)).group_by(VoteVoter.vote):
            counts[("voters", r["vote"])] = r["n"]
    for r in rows:
        r["ballots"] = counts.get(r["id"], 0)
        r["voters"] = counts.get(("voters", r["id"]), 0)
    return rows


def progress_of(row: dict, result: dict) -> dict:
    """Turnout so far, and (open ballots only) the running tally. For a secret vote staff see only
    turnout while it is open: running totals beside a list of who just voted would betray choices."""
    e, v = result["electorate"], result["voted"]
    heads = Fraction(v["heads"], e["heads"]) if e["heads"] else Fraction(0)
    area = Fraction(v["area"]) / Fraction(e["area"]) if Fraction(e["area"]) else Fraction(0)
    out = {"electorate_heads": e["heads"], "electorate_area": fmt_area(e["area"]),
           "voted_heads": v["heads"], "voted_area": fmt_area(v["area"]),
           "heads_ratio": frac(heads), "area_ratio": frac(area), "heads_pct": percent(heads), "area_pct": percent(area)}
    out["tally_visible"] = not (row["secret"] and row["state"] == "open")
    return out


async def vote_detail(principal: Principal, vote_id: int) -> dict:
    row = await load_vote(principal, vote_id)
    station = await Station.select(Station.name).where(Station.id == row["station"]).first()
    estate = await Estate.select(Estate.name).where(Estate.id == row["scope_estate"]).first() if row["scope_estate"] else None
    d = dict(row)
    d["station_name"] = station["name"] if station else ""
    d["estate_name"] = estate["name"] if estate else ""
    d["options_list"] = as_json(row["options"])
    d["scope_buildings"] = as_json(row["scope_buildings"]) or []
    # The scope by the buildings' numbers ("2栋、5栋"), never as a count (issue 17).
    from council.places.tables import Building

    d["scope_building_numbers"] = [b["number"] for b in await Building.select(Building.number).where(
        Building.id.is_in(d["scope_buildings"] or [-1])).order_by(Building.id)]
    d["rule_params"] = as_json(row["rule_params"]) or {}
    d["result"] = as_json(row["result"])
    d["progress"] = None
    d["live"] = None
    d["small_secret"] = None
    if row["state"] == "draft" and row["secret"]:
        # Warn before opening (council.votes.conduct): the electorate as it would freeze now.
        from council.votes.manage import build_electorate

        heads = len(await build_electorate(row)) if (row["scope_estate"] or as_json(row["voter_people"])) else 0
        d["small_secret"] = heads if conduct.secrecy_at_risk(heads) else None
    if row["state"] != "draft":
        live = d["result"] if row["state"] == "closed" else await current_tally(row)
        d["progress"] = progress_of(row, live)
        if d["progress"]["tally_visible"]:
            d["live"] = live
    return d


async def voters_of(principal: Principal, vote_id: int, *, q: str = "", limit: int = 2000) -> list[dict]:
    """The frozen electorate with who has voted (and, for open ballots, what and how). Staff only;
    names for staff, never phones."""
    row = await load_vote(principal, vote_id)
    voters = await VoteVoter.select(VoteVoter.id, VoteVoter.voter_key, VoteVoter.kind, VoteVoter.person,
                                    VoteVoter.unit_numbers, VoteVoter.area_centi).where(
        VoteVoter.vote == vote_id).order_by(VoteVoter.unit_numbers).limit(limit)
    q = q.strip()
    if q:
        voters = [v for v in voters if q in v["unit_numbers"]]
    ballots = {b["voter"]: b for b in await VoteBallot.select().where(VoteBallot.vote == vote_id)}
    people = {}
    ids = [v["person"] for v in voters if v["person"]]
    for chunk in range(0, len(ids), 900):
        for p in await Person.select(Person.id, Person.name).where(Person.id.is_in(ids[chunk:chunk + 900])):
            people[p["id"]] = p["name"]
    out = []
    secret = bool(row["secret"])
    for v in voters:
        b = ballots.get(v["id"])
        # A secret vote lists who took part, never their areas: areas beside the per-option area
        # totals would let a reader work out which voters make up each total.
        area = {"area_centi": None, "area": None} if secret else {"area": area_text(v["area_centi"])}
        out.append({**v, **area, "name": people.get(v["person"], ""),
                    "ballot": b and {"id": b["id"], "choice": None if secret else b["choice"],
                                     "channel": b["channel"], "form_ref": b["form_ref"], "proxy_name": b["proxy_name"],
                                     "proxy_authorisation": b["proxy_authorisation"], "cast_at": b["cast_at"],
                                     "received_on": b["received_on"], "corrections": b["corrections"],
                                     "staff_entered": b["channel"] in conduct.STAFF_CHANNELS,
                                     "version": b["version"]}})
    return out


async def open_votes_for_resident(principal: Principal) -> list[dict]:
    """The open votes where this resident is a voter (their units, or their representative seat)."""
    if principal.role != Role.resident or not principal.person_id:
        return []
    mine = await VoteVoter.select(VoteVoter.vote, VoteVoter.id, VoteVoter.unit_numbers).where(
        VoteVoter.person == principal.person_id)
    if not mine:
        return []
    by_vote = {m["vote"]: m for m in mine}
    rows = await Vote.select(Vote.id, Vote.title, Vote.question, Vote.closes_at, Vote.state, Vote.community).where(
        Vote.id.is_in(list(by_vote)) & (Vote.state == "open")).order_by(Vote.id, ascending=False)
    cast = {b["voter"] for b in await VoteBallot.select(VoteBallot.voter).where(
        VoteBallot.voter.is_in([m["id"] for m in mine]))}
    return [{**r, "units": by_vote[r["id"]]["unit_numbers"], "voted": by_vote[r["id"]]["id"] in cast}
            for r in rows if r["community"] in principal.community_ids]


def notice_key(vote_id: int) -> str:
    from council.votes import tokens

    return tokens.notice_key(secret_key(), vote_id)


def notice_vote_id(key: str) -> int:
    """The vote behind a public notice address; 404 for any key we did not make."""
    from council.votes import tokens

    vote_id = tokens.notice_vote_id(secret_key(), key)
    if vote_id is None:
        raise NotFound()
    return vote_id


async def notice_data(vote_id: int) -> dict:
    """The public notice (公示) of a closed vote: plain data (picklable for the PDF), de-identified —
    unit numbers at most, never names or phones. Open ballots list each unit's choice; secret
    ballots only the totals."""
    row = await get_vote(vote_id)
    if row["state"] != "closed":
        raise NotFound()  # no notice, and so no per-unit choice, while the vote is open
    from council.cases.calendar_store import today

    if row["notice_until"] is not None and today() > row["notice_until"]:
        from council.core.errors import Gone

        raise Gone("The notice period of this vote has ended.")
    station = await Station.select(Station.name, Station.address).where(Station.id == row["station"]).first()
    estate = await Estate.select(Estate.name).where(Estate.id == row["scope_estate"]).first() if row["scope_estate"] else None
    result = as_json(row["result"])
    units = []
    if not row["secret"] and row["rule_set"] != "representatives":
        labels = {o.code: o.label for o in options_of(row)}
        labels["spoiled"] = "Spoiled"
        voters = {v["id"]: v["unit_numbers"] for v in await VoteVoter.select(VoteVoter.id, VoteVoter.unit_numbers).where(
            VoteVoter.vote == vote_id)}
        for b in await VoteBallot.select(VoteBallot.voter, VoteBallot.choice, VoteBallot.channel).where(
                VoteBallot.vote == vote_id):
            units.append({"units": voters.get(b["voter"], ""), "choice": labels.get(b["choice"], b["choice"]),
                          "channel": b["channel"]})
        units.sort(key=lambda u: u["units"])
    corrected = [b["corrections"] for b in await VoteBallot.select(VoteBallot.corrections).where(
        (VoteBallot.vote == vote_id) & (VoteBallot.corrections > 0))]
    return {
        "id": row["id"], "title": row["title"], "question": row["question"], "rule_set": row["rule_set"],
        "matter": row["matter"], "non_voters_follow_majority": bool(row["non_voters_follow_majority"]),
        "follow_clause": row["follow_clause"], "closes_at": row["closes_at"],
        "early_close_reason": row["early_close_reason"],
        "corrected_ballots": len(corrected), "corrections": sum(corrected),
        "secret": bool(row["secret"]), "station_name": station["name"] if station else "",
        "station_address": station["address"] if station else "", "estate_name": estate["name"] if estate else "",
        "opened_at": row["opened_at"], "closed_at": row["closed_at"], "notice_days": row["notice_days"],
        "notice_until": row["notice_until"], "result": result, "units": units, "passed": bool(row["passed"]),
    }


async def letters_data(principal: Principal, vote_id: int, base_url: str, voter_id: int | None = None) -> dict:
    """Everything a voting letter (表决票) shows, per voter: the question, the options, the link.
    Only the secretariat prints them: each carries a live voting link."""
    from council.votes import tokens

    row = await load_vote(principal, vote_id, policy.can_manage)
    if row["state"] != "open":
        from council.core.errors import Conflict

        raise Conflict("Voting letters are printed while the vote is open.")
    query = VoteVoter.select(VoteVoter.id, VoteVoter.voter_key, VoteVoter.unit_numbers, VoteVoter.area_centi,
                             VoteVoter.token_salt, VoteVoter.kind).where(VoteVoter.vote == vote_id)
    if voter_id is not None:
        query = query.where(VoteVoter.id == voter_id)
    voters = await query.order_by(VoteVoter.unit_numbers)
    if voter_id is not None and not voters:
        raise NotFound()
    station = await Station.select(Station.name, Station.address).where(Station.id == row["station"]).first()
    secret = secret_key()
    letters = []
    for v in voters:
        token = tokens.make_token(secret, vote_id, v["voter_key"], v["token_salt"])
        letters.append({"voter": v["id"], "form_ref": f"V{vote_id}-{v['id']}", "units": v["unit_numbers"],
                        "kind": v["kind"], "area": area_text(v["area_centi"]), "link": f"{base_url.rstrip('/')}/v/{token}"})
    return {"id": row["id"], "title": row["title"], "question": row["question"], "options": as_json(row["options"]),
            "secret": bool(row["secret"]), "closes_at": row["closes_at"], "rule_set": row["rule_set"],
            "station_name": station["name"] if station else "", "station_address": station["address"] if station else "",
            "letters": letters}


# ---------------------------------------------------------------- a proposal's votes (its decide step)

async def case_votes(principal: Principal, case: dict) -> dict:
    """The votes held on a proposal, newest first, with their state, for the case page's decide
    step; and whether this principal may start one now (a secretary of the station, the proposal
    at its decide step, no vote on it under way)."""
    from council.accounts import permissions

    rows = await Vote.select(Vote.id, Vote.title, Vote.state, Vote.passed, Vote.opens_at, Vote.closes_at,
                             Vote.closed_at).where(Vote.case == case["id"]).order_by(Vote.id, ascending=False)
    from council.votes.pages import STATE_LABELS

    for r in rows:
        r["state_label"] = STATE_LABELS.get(r["state"], r["state"])
    under_way = any(r["state"] in ("draft", "open") for r in rows)
    can_start = (case["kind"] == "proposal" and case["state"] == "decide" and not under_way
                 and permissions.can_write(principal.role, "vote") and policy.can_manage(principal, case["station"]))
    return {"votes": rows, "can_start": can_start, "start_url": f"/votes/new?case={case['id']}",
            "can_view": policy.can_view(principal, case["station"])}


async def prefill_from_case(principal: Principal, case_id: int, _) -> dict:
    """The new-vote form filled in from a proposal the principal may see: its station, title, a
    question (the preferred plan, in the reader's language `_`), and its estate and building as
    the scope. Nothing when the case is not a proposal at its decide step, or not theirs."""
    from council.cases.common import load_case
    from council.cases.tables import Option
    from council.core.errors import DomainError

    try:
        case = await load_case(principal, case_id)
    except DomainError:
        return {}
    if case["kind"] != "proposal" or case["state"] != "decide" or not policy.can_manage(principal, case["station"]):
        return {}
    plan = await Option.select(Option.title).where((Option.case == case_id) & (Option.preferred == True)).first()  # noqa: E712
    if plan:
        question = _("Do you agree to carry out “%(plan)s” for the proposal “%(title)s”?", plan=plan["title"],
                     title=case["title"])
    else:
        question = _("Do you agree with the proposal “%(title)s”?", title=case["title"])
    return {"case": str(case_id), "station": str(case["station"]), "title": case["title"][:200], "question": question,
            "estate": str(case["estate"] or ""), "buildings": [case["building"]] if case["building"] else []}
