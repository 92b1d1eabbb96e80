"""Request and response bodies of the meetings API (/api/v1/meetings …).

Request bodies forbid unknown fields, so a misspelt field is a 400 rather than silently ignored.
Times sent in are ISO 8601 strings; one without an offset ("2026-11-25T09:00") is read in
station time (Asia/Shanghai). Times sent back carry their offset (station time, +08:00).
Party and busy-time keys name who is meant: "org:12" (an organisation), "user:3" (a staff
member), "person:7" (a resident), "room:4" (a station room, busy times only).
"""

from __future__ import annotations

import datetime as dt

import msgspec

# ---------------------------------------------------------------- requests


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class PartyIn(_In, kw_only=True):
    key: str  # "org:12" / "user:3" / "person:7"
    required: bool = True
    delegates: str = ""


class PartyInviteIn(_In, kw_only=True):
    """Invite one more party. A required party already booked at the meeting's time is refused
    (409, the clash named) unless `force` is set by a secretary (recorded in the audit log)."""

    key: str  # "org:12" / "user:3" / "person:7"
    required: bool = True
    delegates: str = ""
    force: bool = False


class MeetingIn(_In, kw_only=True):
    """A new meeting. Refused (409, the conflict named) when the room or a required party is
    already booked, unless `force` is set by a secretary (recorded in the audit log)."""

    station: int
    kind: str  # deliberation / coordination / hearing / evaluation / mediation_session / reception_day
    title: str
    room: int | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    chair: int | None = None  # a staff member of the station (user id)
    recorder: int | None = None
    parties: list[PartyIn] = []
    force: bool = False


class MeetingPatch(_In, kw_only=True):
    """Edit before the meeting is held. A field left out (or null) keeps its value. A scheduled
    meeting's time is moved by the `reschedule` move, with a reason."""

    version: int  # the meeting's version you read: a meeting changed since is refused (409)
    title: str | None = None
    kind: str | None = None
    room: int | None = None
    chair: int | None = None
    recorder: int | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    force: bool = False


class MeetingMoveIn(_In, kw_only=True):
    move: str  # schedule / reschedule / cancel / hold
    version: int | None = None
    reason: str = ""  # reschedule and cancel need one
    starts_at: str | None = None  # reschedule: the new time
    ends_at: str | None = None
    room: int | None = None  # reschedule: a new room (null keeps the room)
    force: bool = False


class SlotQuery(_In, kw_only=True):
    station: int
    parties: list[PartyIn]
    duration_minutes: int = 60
    first_day: dt.date
    last_day: dt.date
    need_room: bool = True
    include_holidays: bool = False  # 包括节假日: offer statutory holidays too
    limit: int = 10


class ResponseIn(_In, kw_only=True):
    response: str  # accepted / declined / delegated
    delegate: str = ""  # delegated: who comes instead
    note: str = ""
    version: int | None = None  # the party's version you read


class AgendaIn(_In, kw_only=True):
    title: str = ""  # defaults to the case's number and title
    case: int | None = None
    vote: int | None = None
    minutes: int = 15  # the time box, 5–480


class AttendanceEntry(_In, kw_only=True):
    party: int
    attendance: str  # present / absent / represented / "" (not taken)
    represented_by: str = ""


class ActionIn(_In, kw_only=True):
    what: str
    organisation: int | None = None
    person: str = ""  # when no organisation: who does it
    due: str = ""  # YYYY-MM-DD
    id: str = ""  # kept across saves (a new one is made when empty)


class ItemMinutesIn(_In, kw_only=True):
    discussion: str = ""
    decisions: str = ""
    actions: list[ActionIn] = []


class MinutesIn(_In, kw_only=True):
    version: int  # the draft version you read (0 before the first save)
    items: dict[str, ItemMinutesIn] = {}  # agenda item id → its minutes
    notes: str = ""


class VersionIn(_In, kw_only=True):
    version: int | None = None


class CorrectIn(_In, kw_only=True):
    reason: str
    version: int | None = None  # the meeting's version you read


class BusyIn(_In, kw_only=True):
    station: int
    who: str  # "org:12" / "user:3" / "person:7" / "room:4"
    starts_at: str
    ends_at: str
    label: str = ""


class IcsIn(_In, kw_only=True):
    station: int
    who: str
    ics: str  # the calendar file's text


class FeedIn(_In, kw_only=True):
    organisation: int | None = None  # an organisation's feed; none: your own


# ---------------------------------------------------------------- responses


class Created(msgspec.Struct, kw_only=True):
    id: int


class MeetingSummary(msgspec.Struct, kw_only=True):
    id: int
    title: str
    kind: str
    state: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    room_name: str | None


class PartyOut(msgspec.Struct, kw_only=True):
    id: int
    key: str
    name: str
    required: bool
    delegates: str
    response: str  # pending / accepted / declined / delegated
    attendance: str  # "" / present / absent / represented
    represented_by: str
    version: int


class AgendaItemOut(msgspec.Struct, kw_only=True):
    id: int
    position: int
    title: str
    case: int | None
    case_number: str | None
    vote: int | None
    minutes: int


class MeetingOut(msgspec.Struct, kw_only=True):
    id: int
    station: int
    kind: str
    title: str
    state: str  # planned / scheduled / held / minutes_drafted / minutes_approved / cancelled
    room: int | None
    room_name: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    chair: int | None
    recorder: int | None
    reason: str  # why it was cancelled, rescheduled or its minutes corrected
    forced: bool  # booked over a conflict by a secretary
    version: int
    parties: list[PartyOut]
    agenda: list[AgendaItemOut]


class BlockedOut(msgspec.Struct, kw_only=True):
    key: str
    name: str


class SlotOut(msgspec.Struct, kw_only=True):
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: int | None
    room_name: str
    attending: list[str]  # optional parties who can come
    absent: list[str]  # optional parties who cannot
    blocked: list[BlockedOut]  # near misses: the required parties (or "room") who cannot come


class SlotsOut(msgspec.Struct, kw_only=True):
    slots: list[SlotOut]
    near_misses: list[SlotOut]


class QuorumOut(msgspec.Struct, kw_only=True):
    present: int  # present or represented
    invited: int
    threshold: str  # e.g. "≥ 2/3"
    met: bool


class AttendanceOut(msgspec.Struct, kw_only=True):
    parties: list[PartyOut]
    quorum: QuorumOut | None  # only when a vote is on the agenda


class ActionOut(msgspec.Struct, kw_only=True):
    id: str = ""
    what: str = ""
    organisation: int | None = None
    person: str = ""
    due: str = ""


class ItemMinutesOut(msgspec.Struct, kw_only=True):
    discussion: str = ""
    decisions: str = ""
    actions: list[ActionOut] = []


class MinutesContentOut(msgspec.Struct, kw_only=True):
    items: dict[str, ItemMinutesOut] = {}
    notes: str = ""


class MinutesVersionOut(msgspec.Struct, kw_only=True):
    number: int
    content_hash: str  # SHA-256 of the frozen snapshot
    reason: str  # a correction's reason
    approved_at: dt.datetime | None
    pdf_sha256: str | None


class MinutesOut(msgspec.Struct, kw_only=True):
    version: int  # the draft's version (0: not saved yet)
    content: MinutesContentOut
    versions: list[MinutesVersionOut]


class MinutesSaved(msgspec.Struct, kw_only=True):
    version: int


class Approved(msgspec.Struct, kw_only=True):
    number: int  # the approved version's number


class IcsImported(msgspec.Struct, kw_only=True):
    events: int  # busy occurrences stored, repeating events expanded
    recurring: int  # how many of them come from a repeating event
    until: str = ""  # repeating events are expanded up to this day (YYYY-MM-DD); import again after


class FeedOut(msgspec.Struct, kw_only=True):
    url: str  # shown once; making a new one revokes the old
