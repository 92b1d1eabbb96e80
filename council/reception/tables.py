"""The reception day's tables: per-station settings, exceptions to the weekly day, the duty
roster and its swaps, and the visits (the walk-in log, its queue and its drafts)."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Text, Time, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.accounts.tables import User
from council.cases.tables import Case
from council.parties.tables import Organisation
from council.people.tables import Person
from council.places.tables import Community, Unit
from council.stations.tables import Room, Station

R = OnDelete.restrict


class ReceptionSetting(Table, tablename="reception_setting"):
    """One row per station (unique): where reception happens and how the roster rotates."""

    station = ForeignKey(Station, null=False, on_delete=R)
    room = ForeignKey(Room, null=True, on_delete=R)  # None: the station's first room
    roster_anchor = Date()  # the Monday the rotation counts weeks from
    per_week = Integer(default=1)  # members on duty each week
    version = Integer(default=1)


class ReceptionException(Table, tablename="reception_exception"):
    """A regular reception day cancelled, or moved to another date (unique per station and day)."""

    station = ForeignKey(Station, null=False, on_delete=R)
    day = Date()  # the regular day it changes
    kind = Varchar(length=12, required=True)  # cancelled / moved
    moved_to = Date(null=True, default=None)
    start_time = Time(null=True, default=None)
    end_time = Time(null=True, default=None)
    note = Varchar(length=200, default="")
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()
    version = Integer(default=1)


class RosterMember(Table, tablename="reception_roster_member"):
    """Someone who takes turns at the desk: a staff user, or a volunteering party member."""

    station = ForeignKey(Station, null=False, on_delete=R)
    user = ForeignKey(User, null=True, on_delete=R)
    person = ForeignKey(Person, null=True, on_delete=R)
    name = Varchar(length=100, required=True)
    kind = Varchar(length=12, default="staff")  # staff / volunteer
    position = Integer(default=0)
    active = Boolean(default=True)
    version = Integer(default=1)


class RosterSwap(Table, tablename="reception_roster_swap"):
    station = ForeignKey(Station, null=False, on_delete=R)
    week = Date()  # the Monday of the week given away
    out_member = ForeignKey(RosterMember, null=False, on_delete=R)
    in_member = ForeignKey(RosterMember, null=False, on_delete=R)
    return_week = Date(null=True, default=None)
    reason = Text(default="")
    status = Varchar(length=10, default="pending")  # pending / approved / refused
    requested_by = ForeignKey(User, null=True, on_delete=R)
    requested_at = Timestamptz()
    decided_by = ForeignKey(User, null=True, on_delete=R)
    decided_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)


class Visit(Table, tablename="reception_visit"):
    """One visitor at one reception day; also a draft from the grid group until confirmed."""

    station = ForeignKey(Station, null=False, on_delete=R)
    community = ForeignKey(Community, null=False, on_delete=R)
    day = Date()
    number = Integer(null=True, default=None)  # queue number, unique per station and day
    status = Varchar(length=10, required=True)  # draft / waiting / called / done / left
    source = Varchar(length=12, default="desk")  # desk / grid_group
    arrived_at = Timestamptz(null=True, default=None)
    person = ForeignKey(Person, null=True, on_delete=R)
    visitor_name = Varchar(length=100, default="")  # as given, when not (yet) a known resident
    unit = ForeignKey(Unit, null=True, on_delete=R)
    topic = Varchar(length=200, default="")
    category = Varchar(length=40, default="")
    detail = Text(default="")
    sender = Varchar(length=100, default="")  # grid group: who wrote the message
    message = Text(default="")  # grid group: the message as pasted
    message_time = Varchar(length=40, default="")
    called_at = Timestamptz(null=True, default=None)
    called_by = ForeignKey(User, null=True, on_delete=R)
    done_at = Timestamptz(null=True, default=None)
    done_by = ForeignKey(User, null=True, on_delete=R)
    outcome = Varchar(length=10, default="")  # answered / case / news
    answer = Text(default="")  # answered: what was said; news: the update given
    case = ForeignKey(Case, null=True, on_delete=R)  # the case opened, or the case the news was about
    case_kind = Varchar(length=20, default="")
    organisation = ForeignKey(Organisation, null=True, on_delete=R)  # a new request dispatched to
    mediator = ForeignKey(User, null=True, on_delete=R)  # a new dispute handed to
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()
    version = Integer(default=1)


TABLES = [ReceptionSetting, ReceptionException, RosterMember, RosterSwap, Visit]
