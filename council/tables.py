"""Every Piccolo table, in dependency order (migrations create them in this order)."""

from council.accounts.tables import ApiToken, LoginThrottleEntry, Session, User, UserStation
from council.audit.tables import AuditEntry
from council.cases.tables import (
    Attachment, BudgetLine, Case, CaseCounter, CaseEvent, Extension, FundingSource, Opinion, Option, Pledge,
    Rating, StationCategory, StationHoliday, Task, HolidayYear, NationalHoliday,
)
from council.mediation.tables import TABLES as MEDIATION_TABLES
from council.meetings.tables import (
    AgendaItem, BusyBlock, CalendarFeed, Meeting, MeetingParty, Minutes, MinutesVersion,
)
from council.parties.tables import ContactPerson, Organisation
from council.people.tables import Ownership, Person, Residence
from council.reception.tables import TABLES as RECEPTION_TABLES
from council.places.tables import Building, Community, Estate, Grid, GridBuilding, Street, Unit
from council.stations.tables import Room, Station, StationEstate
from council.votes.tables import Vote, VoteBallot, VoteSecretCount, VoteVoter
from council.storage import StoredBlob
from council.notify.tables import TABLES as NOTIFY_TABLES
from council.jobs.tables import TABLES as JOB_TABLES

ALL_TABLES = [
    Street, Community, Estate, Building, Unit, Grid, GridBuilding,
    Person, Ownership, Residence,
    Organisation, ContactPerson,
    Station, StationEstate, Room,
    User, UserStation, Session, ApiToken,
    AuditEntry,
    StationCategory, StationHoliday, HolidayYear, NationalHoliday, CaseCounter, Case, CaseEvent, Attachment,
    Opinion, Option, Task, BudgetLine, FundingSource, Pledge, Rating, Extension,
    Vote, VoteVoter, VoteBallot, VoteSecretCount,
    *MEDIATION_TABLES,
    Meeting, MeetingParty, AgendaItem, BusyBlock, Minutes, MinutesVersion, CalendarFeed,
    *RECEPTION_TABLES,
    LoginThrottleEntry,
    StoredBlob,
    *NOTIFY_TABLES,
    *JOB_TABLES,
]
