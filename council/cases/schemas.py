"""Request and response bodies of the cases API (/api/v1/cases …).

Request bodies forbid unknown fields, so a misspelt field is a 400 rather than silently ignored.
Money is always a string with at most two decimals ("1200.50"): floats are not exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar.datastructures import UploadFile

# ---------------------------------------------------------------- requests


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class CaseCreate(_In):
    """Register a concern. A resident's own concern: `reporter` and `station` are filled in for them."""

    kind: str  # proposal / request / dispute
    title: str
    category: str
    channel: str | None = None  # defaults to "online" for a resident
    station: int | None = None  # defaults to the principal's only station
    description: str = ""
    estate: int | None = None
    building: int | None = None
    unit: int | None = None
    reporter: int | None = None  # a resident (Person id); none: anonymous
    contact_consent: bool = False
    priority: str = "normal"


class MoveIn(_In):
    """A move through the six steps (proposal) or the closed loop (request).

    proposal actions: accept, reject, answer, choose_option, complete_plan, decide_funding,
    record_vote, record_evaluation, skip, skip_vote (decide only, with `no_vote_needed` true: a
    matter that needs no residents' vote; the case then says 未经表决). request actions: dispatch (organisation), accept,
    send_back, report (report), reject_report, close, rate (rating, comment), convert.
    `version` is the case's version you read: a move on a case changed since is refused (409).
    """

    action: str
    reason: str = ""
    version: int | None = None
    no_vote_needed: bool = False
    organisation: int | None = None
    report: str = ""
    rating: str | None = None
    comment: str = ""


class OpinionIn(_In):
    stance: str  # for / against / neutral
    text: str
    person: int | None = None
    organisation: int | None = None


class OptionIn(_In):
    title: str
    description: str = ""


class TaskIn(_In):
    what: str
    organisation: int | None = None
    responsible: str = ""
    due_date: dt.date | None = None


class TaskUpdate(_In):
    status: str  # open / in_progress / done / cancelled (cancelling needs the reason in note)
    note: str = ""
    evidence: str = ""
    version: int | None = None


class BudgetLineIn(_In):
    item: str
    amount: str  # yuan, e.g. "1200.50"


class FundingSourceIn(_In):
    source: str  # maintenance_fund / estate_revenue / property_manager / residents_pledges / …
    amount: str
    note: str = ""


class FundingNotNeededIn(_In):
    not_needed: bool = True
    reason: str = ""


class PledgeIn(_In):
    unit: int
    amount: str


class RatingIn(_In):
    rating: str  # satisfied / basically_satisfied / unsatisfied
    unit: int
    comment: str = ""


class VoteIn(_In):
    """The decide step takes its result from a closed vote linked to the proposal: give the vote's
    number. `vote_ref` is read as a vote number only; `result` exists to be refused — a result is
    copied from the vote, never entered by hand (422 naming the rule)."""

    vote: int | None = None
    vote_ref: str = ""
    result: str = ""
    version: int | None = None


class NoteIn(_In):
    text: str


class ChaseIn(_In):
    text: str = ""


class EscalateIn(_In):
    reason: str


class ExtensionIn(_In):
    days: int
    reason: str


class ExtensionDecisionIn(_In):
    approve: bool
    reason: str = ""


class AttachmentUpload(msgspec.Struct, kw_only=True):
    """multipart/form-data with one part named `file` (JPEG, PNG, WebP, HEIC or PDF; at most 10 MB)."""

    file: UploadFile


# ---------------------------------------------------------------- responses


class Created(msgspec.Struct, kw_only=True):
    id: int


class CaseCreated(msgspec.Struct, kw_only=True):
    id: int
    number: str


class CaseSummary(msgspec.Struct, kw_only=True):
    id: int
    number: str
    kind: str
    title: str
    category: str
    channel: str
    state: str
    priority: str
    due_date: dt.date | None
    escalation: str
    created_at: dt.datetime
    station: int
    estate_name: str | None
    organisation_name: str | None


class CasePage(msgspec.Struct, kw_only=True):
    items: list[CaseSummary]
    total: int
    page: int
    per_page: int
    # True when a search stopped counting at its cap: there are at least `total` matches.
    total_at_least: bool = False


class MoveOut(msgspec.Struct, kw_only=True):
    id: int
    state: str
    version: int
    proposal_id: int | None = None  # convert: the proposal the request continues as


class OpinionOut(msgspec.Struct, kw_only=True):
    id: int
    stance: str
    text: str
    person: int | None
    person_name: str | None  # masked (surname only) for readers who are not staff of the station
    organisation: int | None
    organisation_name: str | None
    created_at: dt.datetime


class OptionOut(msgspec.Struct, kw_only=True):
    id: int
    title: str
    description: str
    preferred: bool


class TaskOut(msgspec.Struct, kw_only=True):
    id: int
    case: int
    what: str
    organisation: int | None
    organisation_name: str | None
    responsible: str
    due_date: dt.date | None
    status: str
    evidence: str
    source: str
    cancel_reason: str = ""
    version: int


class MyTaskOut(msgspec.Struct, kw_only=True):
    task: TaskOut
    case_number: str
    case_title: str
    case_state: str


class BudgetLineOut(msgspec.Struct, kw_only=True):
    id: int
    item: str
    amount: str


class FundingSourceOut(msgspec.Struct, kw_only=True):
    id: int
    source: str
    amount: str
    note: str


class CoverageOut(msgspec.Struct, kw_only=True):
    """Exact decimals as strings. `covered`: the funding reaches the budget."""

    budget: str
    funded: str
    shortfall: str
    covered: bool
    funding_not_needed: bool


class PledgeOut(msgspec.Struct, kw_only=True):
    id: int
    unit: int
    unit_label: str
    amount: str


class RatingOut(msgspec.Struct, kw_only=True):
    id: int
    unit: int | None
    unit_label: str | None
    rating: str
    comment: str
    created_at: dt.datetime


class SatisfactionOut(msgspec.Struct, kw_only=True):
    """(satisfied + basically satisfied) / all ratings, shown with its raw counts.

    `fraction` is "a/b" from the raw counts (not reduced); `percent` is rounded half up to one
    decimal; both are null when there are no ratings.
    """

    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    total: int
    fraction: str | None
    percent: str | None


class ExtensionOut(msgspec.Struct, kw_only=True):
    id: int
    days: int
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None


class AttachmentOut(msgspec.Struct, kw_only=True):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime
    url: str


class CaseDetail(msgspec.Struct, kw_only=True):
    id: int
    number: str
    kind: str
    title: str
    description: str
    category: str
    channel: str
    priority: str
    state: str
    station: int
    community: int
    estate: int | None
    estate_name: str | None
    building: int | None
    building_number: str | None
    unit: int | None
    unit_number: str | None
    reporter: int | None
    reporter_name: str | None  # full for staff of the station and the reporter; masked otherwise
    reporter_phone: str | None  # always masked; full numbers through /people/{id}/reveal (logged)
    contact_consent: bool
    organisation: int | None
    organisation_name: str | None
    limit_days: int | None
    due_date: dt.date | None
    overdue: bool
    escalation: str
    funding_not_needed: bool
    vote_ref: str
    vote_result: str  # "" / passed / failed (copied from the closed vote) / unvoted (未经表决: the vote was skipped)
    converted_from: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    version: int
    # Moves the state machine would take now, and this principal may make. Moves that need
    # input (dispatch: an organisation, report: a text, rate: a rating) are listed when that
    # input is all they lack.
    allowed_actions: list[str]
    opinions: list[OpinionOut]
    options: list[OptionOut]
    tasks: list[TaskOut]
    budget_lines: list[BudgetLineOut]
    funding_sources: list[FundingSourceOut]
    coverage: CoverageOut
    pledges: list[PledgeOut]
    pledged_total: str
    ratings: list[RatingOut]
    satisfaction: SatisfactionOut
    extensions: list[ExtensionOut]
    attachments: list[AttachmentOut]


class EventOut(msgspec.Struct, kw_only=True):
    id: int
    at: dt.datetime
    kind: str
    from_state: str
    to_state: str
    text: str
    actor_label: str
    data: dict[str, Any] | None


class KindStateCount(msgspec.Struct, kw_only=True):
    kind: str
    state: str
    count: int


class MonthCount(msgspec.Struct, kw_only=True):
    month: str  # YYYY-MM, the station's local month
    received: int
    done: int


class DashboardOut(msgspec.Struct, kw_only=True):
    station: int
    by_kind_state: list[KindStateCount]
    received_month: int
    done_month: int
    received_year: int
    done_year: int
    in_progress: int
    overdue: int
    avg_days_to_close: float | None
    closed_count: int
    satisfaction: SatisfactionOut
    months: list[MonthCount]
    # From 1 November: the coming year while its State Council holiday arrangement is not loaded
    # (deadlines running into it count only the statutory days known in advance); else null.
    calendar_missing: int | None = None
