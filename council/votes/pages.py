"""The vote pages: the station's votes, a new vote, a vote's page (live progress, the electorate,
paper-ballot entry, corrections, open and close), voting letters (PDF), the public notice (page and
PDF), the voting link (phone first, no account), and a resident's own open votes.

Handlers stay thin: parse the form, call a use case (validate → permission → write → audit in one
transaction), redirect. A refusal redraws the page with the message and the form's fields marked,
with the refusal's status; nothing has changed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from council.accounts import permissions
from council.accounts.principal import Principal
from council.cases.tables import Case
from council.core import scope
from council.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from council.core.localtime import local_time
from council.places.tables import Building
from council.stations.tables import Station, StationEstate
from council.votes import ballots, conduct, documents, dossier, manage, policy, queries, rules
from council.votes.common import now
from council.votes.tally import explain
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, page, translator


def N_(msgid: str) -> str:
    return msgid


STATE_LABELS = {"draft": N_("Draft"), "open": N_("Open for voting"), "closed": N_("Voting closed")}
RULE_LABELS = dict(rules.RULE_SETS)
MATTER_LABELS = dict(rules.MATTERS)
CHANNEL_LABELS = {"online": N_("Online"), "paper": N_("Paper form"), "meeting": N_("At a meeting")}
KIND_LABELS = {"owner": N_("Owner"), "developer": N_("Developer (unsold units)"),
               "unregistered": N_("Owner not in the register"), "household": N_("Household"),
               "person": N_("Representative")}
COUNTING_LABELS = {rules.OWNERS: N_("Owners (Art. 278 counting)"), rules.HOUSEHOLDS: N_("Households (one unit, one vote)"),
                   rules.PERSONS: N_("Persons (one person, one vote)")}


def need(principal: Principal, key: str, write: bool = False) -> None:
    if not (permissions.can_write if write else permissions.can_read)(principal.role, key):
        raise Forbidden()


def words(**extra: Any) -> dict:
    return dict(state_labels=STATE_LABELS, rule_labels=RULE_LABELS, matter_labels=MATTER_LABELS,
                secret_min_heads=conduct.SECRET_MIN_HEADS, channel_labels=CHANNEL_LABELS,
                kind_labels=KIND_LABELS, counting_labels=COUNTING_LABELS, local_time=local_time,
                fmt_area=queries.fmt_area, **extra)


def _int(raw: str) -> int | None:
    from council.core.reading import bounded_int

    return bounded_int(raw)


def reasons(request: Request, result: dict | None) -> list[str]:
    return explain(result, translator(locale_of(request))) if result else []


# ---------------------------------------------------------------- list and new

@get("/votes", guards=[signed_in])
async def vote_list(request: Request) -> Any:
    need(request.user, "vote")
    state = request.query_params.get("state", "")
    from council.cases.pages import _day

    # The overview's "votes held" (issue 18): one station's votes closed in a period.
    rows = await queries.list_votes(request.user, state=state if state in STATE_LABELS else "",
                                    station=_int(request.query_params.get("station", "")),
                                    closed_from=_day(request.query_params.get("closed_from")),
                                    closed_to=_day(request.query_params.get("closed_to")))
    return page(request, "votes/list.html", rows=rows, state=state, can_create=permissions.can_write(request.user.role, "vote"),
                **words())


async def _new_context(request: Request, values: dict, *, strict: bool = True) -> dict:
    """The form's choices for one station. `?station=` naming a station the principal does not
    serve answers 404 (core/scope.py); a form sent back with one falls back to their first."""
    principal: Principal = request.user
    query = Station.select(Station.id, Station.name, Station.community).order_by(Station.id)
    if not principal.is_admin:
        query = query.where(Station.id.is_in(list(principal.station_ids) or [-1]))
    stations = await query
    wanted = str(values.get("station") or "").strip()
    if wanted and strict:
        await scope.ensure_station(principal, wanted)
    elif wanted and wanted not in {str(s["id"]) for s in stations}:
        wanted = ""
    station_id = int(wanted or (stations[0]["id"] if stations else 0) or 0)
    estates = []
    buildings = []
    if station_id:
        links = await StationEstate.select(StationEstate.estate.id, StationEstate.estate.name).where(
            StationEstate.station == station_id)
        estates = [{"id": e["estate.id"], "name": e["estate.name"]} for e in links]
        if estates:
            buildings = await Building.select(Building.id, Building.number, Building.estate.name.as_alias("estate_name")).where(
                Building.estate.is_in([e["id"] for e in estates])).order_by(Building.estate, Building.id)
    cases = []
    if station_id:
        cases = await Case.select(Case.id, Case.number, Case.title).where(
            (Case.station == station_id) & (Case.kind == "proposal") & (Case.state == "decide")).order_by(Case.id)
    return dict(stations=stations, station_id=station_id, estates=estates, buildings=buildings, cases=cases,
                rule_sets=rules.RULE_SETS, countings=COUNTING_LABELS, matters=rules.MATTERS)


@get("/votes/new", guards=[signed_in])
async def vote_new(request: Request) -> Any:
    need(request.user, "vote", write=True)
    values: dict[str, Any] = {k: request.query_params.get(k, "") for k in ("station", "case")}
    values["rule_set"] = "art278_ordinary"
    if _int(values["case"]):
        # "Start a vote" on a proposal's decide step: the form comes filled in from the case.
        values.update(await queries.prefill_from_case(request.user, _int(values["case"]), translator(locale_of(request))))
    ctx = await _new_context(request, values)
    return page(request, "votes/new.html", values=values, errors={}, message=None, **ctx, **words())


def _form_data(form: Any) -> dict:
    data = {k: v for k, v in form.items()}
    data["buildings"] = form.getall("buildings") if "buildings" in form else []
    for name in ("quorum", "turnout_area", "turnout_heads", "approval_area", "approval_heads"):
        data[name] = [data.get(name, ""), data.get(f"{name}_inclusive") == "1"]
    data["secret"] = data.get("secret") == "1"
    data["non_voters_follow_majority"] = data.get("non_voters_follow_majority") == "1"
    return data


@post("/votes/new", guards=[signed_in])
async def vote_create(request: Request) -> Any:
    need(request.user, "vote", write=True)
    form = await request.form()
    data = _form_data(form)
    try:
        vote_id = await manage.create_vote(request.user, data, ip=client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        _ = translator(locale_of(request))
        values = {k: v for k, v in form.items()}
        values["buildings"] = [int(b) for b in data["buildings"] if str(b).isdigit()]
        ctx = await _new_context(request, values, strict=False)
        return page(request, "votes/new.html", status_code=e.status, values=values,
                    errors={k: _(v) for k, v in e.errors.items()}, message=_(e.message), **ctx, **words())
    return Redirect(f"/votes/{vote_id}?done=created", status_code=303)


# ---------------------------------------------------------------- the vote's page

async def render_vote(request: Request, vote_id: int, *, status_code: int = 200, form: str = "",
                      errors: dict | None = None, message: str | None = None, values: dict | None = None) -> Any:
    principal: Principal = request.user
    need(principal, "vote")
    d = await queries.vote_detail(principal, vote_id)
    q = request.query_params.get("q", "").strip()[:40]
    voters = await queries.voters_of(principal, vote_id, q=q) if d["state"] != "draft" else []
    case = None
    if d["case"]:
        case = await Case.select(Case.id, Case.number, Case.title, Case.state).where(Case.id == d["case"]).first()
    can_manage = policy.can_manage(principal, d["station"])
    letter_jobs = []
    if can_manage and d["state"] == "open":  # the letters printed for the whole electorate (council.jobs)
        from council.jobs import service as job_service

        letter_jobs = await job_service.recent(principal, "letters", subject_id=vote_id, limit=3)
    return page(request, "votes/detail.html", status_code=status_code, v=d, voters=voters, q=q, case=case,
                letter_jobs=letter_jobs,
                reasons=reasons(request, d["live"]), form=form, errors=errors or {}, message=message,
                values=values or {}, done=request.query_params.get("done", "") if status_code == 200 else "",
                reissued=_int(request.query_params.get("voter", "")) if status_code == 200 else None,
                open_row=_open_row(request), closing_early=conduct.is_early(d["closes_at"], now()),
                notice_url=f"/notices/{queries.notice_key(vote_id)}" if d["state"] == "closed" else "",
                can_manage=can_manage, can_enter=policy.can_enter(principal, d["station"]),
                **words())


def _open_row(request: Request) -> str:
    """The one voter row whose form to draw: ?correct=<ballot> or ?reissue=<voter>."""
    ballot, voter = _int(request.query_params.get("correct", "")), _int(request.query_params.get("reissue", ""))
    return f"b{ballot}" if ballot else f"v{voter}" if voter else ""


@get("/votes/{vote_id:int}", guards=[signed_in])
async def vote_page(request: Request, vote_id: FromPath[int]) -> Any:
    return await render_vote(request, vote_id)


async def _ballot(p, vid, f, ip):
    return await ballots.enter_ballot(p, vid, choice=f.get("choice"), channel=f.get("channel", "paper"),
                                      voter_id=f.get("voter"), unit_number=f.get("unit_number", ""),
                                      form_ref=f.get("form_ref", ""), proxy_name=f.get("proxy_name", ""),
                                      proxy_authorisation=f.get("proxy_authorisation", ""),
                                      received_on=f.get("received_on", ""), ip=ip)


async def _reissue(p, vid, f, ip):
    return await manage.reissue_letter(p, vid, f.get("voter"), reason=f.get("reason", ""), ip=ip)


ACTIONS = {
    "reissue": _reissue,
    "open": lambda p, vid, f, ip: manage.open_vote(p, vid, version=f.get("version"),
                                                   confirm_small=f.get("confirm_small") == "1", ip=ip),
    "close": lambda p, vid, f, ip: manage.close_vote(p, vid, version=f.get("version"), reason=f.get("reason", ""),
                                                     ip=ip),
    "ballot": _ballot,
    "correct": lambda p, vid, f, ip: ballots.correct_ballot(p, vid, f.get("ballot"), choice=f.get("choice"),
                                                            reason=f.get("reason", ""), version=f.get("ballot_version"),
                                                            ip=ip),
}


@post("/votes/{vote_id:int}/do/{what:str}", guards=[signed_in])
async def vote_action(request: Request, vote_id: FromPath[int], what: FromPath[str]) -> Any:
    need(request.user, "vote")
    action = ACTIONS.get(what)
    if action is None:
        raise NotFound()
    form = dict(await request.form())
    try:
        await action(request.user, vote_id, form, client_ip(request))
    except (Invalid, Conflict, Forbidden) as e:
        _ = translator(locale_of(request))
        return await render_vote(request, vote_id, status_code=e.status, form=what,
                                 errors={k: _(v, **e.params) if e.params else _(v) for k, v in e.errors.items()},
                                 message=_(e.message, **e.params) if e.params else _(e.message), values=form)
    if what == "reissue":  # straight to the voter's row, with the new letter to print
        return Redirect(f"/votes/{vote_id}?done=reissue&voter={int(form['voter'])}#voters", status_code=303)
    return Redirect(f"/votes/{vote_id}?done={what}", status_code=303)


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@get("/votes/{vote_id:int}/letters.pdf", guards=[signed_in])
async def letters_pdf(request: Request, vote_id: FromPath[int]) -> Response:
    if request.user.role not in policy.SECRETARIAT:
        raise Forbidden()
    voter = request.query_params.get("voter", "")
    from council.links import public_base

    content = await documents.letters_pdf(request.user, vote_id, public_base(request), locale_of(request),
                                          voter_id=int(voter) if voter.isdigit() else None, ip=client_ip(request))
    return _pdf(content, f"vote-{vote_id}-letters.pdf")


# ---------------------------------------------------------------- public notice (no sign-in)

# The address is /notices/<vote id>-<HMAC> (council.votes.tokens.notice_key): not guessable from
# the vote's number. Closed votes only, and only during the notice period (410 after).

@get("/notices/{key:str}")
async def notice_page(request: Request, key: FromPath[str]) -> Any:
    n = await queries.notice_data(queries.notice_vote_id(key))
    progress = queries.progress_of({"secret": n["secret"], "state": "closed"}, n["result"])
    return page(request, "votes/notice.html", n=n, progress=progress, reasons=reasons(request, n["result"]),
                pdf_url=f"/notices/{key}/notice.pdf", **words())


@get("/notices/{key:str}/notice.pdf")
async def notice_pdf(request: Request, key: FromPath[str]) -> Response:
    vote_id = queries.notice_vote_id(key)
    content = await documents.notice_pdf(vote_id, locale_of(request))
    return _pdf(content, f"vote-{vote_id}-notice.pdf")


# ---------------------------------------------------------------- the voting link (no account)

async def _link_page(request: Request, token: str, *, status_code: int = 200, errors: dict | None = None,
                     message: str | None = None) -> Any:
    row, voter, ballot = await ballots.voter_for_token(token)
    return page(request, "votes/ballot.html", status_code=status_code, v=row, voter=voter, ballot=ballot,
                options=queries.as_json(row["options"]), action=f"/v/{token}", errors=errors or {}, message=message,
                done=request.query_params.get("done") == "1", dossier=await dossier.for_vote(row, voter),
                photo_base=f"/v/{token}/photos", **words())


@get("/v/{token:str}")
async def link_page(request: Request, token: FromPath[str]) -> Any:
    return await _link_page(request, token)


@post("/v/{token:str}")
async def link_vote(request: Request, token: FromPath[str]) -> Any:
    form = await request.form()
    try:
        await ballots.cast_online(token, form.get("choice"), ip=client_ip(request))
    except (Invalid, Conflict) as e:
        _ = translator(locale_of(request))
        return await _link_page(request, token, status_code=e.status, errors={k: _(v) for k, v in e.errors.items()},
                                message=_(e.message))
    return Redirect(f"/v/{token}?done=1", status_code=303)


# ---------------------------------------------------------------- a resident's own votes

@get("/my/votes", guards=[signed_in])
async def my_votes(request: Request) -> Any:
    need(request.user, "my_votes")
    rows = await queries.open_votes_for_resident(request.user)
    return page(request, "votes/mine.html", rows=rows, **words())


async def _my_vote_page(request: Request, vote_id: int, *, status_code: int = 200, errors: dict | None = None,
                        message: str | None = None) -> Any:
    row, voter = await ballots.resident_voter(request.user, vote_id)
    from council.votes.tables import VoteBallot

    ballot = await VoteBallot.select(VoteBallot.id, VoteBallot.cast_at, VoteBallot.channel).where(
        (VoteBallot.vote == vote_id) & (VoteBallot.voter == voter["id"])).first()
    return page(request, "votes/ballot.html", status_code=status_code, v=row, voter=voter, ballot=ballot,
                options=queries.as_json(row["options"]), action=f"/my/votes/{vote_id}", errors=errors or {},
                message=message, done=request.query_params.get("done") == "1", dossier=await dossier.for_vote(row, voter),
                photo_base=f"/my/votes/{vote_id}/photos", **words())


@get("/my/votes/{vote_id:int}", guards=[signed_in])
async def my_vote(request: Request, vote_id: FromPath[int]) -> Any:
    need(request.user, "my_votes")
    return await _my_vote_page(request, vote_id)


@post("/my/votes/{vote_id:int}", guards=[signed_in])
async def my_vote_cast(request: Request, vote_id: FromPath[int]) -> Any:
    need(request.user, "my_votes", write=True)
    form = await request.form()
    try:
        await ballots.cast_as_resident(request.user, vote_id, form.get("choice"), ip=client_ip(request))
    except (Invalid, Conflict) as e:
        _ = translator(locale_of(request))
        return await _my_vote_page(request, vote_id, status_code=e.status,
                                   errors={k: _(v) for k, v in e.errors.items()}, message=_(e.message))
    return Redirect(f"/my/votes/{vote_id}?done=1", status_code=303)


# ---------------------------------------------------------------- photos of what is decided

def _photo(request: Request, row: dict, body: bytes) -> Response:
    from council.web.downloads import download

    return download(body, row["filename"], row["content_type"], "inline")


@get("/v/{token:str}/photos/{attachment_id:int}")
async def link_photo(request: Request, token: FromPath[str], attachment_id: FromPath[int]) -> Response:
    """The images of the case the link's vote decides: whoever holds the letter may see them."""
    vote, _voter, _ballot = await ballots.voter_for_token(token)
    return _photo(request, *await dossier.photo(vote, attachment_id, request.app.state.settings.upload_dir))


@get("/my/votes/{vote_id:int}/photos/{attachment_id:int}", guards=[signed_in])
async def my_vote_photo(request: Request, vote_id: FromPath[int], attachment_id: FromPath[int]) -> Response:
    need(request.user, "my_votes")
    vote, _voter = await ballots.resident_voter(request.user, vote_id)
    return _photo(request, *await dossier.photo(vote, attachment_id, request.app.state.settings.upload_dir))


PAGE_ROUTES: list = [link_photo, my_vote_photo, vote_list, vote_new, vote_create, vote_page, vote_action, letters_pdf, notice_page, notice_pdf,
                     link_page, link_vote, my_votes, my_vote, my_vote_cast]
API_ROUTES: list = []
__all__ = ["PAGE_ROUTES", "API_ROUTES", "DomainError"]
