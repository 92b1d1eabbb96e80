"""/api/v1 for cases: everything the case pages do, as JSON (bearer tokens only).

Handlers stay thin: parse, call a use case (which validates, checks role and station, writes and
audits in one transaction), shape the answer. Errors become problem+json in council.web.errors.
"""

from __future__ import annotations

import datetime as dt

from typing import Annotated

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from council.cases import attachments, detail, export, intake, proposals, queries, requests, timeline, worklists
from council.cases import schemas as s
from council.cases.calendar_store import today
from council.cases.common import load_case
from council.cases.queries import CaseFilter
from council.cases.tables import Task
from council.web.downloads import serve_upload
from council.core.errors import Forbidden, Invalid
from council.web.guards import client_ip, signed_in
from council.web.rendering import locale_of, translator

TAGS = ["Cases"]
G = [signed_in]


def _refuse(*roles: str):
    """A guard with the same role rule as the matching page, checked before any body is read."""
    def guard(connection, _) -> None:
        user = connection.scope.get("user")
        if user is not None and user.role in roles:
            raise Forbidden()

    return guard


# As on the pages: residents have no deadlines to chase and do not export; liaisons receive
# cases but never register one (policy.can_register).
NOT_RESIDENT = [signed_in, _refuse("resident")]
NOT_LIAISON = [signed_in, _refuse("department_liaison")]
CASE = "/cases/{case_id:int}"


def _money(value) -> str:
    return f"{value:.2f}"


def _upload_dir(request: Request):
    return request.app.state.settings.upload_dir


# ---------------------------------------------------------------- the list and its filters

async def case_filter(
    # `state` is a name Litestar reserves for the application state, hence the alias.
    state_: Annotated[str, QueryParameter(name="state")] = "", kind: FromQuery[str] = "", category: FromQuery[str] = "",
    channel: FromQuery[str] = "", estate: FromQuery[int | None] = None, organisation: FromQuery[int | None] = None,
    station: FromQuery[int | None] = None, overdue: FromQuery[bool] = False, q: FromQuery[str] = "",
    page: FromQuery[int] = 1, mine: FromQuery[bool] = False,
    # The overview's drill-down (council.oversight): received or closed in a period, a community,
    # done, still open, done on time, rated ("any" or "good").
    received_from: FromQuery[dt.date | None] = None, received_to: FromQuery[dt.date | None] = None,
    closed_from: FromQuery[dt.date | None] = None, closed_to: FromQuery[dt.date | None] = None,
    community: FromQuery[int | None] = None, done: FromQuery[bool] = False,
    open_: Annotated[bool, QueryParameter(name="open")] = False, on_time: FromQuery[bool] = False,
    rated: FromQuery[str] = "",
) -> CaseFilter:
    """The case list's filters, the same as the list page's (CaseFilter)."""
    if page < 1:
        raise Invalid("Enter a whole number of at least 1.", field="page")
    if rated not in ("", "any", "good"):
        raise Invalid("Choose one of the listed options.", field="rated")
    return CaseFilter(state=state_.strip()[:20], kind=kind.strip()[:20], category=category.strip()[:40],
                      channel=channel.strip()[:30], estate=estate, organisation=organisation, station=station,
                      overdue=overdue, q=q.strip()[:100], page=page, mine=mine, received_from=received_from,
                      received_to=received_to, closed_from=closed_from, closed_to=closed_to, community=community,
                      done=done, open=open_, on_time=on_time, rated=rated)


FILTERS = {"case_filter": Provide(case_filter)}


def summary(r: dict) -> s.CaseSummary:
    return s.CaseSummary(
        id=r["id"], number=r["number"], kind=r["kind"], title=r["title"], category=r["category"],
        channel=r["channel"], state=r["state"], priority=r["priority"], due_date=r["due_date"],
        escalation=r["escalation"], created_at=r["created_at"], station=r["station"],
        estate_name=r["estate_name"], organisation_name=r["organisation_name"],
    )


def case_page(rows: list[dict], total: int, page: int) -> s.CasePage:
    return s.CasePage(items=[summary(r) for r in rows], total=int(total), page=page, per_page=queries.PER_PAGE,
                      total_at_least=isinstance(total, queries.AtLeast))


@get("/cases", guards=G, tags=TAGS, dependencies=FILTERS, summary="List cases (filtered, paginated)")
async def list_cases_api(request: Request, case_filter: NamedDependency[CaseFilter]) -> s.CasePage:
    rows, total = await queries.list_cases(request.user, case_filter)
    return case_page(rows, total, case_filter.page)


@get("/cases/overdue", guards=NOT_RESIDENT, tags=TAGS, summary="Requests past their deadline and still open")
async def overdue_api(request: Request, page: FromQuery[int] = 1) -> s.CasePage:
    f = CaseFilter(overdue=True, page=max(page, 1))
    rows, total = await queries.list_cases(request.user, f)
    return case_page(rows, total, f.page)


@get("/cases/export", guards=NOT_RESIDENT, tags=TAGS, dependencies=FILTERS, media_type="text/csv",
     summary="Export the filtered list as CSV or XLSX (no reporter names or phone numbers)")
async def export_api(request: Request, case_filter: NamedDependency[CaseFilter], format: FromQuery[str] = "csv") -> Response:
    _ = translator(locale_of(request))
    content, media_type = await export.export_cases(request.user, case_filter, format, _, ip=client_ip(request))
    name = f"cases-{today():%Y%m%d}.{format}"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@get("/inbox", guards=G, tags=TAGS, summary="A department liaison's inbox: the cases dispatched to their organisation")
async def inbox_api(request: Request, page: FromQuery[int] = 1) -> s.CasePage:
    rows, total = await worklists.inbox(request.user, page)
    return case_page(rows, total, max(page, 1))


def task_out(t: dict) -> s.TaskOut:
    return s.TaskOut(id=t["id"], case=t["case"], what=t["what"], organisation=t["organisation"],
                     organisation_name=t.get("organisation_name"), responsible=t["responsible"],
                     due_date=t["due_date"], status=t["status"], evidence=t["evidence"], source=t["source"],
                     cancel_reason=t.get("cancel_reason") or "", version=t["version"])


@get("/my/tasks", guards=G, tags=TAGS, summary="Unfinished tasks at my stations (a liaison: of my organisation)")
async def my_tasks_api(request: Request) -> list[s.MyTaskOut]:
    return [s.MyTaskOut(task=task_out(t), case_number=t["case_number"], case_title=t["case_title"],
                        case_state=t["case_state"]) for t in await worklists.my_tasks(request.user)]


# ---------------------------------------------------------------- one case

@post("/cases", guards=NOT_LIAISON, tags=TAGS, status_code=HTTP_201_CREATED,
      summary="Register a concern (a resident registers their own)")
async def create_case_api(request: Request, data: JSONBody[s.CaseCreate]) -> s.CaseCreated:
    values = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    made = await intake.register_case(request.user, values, ip=client_ip(request))
    return s.CaseCreated(id=made["id"], number=made["number"])


def satisfaction_out(sat: detail.Satisfaction) -> s.SatisfactionOut:
    return s.SatisfactionOut(satisfied=sat.satisfied, basically_satisfied=sat.basically_satisfied,
                             unsatisfied=sat.unsatisfied, total=sat.total, fraction=sat.fraction, percent=sat.percent)


def attachment_out(case_id: int, a: dict) -> s.AttachmentOut:
    return s.AttachmentOut(id=a["id"], filename=a["filename"], content_type=a["content_type"], size=a["size"],
                           sha256=a["sha256"], uploaded_at=a["uploaded_at"],
                           url=f"/api/v1/cases/{case_id}/attachments/{a['id']}")


def detail_out(d: dict) -> s.CaseDetail:
    cov = d["coverage"]
    plain = {k: d[k] for k in (
        "id", "number", "kind", "title", "description", "category", "channel", "priority", "state", "station",
        "community", "estate", "estate_name", "building", "building_number", "unit", "unit_number", "reporter",
        "reporter_name", "reporter_phone", "contact_consent", "organisation", "organisation_name", "limit_days",
        "due_date", "overdue", "escalation", "funding_not_needed", "vote_ref", "vote_result", "converted_from",
        "created_at", "updated_at", "closed_at", "version", "allowed_actions")}
    return s.CaseDetail(
        **plain,
        opinions=[s.OpinionOut(id=o["id"], stance=o["stance"], text=o["text"], person=o["person"],
                               person_name=o["person_name"], organisation=o["organisation"],
                               organisation_name=o["organisation_name"], created_at=o["created_at"])
                  for o in d["opinions"]],
        options=[s.OptionOut(id=o["id"], title=o["title"], description=o["description"], preferred=o["preferred"])
                 for o in d["options"]],
        tasks=[task_out(t) for t in d["tasks"]],
        budget_lines=[s.BudgetLineOut(id=b["id"], item=b["item"], amount=_money(b["amount"])) for b in d["budget_lines"]],
        funding_sources=[s.FundingSourceOut(id=f["id"], source=f["source"], amount=_money(f["amount"]), note=f["note"])
                         for f in d["funding_sources"]],
        coverage=s.CoverageOut(budget=_money(cov.budget), funded=_money(cov.funded), shortfall=_money(cov.shortfall),
                               covered=cov.covered, funding_not_needed=d["funding_not_needed"]),
        pledges=[s.PledgeOut(id=p["id"], unit=p["unit"], unit_label=f"{p['estate_name']} {p['unit_label']}",
                             amount=_money(p["amount"])) for p in d["pledges"]],
        pledged_total=_money(d["pledged_total"]),
        ratings=[s.RatingOut(id=r["id"], unit=r["unit"], unit_label=r["unit_label"], rating=r["rating"],
                             comment=r["comment"], created_at=r["created_at"]) for r in d["ratings"]],
        satisfaction=satisfaction_out(d["satisfaction"]),
        extensions=[s.ExtensionOut(id=e["id"], days=e["days"], reason=e["reason"], status=e["status"],
                                   requested_at=e["requested_at"], decided_at=e["decided_at"]) for e in d["extensions"]],
        attachments=[attachment_out(d["id"], a) for a in d["attachments"]],
    )


@get(CASE, guards=G, tags=TAGS, summary="Read a case with its step data and the moves you may make")
async def case_api(request: Request, case_id: FromPath[int]) -> s.CaseDetail:
    return detail_out(await detail.case_detail(request.user, case_id))


@get(f"{CASE}/timeline", guards=G, tags=TAGS, summary="The case's timeline, oldest first")
async def timeline_api(request: Request, case_id: FromPath[int]) -> list[s.EventOut]:
    return [s.EventOut(id=e["id"], at=e["at"], kind=e["kind"], from_state=e["from_state"], to_state=e["to_state"],
                       text=e["text"], actor_label=e["actor_label"],
                       data=e["data"] if isinstance(e["data"], dict) else None)
            for e in await timeline.read_timeline(request.user, case_id)]


def move_out(after: dict) -> s.MoveOut:
    return s.MoveOut(id=after["id"], state=after["state"], version=after["version"],
                     proposal_id=after.get("proposal_id"))


REQUEST_ONLY = ("organisation", "report", "rating", "comment")


@post(f"{CASE}/moves", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Move a case: a step of the six-step method (proposal) or of the closed loop (request)")
async def move_api(request: Request, case_id: FromPath[int], data: JSONBody[s.MoveIn]) -> s.MoveOut:
    p, ip = request.user, client_ip(request)
    row = await load_case(p, case_id)
    if row["kind"] == "proposal":
        extra = [n for n in REQUEST_ONLY if getattr(data, n)]
        if extra:
            raise Invalid("This field applies to requests only.",
                          errors={n: "This field applies to requests only." for n in extra})
        after = await proposals.move_proposal(p, case_id, data.action, reason=data.reason, version=data.version,
                                              no_vote_needed=data.no_vote_needed, ip=ip)
    else:
        after = await requests.move_request(p, case_id, data.action, reason=data.reason, organisation=data.organisation,
                                            report=data.report, rating=data.rating, comment=data.comment,
                                            version=data.version, ip=ip)
    return move_out(after)


async def _moved(request: Request, case_id: int) -> s.MoveOut:
    return move_out(await load_case(request.user, case_id))


# ---------------------------------------------------------------- proposal step records

@post(f"{CASE}/opinions", guards=G, tags=TAGS, summary="Record an opinion (discuss)")
async def opinion_api(request: Request, case_id: FromPath[int], data: JSONBody[s.OpinionIn]) -> s.Created:
    return s.Created(id=await proposals.add_opinion(request.user, case_id, stance=data.stance, text=data.text,
                                                    person=data.person, organisation=data.organisation,
                                                    ip=client_ip(request)))


@post(f"{CASE}/options", guards=G, tags=TAGS, summary="Add an option considered (discuss)")
async def option_api(request: Request, case_id: FromPath[int], data: JSONBody[s.OptionIn]) -> s.Created:
    return s.Created(id=await proposals.add_option(request.user, case_id, title=data.title,
                                                   description=data.description, ip=client_ip(request)))


@post(CASE + "/options/{option_id:int}/prefer", guards=G, tags=TAGS, status_code=HTTP_204_NO_CONTENT,
      summary="Mark the preferred option (discuss)")
async def prefer_api(request: Request, case_id: FromPath[int], option_id: FromPath[int]) -> None:
    await proposals.prefer_option(request.user, case_id, option_id, ip=client_ip(request))


@post(f"{CASE}/tasks", guards=G, tags=TAGS, summary="Add a task to the action plan (act)")
async def task_api(request: Request, case_id: FromPath[int], data: JSONBody[s.TaskIn]) -> s.Created:
    return s.Created(id=await proposals.add_task(request.user, case_id, what=data.what, organisation=data.organisation,
                                                 responsible=data.responsible, due=data.due_date,
                                                 ip=client_ip(request)))


@patch(CASE + "/tasks/{task_id:int}", guards=G, tags=TAGS,
       summary="Report a task's progress (send the version you read)")
async def task_update_api(request: Request, case_id: FromPath[int], task_id: FromPath[int],
                          data: JSONBody[s.TaskUpdate]) -> s.TaskOut:
    await proposals.update_task(request.user, case_id, task_id, status=data.status, note=data.note,
                                evidence=data.evidence, version=data.version, ip=client_ip(request))
    row = await Task.select(*Task.all_columns(), Task.organisation.name.as_alias("organisation_name")).where(
        Task.id == task_id).first()
    return task_out(row)


@post(f"{CASE}/budget-lines", guards=G, tags=TAGS, summary="Add a budget line in yuan (fund)")
async def budget_api(request: Request, case_id: FromPath[int], data: JSONBody[s.BudgetLineIn]) -> s.Created:
    return s.Created(id=await proposals.add_budget_line(request.user, case_id, item=data.item, amount=data.amount,
                                                        ip=client_ip(request)))


@post(f"{CASE}/funding-sources", guards=G, tags=TAGS, summary="Add a funding source (fund)")
async def funding_api(request: Request, case_id: FromPath[int], data: JSONBody[s.FundingSourceIn]) -> s.Created:
    return s.Created(id=await proposals.add_funding_source(request.user, case_id, source=data.source,
                                                           amount=data.amount, note=data.note, ip=client_ip(request)))


@post(f"{CASE}/funding-not-needed", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Record that no money is needed, with a reason (fund)")
async def funding_not_needed_api(request: Request, case_id: FromPath[int], data: JSONBody[s.FundingNotNeededIn]) -> s.MoveOut:
    await proposals.set_funding_not_needed(request.user, case_id, data.not_needed, data.reason, ip=client_ip(request))
    return await _moved(request, case_id)


@post(f"{CASE}/pledges", guards=G, tags=TAGS, summary="Record a household's pledge in yuan (fund)")
async def pledge_api(request: Request, case_id: FromPath[int], data: JSONBody[s.PledgeIn]) -> s.Created:
    return s.Created(id=await proposals.add_pledge(request.user, case_id, unit=data.unit, amount=data.amount,
                                                   ip=client_ip(request)))


@post(f"{CASE}/ratings", guards=G, tags=TAGS, summary="Record a household's rating (evaluate)")
async def rating_api(request: Request, case_id: FromPath[int], data: JSONBody[s.RatingIn]) -> s.Created:
    return s.Created(id=await proposals.add_rating(request.user, case_id, rating=data.rating, unit=data.unit,
                                                   comment=data.comment, ip=client_ip(request)))


@post(f"{CASE}/vote", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Take the result of the closed vote linked to the proposal (decide); the proposal moves on or back")
async def vote_api(request: Request, case_id: FromPath[int], data: JSONBody[s.VoteIn]) -> s.MoveOut:
    return move_out(await proposals.record_vote(request.user, case_id, vote=data.vote, vote_ref=data.vote_ref,
                                                result=data.result, version=data.version, ip=client_ip(request)))


# ---------------------------------------------------------------- request follow-up

@post(f"{CASE}/notes", guards=G, tags=TAGS, status_code=HTTP_204_NO_CONTENT, summary="Add a progress note")
async def note_api(request: Request, case_id: FromPath[int], data: JSONBody[s.NoteIn]) -> None:
    await requests.add_note(request.user, case_id, data.text, ip=client_ip(request))


@post(f"{CASE}/chase", guards=G, tags=TAGS, status_code=HTTP_204_NO_CONTENT,
      summary="Chase the handling organisation (督单)")
async def chase_api(request: Request, case_id: FromPath[int], data: JSONBody[s.ChaseIn]) -> None:
    await requests.chase(request.user, case_id, data.text, ip=client_ip(request))


@post(f"{CASE}/escalate", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Escalate to the street, then the district (提级办)")
async def escalate_api(request: Request, case_id: FromPath[int], data: JSONBody[s.EscalateIn]) -> s.MoveOut:
    return move_out(await requests.escalate(request.user, case_id, data.reason, ip=client_ip(request)))


@post(f"{CASE}/extensions", guards=G, tags=TAGS, summary="Ask for more working days, before the deadline")
async def extension_api(request: Request, case_id: FromPath[int], data: JSONBody[s.ExtensionIn]) -> s.Created:
    return s.Created(id=await requests.request_extension(request.user, case_id, data.days, data.reason,
                                                         ip=client_ip(request)))


@post(CASE + "/extensions/{extension_id:int}/decision", guards=G, tags=TAGS, status_code=HTTP_200_OK,
      summary="Approve or refuse an extension request")
async def extension_decision_api(request: Request, case_id: FromPath[int], extension_id: FromPath[int],
                                 data: JSONBody[s.ExtensionDecisionIn]) -> s.MoveOut:
    await requests.decide_extension(request.user, case_id, extension_id, data.approve, data.reason,
                                    ip=client_ip(request))
    return await _moved(request, case_id)


# ---------------------------------------------------------------- attachments

@post(f"{CASE}/attachments", guards=G, tags=TAGS, status_code=HTTP_201_CREATED,
      request_max_body_size=attachments.MAX_BYTES + 256 * 1024,  # one file plus the multipart envelope
      summary="Attach a photo or PDF (JPEG, PNG, WebP, HEIC, PDF; at most 10 MB)")
async def attachment_api(
    request: Request, case_id: FromPath[int],
    data: Annotated[s.AttachmentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> s.AttachmentOut:
    upload = data.file
    # Read one byte past the limit: enough to refuse, without holding a huge body twice.
    content = await upload.read(attachments.MAX_BYTES + 1)
    made = await attachments.add_attachment(request.user, case_id, filename=upload.filename, content=content,
                                            upload_dir=_upload_dir(request), ip=client_ip(request))
    return attachment_out(case_id, made)


@get(CASE + "/attachments/{attachment_id:int}", guards=G, tags=TAGS, media_type="application/octet-stream",
     summary="Download an attachment")
async def attachment_download_api(request: Request, case_id: FromPath[int], attachment_id: FromPath[int]) -> Response:
    from council.web.downloads import OCTET

    row, body = await attachments.open_attachment(request.user, case_id, attachment_id, _upload_dir(request))
    # Always the documented octet-stream: the API hands over bytes; their type is in the metadata.
    return serve_upload(body, row["filename"], media_type=OCTET, inline_images=False)


# ---------------------------------------------------------------- dashboard

@get("/stations/{station_id:int}/dashboard", guards=G, tags=TAGS, summary="A station's case dashboard")
async def dashboard_api(request: Request, station_id: FromPath[int]) -> s.DashboardOut:
    d = await queries.dashboard(request.user, station_id)
    return s.DashboardOut(
        station=station_id,
        by_kind_state=[s.KindStateCount(kind=k, state=st, count=n) for (k, st), n in sorted(d.by_kind_state.items())],
        received_month=d.received_month, done_month=d.done_month, received_year=d.received_year,
        done_year=d.done_year, in_progress=d.in_progress, overdue=d.overdue,
        avg_days_to_close=None if d.avg_days_to_close is None else round(d.avg_days_to_close, 1),
        closed_count=d.closed_count, satisfaction=satisfaction_out(detail.satisfaction_of(d.ratings)),
        months=[s.MonthCount(month=m, received=r, done=dn) for m, r, dn in d.months],
        calendar_missing=await _calendar_missing(),
    )


async def _calendar_missing() -> int | None:
    from council.cases.national_calendar import coming_year_missing

    return await coming_year_missing()


PAGE_ROUTES: list = []
API_ROUTES: list = [
    list_cases_api, overdue_api, export_api, inbox_api, my_tasks_api, create_case_api, case_api, timeline_api,
    move_api, opinion_api, option_api, prefer_api, task_api, task_update_api, budget_api, funding_api,
    funding_not_needed_api, pledge_api, rating_api, vote_api, note_api, chase_api, escalate_api, extension_api,
    extension_decision_api, attachment_api, attachment_download_api, dashboard_api,
]
