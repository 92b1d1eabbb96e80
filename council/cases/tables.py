"""Cases: every concern a resident brings, from intake until it is closed.

One `case` row per concern (proposal, request or dispute), numbered per station and year.
Everything that happens is a `case_event` on its timeline. Step data for proposals (opinions,
options, tasks, budget, funding, pledges, ratings) and for requests (extensions) hang off it.
"""

from piccolo.columns import (
    JSON, BigInt, Boolean, Date, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.accounts.tables import User
from council.parties.tables import Organisation
from council.people.tables import Person
from council.places.tables import Building, Community, Estate, Unit
from council.stations.tables import Station

R = OnDelete.restrict


class StationCategory(Table, tablename="station_category"):
    """A station's list of case categories, each with its time limit in working days."""

    station = ForeignKey(Station, null=False, on_delete=R)
    code = Varchar(length=40, required=True)
    label = Varchar(length=60, required=True)
    limit_days = Integer(default=5)
    position = Integer(default=0)
    active = Boolean(default=True)
    version = Integer(default=1)


class StationHoliday(Table, tablename="station_holiday"):
    """Days off on weekdays (holiday) and weekend days worked (makeup), per station."""

    station = ForeignKey(Station, null=False, on_delete=R)
    day = Date()
    kind = Varchar(length=10, default="holiday")  # holiday / makeup
    note = Varchar(length=60, default="")
    version = Integer(default=1)


class HolidayYear(Table, tablename="holiday_year"):
    """A year's national holiday arrangement loaded with `council calendar load` (it replaces what
    the chinese-calendar library or a shipped file says for that year)."""

    year = Integer(required=True)  # unique
    source = Varchar(length=300, default="")  # the State Council notice it comes from
    provisional = Boolean(default=False)
    loaded_at = Timestamptz()
    loaded_by = Varchar(length=100, default="")


class NationalHoliday(Table, tablename="national_holiday"):
    """The days of a loaded year: weekdays off (holiday) and weekend days worked (makeup)."""

    year = Integer(required=True)
    day = Date()  # unique
    kind = Varchar(length=10, default="holiday")  # holiday / makeup
    note = Varchar(length=60, default="")


class CaseCounter(Table, tablename="case_counter"):
    """The last number given per station and year; incremented inside the intake transaction."""

    station = ForeignKey(Station, null=False, on_delete=R)
    year = Integer(required=True)
    last = Integer(default=0)


class Case(Table, tablename="case_file"):
    station = ForeignKey(Station, null=False, on_delete=R)
    community = ForeignKey(Community, null=False, on_delete=R)
    number = Varchar(length=40, required=True)  # PREFIX-2026-0015, unique
    kind = Varchar(length=20, required=True)  # proposal / request / dispute
    title = Varchar(length=200, required=True)
    description = Text(default="")
    category = Varchar(length=40, required=True)
    channel = Varchar(length=30, required=True)
    estate = ForeignKey(Estate, null=True, on_delete=R)
    building = ForeignKey(Building, null=True, on_delete=R)
    unit = ForeignKey(Unit, null=True, on_delete=R)
    reporter = ForeignKey(Person, null=True, on_delete=R)  # None: anonymous
    contact_consent = Boolean(default=False)
    priority = Varchar(length=10, default="normal")
    state = Varchar(length=20, required=True)
    organisation = ForeignKey(Organisation, null=True, on_delete=R)  # request: dispatched to
    limit_days = Integer(null=True, default=None)
    due_date = Date(null=True, default=None)
    escalation = Varchar(length=20, default="")  # "" / street / district
    funding_not_needed = Boolean(default=False)
    vote_ref = Varchar(length=60, default="")  # decide: the linked vote
    vote_result = Varchar(length=10, default="")  # passed / failed
    converted_from = ForeignKey("self", null=True, on_delete=R)
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    # Kept with the row so the dashboard groups and averages from an index alone, without
    # computing dates over every case: local (UTC+8) months as YYYYMM, and minutes to close.
    created_month = Integer(default=0)
    closed_month = Integer(null=True, default=None)
    close_minutes = Integer(null=True, default=None)
    version = Integer(default=1)


class CaseEvent(Table, tablename="case_event"):
    case = ForeignKey(Case, null=False, on_delete=R)
    at = Timestamptz()
    actor = ForeignKey(User, null=True, on_delete=R)
    actor_label = Varchar(length=100, default="")
    kind = Varchar(length=30, required=True)  # created / moved / note / dispatched / chased / escalated / …
    from_state = Varchar(length=20, default="")
    to_state = Varchar(length=20, default="")
    text = Text(default="")
    data = JSON(null=True, default=None)


class Attachment(Table, tablename="case_attachment"):
    case = ForeignKey(Case, null=False, on_delete=R)
    filename = Varchar(length=200, required=True)
    content_type = Varchar(length=100, required=True)
    size = BigInt(default=0)
    sha256 = Varchar(length=64, required=True)
    stored_as = Varchar(length=200, required=True)  # a random name under the data dir, never the client's
    uploaded_by = ForeignKey(User, null=True, on_delete=R)
    uploaded_at = Timestamptz()


class Opinion(Table, tablename="case_opinion"):
    case = ForeignKey(Case, null=False, on_delete=R)
    person = ForeignKey(Person, null=True, on_delete=R)
    organisation = ForeignKey(Organisation, null=True, on_delete=R)
    stance = Varchar(length=10, required=True)  # for / against / neutral
    text = Text(default="")
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()


class Option(Table, tablename="case_option"):
    case = ForeignKey(Case, null=False, on_delete=R)
    title = Varchar(length=200, required=True)
    description = Text(default="")
    preferred = Boolean(default=False)


class Task(Table, tablename="case_task"):
    case = ForeignKey(Case, null=False, on_delete=R)
    what = Varchar(length=300, required=True)
    organisation = ForeignKey(Organisation, null=True, on_delete=R)
    responsible = Varchar(length=100, default="")  # a person's name when not an organisation
    due_date = Date(null=True, default=None)
    status = Varchar(length=20, default="open")  # open / in_progress / done / cancelled
    evidence = Text(default="")
    cancel_reason = Text(default="")  # why a cancelled task was dropped; required to cancel
    source = Varchar(length=60, default="")  # e.g. minutes:12 when a meeting's action item made it
    version = Integer(default=1)


class BudgetLine(Table, tablename="case_budget_line"):
    case = ForeignKey(Case, null=False, on_delete=R)
    item = Varchar(length=200, required=True)
    amount = Numeric(digits=(12, 2), required=True)


class FundingSource(Table, tablename="case_funding_source"):
    case = ForeignKey(Case, null=False, on_delete=R)
    source = Varchar(length=30, required=True)
    amount = Numeric(digits=(12, 2), required=True)
    note = Varchar(length=200, default="")


class Pledge(Table, tablename="case_pledge"):
    case = ForeignKey(Case, null=False, on_delete=R)
    unit = ForeignKey(Unit, null=False, on_delete=R)
    amount = Numeric(digits=(12, 2), required=True)


class Rating(Table, tablename="case_rating"):
    """Evaluation of a proposal (per household) or a request (the reporter's rating)."""

    case = ForeignKey(Case, null=False, on_delete=R)
    unit = ForeignKey(Unit, null=True, on_delete=R)
    rating = Varchar(length=20, required=True)  # satisfied / basically_satisfied / unsatisfied
    comment = Text(default="")
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()


class Extension(Table, tablename="case_extension"):
    case = ForeignKey(Case, null=False, on_delete=R)
    days = Integer(required=True)
    reason = Text(default="")
    status = Varchar(length=10, default="pending")  # pending / approved / refused
    requested_by = ForeignKey(User, null=True, on_delete=R)
    requested_at = Timestamptz()
    decided_by = ForeignKey(User, null=True, on_delete=R)
    decided_at = Timestamptz(null=True, default=None)
