"""Meetings: the meeting, its invited parties, agenda, busy blocks, minutes and frozen minutes versions."""

from piccolo.columns import JSON, Boolean, Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.accounts.tables import User
from council.cases.tables import Case
from council.parties.tables import Organisation
from council.people.tables import Person
from council.places.tables import Community
from council.stations.tables import Room, Station
from council.votes.tables import Vote

R = OnDelete.restrict


class Meeting(Table, tablename="meeting"):
    station = ForeignKey(Station, null=False, on_delete=R)
    community = ForeignKey(Community, null=False, on_delete=R)
    kind = Varchar(length=20, required=True)  # council.meetings.statemachine.KINDS
    title = Varchar(length=200, required=True)
    room = ForeignKey(Room, null=True, on_delete=R)
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    chair = ForeignKey(User, null=True, on_delete=R)
    recorder = ForeignKey(User, null=True, on_delete=R)
    state = Varchar(length=20, default="planned")
    reason = Text(default="")  # why it was last cancelled or rescheduled
    forced = Boolean(default=False)  # saved over a conflict by a secretary (audited)
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()
    version = Integer(default=1)


class MeetingParty(Table, tablename="meeting_party"):
    """One invitation: an organisation (with its delegates), a staff member or a resident."""

    meeting = ForeignKey(Meeting, null=False, on_delete=R)
    party_key = Varchar(length=30, required=True)  # "org:12" / "user:3" / "person:7" (busy keys)
    organisation = ForeignKey(Organisation, null=True, on_delete=R)
    person = ForeignKey(Person, null=True, on_delete=R)
    user = ForeignKey(User, null=True, on_delete=R)
    name = Varchar(length=120, default="")  # the party's name when invited, for the minutes
    delegates = Text(default="")  # names, one a line, of who the organisation sends
    required = Boolean(default=True)
    response = Varchar(length=12, default="pending")  # pending / accepted / declined / delegated
    response_note = Text(default="")
    responded_at = Timestamptz(null=True, default=None)
    attendance = Varchar(length=12, default="")  # "" / present / absent / represented
    represented_by = Varchar(length=100, default="")
    version = Integer(default=1)


class AgendaItem(Table, tablename="meeting_agenda_item"):
    meeting = ForeignKey(Meeting, null=False, on_delete=R)
    position = Integer(default=1)
    title = Varchar(length=200, required=True)
    case = ForeignKey(Case, null=True, on_delete=R)
    vote = ForeignKey(Vote, null=True, on_delete=R)
    minutes = Integer(default=15)  # the time box
    version = Integer(default=1)


class BusyBlock(Table, tablename="meeting_busy_block"):
    """Time someone (or a room) is busy, entered by hand or imported from an .ics file."""

    station = ForeignKey(Station, null=False, on_delete=R)
    who = Varchar(length=30, required=True)  # a busy key: "org:12", "user:3", "room:4"
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    label = Varchar(length=200, default="")
    source = Varchar(length=10, default="manual")  # manual / ics
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()


class Minutes(Table, tablename="meeting_minutes"):
    """The working draft: one per meeting, edited under optimistic locking (version)."""

    meeting = ForeignKey(Meeting, null=False, on_delete=R)
    # {"items": {"<agenda id>": {"discussion", "decisions", "actions": [{"what","who","due"}]}},
    #  "notes": "", "signatories": ""}
    content = JSON(default="{}")
    updated_by = ForeignKey(User, null=True, on_delete=R)
    updated_at = Timestamptz()
    version = Integer(default=1)


class MinutesVersion(Table, tablename="meeting_minutes_version"):
    """An approved, frozen version: the full snapshot, its SHA-256, and the PDF as it was printed."""

    meeting = ForeignKey(Meeting, null=False, on_delete=R)
    number = Integer(default=1)
    snapshot = JSON(default="{}")
    content_hash = Varchar(length=64, required=True)
    reason = Text(default="")  # why this correction was made (empty for the first version)
    approved_by = ForeignKey(User, null=True, on_delete=R)
    approved_at = Timestamptz()
    pdf = Bytea(null=True, default=None)
    pdf_sha256 = Varchar(length=64, default="")


class CalendarFeed(Table, tablename="meeting_calendar_feed"):
    """A secret feed URL for a user's or an organisation's meetings (no login). Stored hashed."""

    user = ForeignKey(User, null=True, on_delete=R)
    organisation = ForeignKey(Organisation, null=True, on_delete=R)
    token_hash = Varchar(length=64, required=True)
    prefix = Varchar(length=12, default="")
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
