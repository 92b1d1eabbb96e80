"""Request and response bodies of the reception API (/api/v1/reception …).

Request bodies forbid unknown fields, so a misspelt field is a 400 rather than silently ignored.
Everything the desk's use cases check (a topic given, an answer for "answered", a category for a
new case, the station served …) is still checked there, with a 422 naming the fields.
Phones are always masked in answers ("138****5678").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

# ---------------------------------------------------------------- requests


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


def as_data(body: msgspec.Struct | None) -> dict[str, Any]:
    """The fields the client sent (None = not sent), as the plain dict the use cases read."""
    if body is None:
        return {}
    return {k: v for k, v in msgspec.structs.asdict(body).items() if v is not None}


class VisitIn(_In):
    """A visitor arrives. The visitor is a known resident (`person`), or added quickly (`new_name`,
    and `new_phone` only with `contact_consent`), or just a name (`visitor_name`). Without
    `outcome` the visit waits in the queue with the next number; with it, it is finished at once
    (the outcome fields are those of VisitActionIn's `finish`)."""

    topic: str
    station: int | None = None  # defaults to the principal's only station
    day: dt.date | None = None  # defaults to the station's today
    person: int | None = None
    visitor_name: str | None = None
    new_name: str | None = None
    new_phone: str | None = None
    contact_consent: bool | None = None
    unit: int | None = None
    unit_number: str | None = None  # e.g. "3-1502", looked up in the station's estates
    estate: int | None = None  # which estate `unit_number` is in, when several have it
    category: str | None = None  # a case category code of the station
    detail: str | None = None
    # finished at once:
    outcome: str | None = None  # answered / case / news
    answer: str | None = None  # answered: the answer given; news: the update given
    case_kind: str | None = None  # case: request / proposal / dispute
    case_title: str | None = None  # case: defaults to the topic
    case: int | None = None  # news: the case asked about (or `case_number`)
    case_number: str | None = None
    organisation: int | None = None  # a new request: dispatched at once to this organisation
    mediator: int | None = None  # a new dispute: its mediation file opened and led by this mediator
    handover_note: str | None = None
    priority: str | None = None
    version: int | None = None


class VisitActionIn(_In):
    """The body of a move on a visit; every field is optional and only some apply to each action.

    - call, requeue, left, discard: `version`;
    - finish: `outcome` (answered / case / news) with `answer`, `case_kind`, `case_title`,
      `organisation`, `mediator`, `handover_note`, `priority`, `case` or `case_number`,
      `contact_consent`; `topic`, `category` and `detail` may be corrected; `version`;
    - confirm (a grid-group draft into the queue): `topic`, `category`, `person`, `version`.

    `version` is the visit's version you read: a visit changed since is refused (409). A field
    that does not apply to the action is refused (422)."""

    version: int | None = None
    outcome: str | None = None
    answer: str | None = None
    case_kind: str | None = None
    case_title: str | None = None
    case: int | None = None
    case_number: str | None = None
    organisation: int | None = None
    mediator: int | None = None
    handover_note: str | None = None
    priority: str | None = None
    contact_consent: bool | None = None
    topic: str | None = None
    category: str | None = None
    detail: str | None = None
    person: int | None = None


class GridPasteIn(_In):
    """Messages copied from a grid's WeChat group: "name: message" lines, with or without times."""

    text: str
    station: int | None = None
    day: dt.date | None = None


class ExceptionIn(_In):
    """A regular reception day cancelled, or moved (`moved_to`, with its hours HH:MM)."""

    day: dt.date
    kind: str  # cancelled / moved
    station: int | None = None
    moved_to: dt.date | None = None
    start_time: str | None = None  # HH:MM
    end_time: str | None = None
    note: str | None = None


class RosterMemberIn(_In):
    """A staff user of the station (`user`), or a volunteering party member (`person`, or a `name`)."""

    station: int | None = None
    user: int | None = None
    person: int | None = None
    name: str | None = None


class SwapIn(_In):
    """Ask for `in_member` to take `out_member`'s duty in the week of `week` (and `out_member`
    to take theirs in `return_week`, when given)."""

    week: dt.date
    out_member: int
    in_member: int
    station: int | None = None
    return_week: dt.date | None = None
    reason: str | None = None


class SwapDecisionIn(_In):
    approve: bool
    version: int | None = None


# ---------------------------------------------------------------- responses


class ReceptionCreated(msgspec.Struct, kw_only=True):
    id: int


class VisitOut(msgspec.Struct, kw_only=True):
    id: int
    station: int
    day: dt.date
    number: int | None  # the queue number; none for a grid-group draft
    ticket: str  # the number as called out: "007"
    status: str  # draft / waiting / called / done / left
    source: str  # desk / grid_group
    arrived_at: dt.datetime | None
    person: int | None
    visitor_name: str
    phone: str  # the visitor's phone, masked
    topic: str
    category: str
    detail: str
    sender: str  # grid group: who wrote the message
    message: str
    message_time: str
    called_at: dt.datetime | None
    done_at: dt.datetime | None
    outcome: str  # answered / case / news, once done
    answer: str
    case: int | None  # the case opened, or the case the news was about
    case_kind: str
    organisation: int | None  # a new request dispatched to
    mediator: int | None  # a new dispute handed to
    # The dispute's mediation file, for readers who may open mediation files (mediators, the
    # secretariat, admins); null for everybody else, even when the file exists.
    mediation_file: int | None = None
    mediation_number: str | None = None
    version: int


class VisitorOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    phone: str  # masked
    units: list[str]


class GridPasteOut(msgspec.Struct, kw_only=True):
    created: int
    skipped: int  # lines that were not messages (recalls, system notices, blank lines)
    ids: list[int]


class ReceptionDayOut(msgspec.Struct, kw_only=True):
    day: dt.date
    start: str  # HH:MM
    end: str
    moved_from: dt.date | None  # a regular day moved here


class DutyMemberOut(msgspec.Struct, kw_only=True):
    id: int
    name: str


class DutyWeekOut(msgspec.Struct, kw_only=True):
    week: dt.date  # its Monday
    members: list[DutyMemberOut]


class ScheduleOut(msgspec.Struct, kw_only=True):
    station: int
    days: list[ReceptionDayOut]
    duty: list[DutyWeekOut]


class SwapOut(msgspec.Struct, kw_only=True):
    id: int
    status: str  # approved / refused


class ReportRowOut(msgspec.Struct, kw_only=True):
    ticket: str
    arrived: str  # HH:MM, the station's time
    who: str
    phone: str  # masked
    unit: str
    topic: str
    category: str  # the category's label
    status: str
    outcome: str
    answer: str
    case_number: str
    case_kind: str
    source: str


class DayReportOut(msgspec.Struct, kw_only=True):
    """The day's report. The by_… lists are [label, count] pairs."""

    station_id: int
    station_name: str
    day: dt.date
    weekday: int  # 0 = Monday
    hours: str  # "14:00–17:00", empty when it is not a reception day
    reception_day: bool
    duty: list[str]
    visitors: int
    done: int
    waiting: int
    left: int
    answered: int
    cases_opened: int
    news: int
    by_category: list[tuple[str, int]]
    by_outcome: list[tuple[str, int]]
    by_case_kind: list[tuple[str, int]]
    answers: list[ReportRowOut]
    cases: list[ReportRowOut]
    rows: list[ReportRowOut]


class PeriodOut(msgspec.Struct, kw_only=True):
    """See council.reception.report for what each figure counts."""

    first: dt.date
    last: dt.date
    reception_days: int
    visitors: int
    answers_given: int
    services_provided: int
    cases_opened_at_reception: int
    cases_opened: int
    cases_closed: int


class TotalsOut(msgspec.Struct, kw_only=True):
    station_id: int
    station_name: str
    kind: str  # week / month / year
    day: dt.date
    periods: list[PeriodOut]  # newest first
