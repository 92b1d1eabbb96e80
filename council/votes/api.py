"""/api/v1 for votes: everything the vote pages do, as JSON. Staff routes take bearer tokens; the
ballot routes take the voting link's token instead of an account (like the /v/{token} page).

Handlers stay thin: parse, call a use case (validate → permission → write → audit in one
transaction), shape the answer. Errors become problem+json in council.web.errors.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from council.accounts.permissions import Role
from council.core.errors import Forbidden
from council.votes import ballots, manage, policy, queries
from council.votes import schemas as s
from council.votes.tally import explain
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, translator

TAGS = ["Votes"]


def _only(*roles: str):
    """A role guard checked before any body is read (the per-vote station check is in the use case)."""
    def guard(connection, _) -> None:
        user = connection.scope.get("user")
        if user is not None and user.role not in roles:
            raise Forbidden()

    return guard


STAFF = [signed_in, _only(*policy.STAFF)]
READERS = [signed_in, _only(*policy.READERS)]
SECRETARIAT = [signed_in, _only(*policy.SECRETARIAT)]
ENTERERS = [signed_in, _only(*policy.ENTERERS)]
RESIDENT = [signed_in, _only(Role.resident)]


def _convert(value, type_):
    """Plain rows and JSON from the use cases → the documented response Structs."""
    return msgspec.convert(value, type_, from_attributes=True)


def _out(request: Request, d: dict) -> s.VoteOut:
    result = d.get("live") or d.get("result")
    rules = queries.as_json(d["rules_frozen"])
    return s.VoteOut(
        id=d["id"], station=d["station"], case=d["case"], title=d["title"], question=d["question"],
        options=_convert(d["options_list"], list[s.OptionOut]), rule_set=d["rule_set"], matter=d["matter"],
        follow_clause=d["follow_clause"], early_close_reason=d["early_close_reason"],
        rules=_convert(rules, s.RulesOut) if rules else None, secret=bool(d["secret"]), state=d["state"],
        scope_estate=d["scope_estate"], scope_buildings=list(d["scope_buildings"]), opens_at=d["opens_at"],
        closes_at=d["closes_at"], notice_days=d["notice_days"], notice_until=d["notice_until"], passed=d["passed"],
        version=d["version"], progress=_convert(d["progress"], s.ProgressOut) if d["progress"] else None,
        result=_convert(result, s.ResultOut) if result and d["progress"] and d["progress"]["tally_visible"] else None,
        reasons=explain(result, translator(locale_of(request))) if result and d["live"] else [],
        notice_url=f"/notices/{queries.notice_key(d['id'])}" if d["state"] == "closed" else None,
    )


@get("/votes", guards=READERS, tags=TAGS, summary="The votes of the stations you serve")
async def list_votes_api(request: Request,
                         state_: Annotated[str, QueryParameter(name="state")] = "") -> list[s.VoteSummary]:
    # `state` is a name Litestar reserves for the application state, hence the alias.
    rows = await queries.list_votes(request.user, state=state_ if state_ in ("draft", "open", "closed") else "")
    return _convert(rows, list[s.VoteSummary])


@post("/votes", guards=SECRETARIAT, tags=TAGS, status_code=HTTP_201_CREATED, summary="Create a draft vote")
async def create_vote_api(request: Request, data: JSONBody[s.VoteIn]) -> s.VoteOut:
    vote_id = await manage.create_vote(request.user, msgspec.structs.asdict(data), ip=client_ip(request))
    return _out(request, await queries.vote_detail(request.user, vote_id))


@get("/votes/{vote_id:int}", guards=READERS, tags=TAGS, summary="A vote with its live progress (or frozen result)")
async def vote_api(request: Request, vote_id: FromPath[int]) -> s.VoteOut:
    return _out(request, await queries.vote_detail(request.user, vote_id))


@post("/votes/{vote_id:int}/open", guards=SECRETARIAT, tags=TAGS, status_code=HTTP_200_OK,
      summary="Open the vote: freeze the electorate and issue the voting links")
async def open_vote_api(request: Request, vote_id: FromPath[int],
                        data: JSONBody[s.OpenIn | None] = None) -> s.VoteOut:
    await manage.open_vote(request.user, vote_id, version=data.version if data else None,
                           confirm_small=bool(data and data.confirm_small_electorate), ip=client_ip(request))
    return _out(request, await queries.vote_detail(request.user, vote_id))


@post("/votes/{vote_id:int}/close", guards=SECRETARIAT, tags=TAGS, status_code=HTTP_200_OK,
      summary="Close the vote: freeze the result and feed it back to the proposal")
async def close_vote_api(request: Request, vote_id: FromPath[int],
                         data: JSONBody[s.CloseIn | None] = None) -> s.VoteOut:
    await manage.close_vote(request.user, vote_id, version=data.version if data else None,
                            reason=data.reason if data else "", ip=client_ip(request))
    return _out(request, await queries.vote_detail(request.user, vote_id))


@get("/votes/{vote_id:int}/voters", guards=READERS, tags=TAGS, summary="The frozen electorate and who has voted")
async def voters_api(request: Request, vote_id: FromPath[int], q: FromQuery[str] = "") -> list[s.VoterOut]:
    return _convert(await queries.voters_of(request.user, vote_id, q=q), list[s.VoterOut])


@post("/votes/{vote_id:int}/voters/{voter_id:int}/reissue", guards=SECRETARIAT, tags=TAGS,
      status_code=HTTP_200_OK,
      summary="Reissue a lost voting letter: the old link stops working, a new letter is issued (audited)")
async def reissue_letter_api(request: Request, vote_id: FromPath[int], voter_id: FromPath[int],
                             data: JSONBody[s.ReissueIn | None] = None) -> s.ReissueOut:
    voter = await manage.reissue_letter(request.user, vote_id, voter_id, reason=data.reason if data else "",
                                        ip=client_ip(request))
    return s.ReissueOut(voter=voter["id"], units=voter["unit_numbers"],
                        letter=f"/votes/{vote_id}/letters.pdf?voter={voter['id']}")


@post("/votes/{vote_id:int}/ballots", guards=ENTERERS, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Enter a paper or meeting ballot for one voter")
async def enter_ballot_api(request: Request, vote_id: FromPath[int], data: JSONBody[s.BallotIn]) -> s.Created:
    ballot_id = await ballots.enter_ballot(request.user, vote_id, choice=data.choice, channel=data.channel,
                                           voter_id=data.voter, unit_number=data.unit_number, form_ref=data.form_ref,
                                           proxy_name=data.proxy_name, proxy_authorisation=data.proxy_authorisation,
                                           received_on=data.received_on, ip=client_ip(request))
    return s.Created(id=ballot_id)


@patch("/votes/{vote_id:int}/ballots/{ballot_id:int}", guards=SECRETARIAT, tags=TAGS,
       summary="Correct a staff-entered ballot before the vote closes (with a reason, audited, counted on the notice)")
async def correct_ballot_api(request: Request, vote_id: FromPath[int], ballot_id: FromPath[int],
                             data: JSONBody[s.CorrectionIn]) -> s.Created:
    await ballots.correct_ballot(request.user, vote_id, ballot_id, choice=data.choice, reason=data.reason,
                                 version=data.version, ip=client_ip(request))
    return s.Created(id=ballot_id)


@get("/notices/{key:str}", tags=TAGS, summary="The public, de-identified notice of a closed vote (its address "
     "is the vote's notice_url; 410 after the notice period)")
async def notice_api(request: Request, key: FromPath[str]) -> s.NoticeOut:
    n = await queries.notice_data(queries.notice_vote_id(key))
    return _convert({**n, "reasons": explain(n["result"], translator(locale_of(request)))}, s.NoticeOut)


@get("/ballots/{token:str}", tags=TAGS, summary="What a voting link is for (no account needed)")
async def ballot_link_api(token: FromPath[str]) -> s.BallotLinkOut:
    row, voter, ballot = await ballots.voter_for_token(token)
    return s.BallotLinkOut(vote=row["id"], title=row["title"], question=row["question"],
                           options=_convert(queries.as_json(row["options"]), list[s.OptionOut]), state=row["state"],
                           units=voter["unit_numbers"], closes_at=row["closes_at"], voted=ballot is not None)


@post("/ballots/{token:str}", tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Vote through a voting link (single use; no account needed)")
async def cast_link_api(request: Request, token: FromPath[str], data: JSONBody[s.ChoiceIn]) -> s.LinkBallotOut:
    done = await ballots.cast_online(token, data.choice, ip=client_ip(request))
    return s.LinkBallotOut(vote=done["vote"]["id"], ballot=done["ballot"])


@get("/my/votes", guards=RESIDENT, tags=TAGS, summary="A resident's open votes for their units")
async def my_votes_api(request: Request) -> list[s.MyVoteOut]:
    return _convert(await queries.open_votes_for_resident(request.user), list[s.MyVoteOut])


@post("/my/votes/{vote_id:int}/ballot", guards=RESIDENT, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Vote as the signed-in owner")
async def my_vote_api(request: Request, vote_id: FromPath[int], data: JSONBody[s.ChoiceIn]) -> s.MyBallotOut:
    return s.MyBallotOut(ballot=await ballots.cast_as_resident(request.user, vote_id, data.choice,
                                                               ip=client_ip(request)))


PAGE_ROUTES: list = []
API_ROUTES: list = [list_votes_api, create_vote_api, vote_api, open_vote_api, close_vote_api, voters_api,
                    reissue_letter_api, enter_ballot_api, correct_ballot_api, notice_api, ballot_link_api,
                    cast_link_api, my_votes_api, my_vote_api]
