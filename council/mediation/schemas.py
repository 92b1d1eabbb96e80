"""Request and response bodies of the mediation API (/api/v1/mediation …).

Request bodies forbid unknown fields, so a misspelt field is a 400 rather than silently ignored.
A field left out (or null) is "not given": the use case applies its default or, when correcting
a record (a party), keeps what is there. Money is always a string with at most two decimals
("2800.00"): floats are not exact. Times of day are "HH:MM" in the station's time zone.
Phones and ID numbers in answers are masked; the full ones come only from …/reveal (audited).
"""

from __future__ import annotations

import datetime as dt

import msgspec

# ---------------------------------------------------------------- requests


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class DisputeIn(_In):
    """Register a dispute: a case of kind dispute and its file, numbered by the committee."""

    title: str
    category: str  # neighbours / property_service / family_marriage / bride_price / contract / wages / damage / other
    source: str  # applied / court / police / department / grid_worker
    station: int | None = None  # defaults to the principal's only station
    description: str | None = None
    source_detail: str | None = None  # which court, police station or department referred it
    estate: int | None = None


class OpenFileIn(_In):
    category: str
    source: str
    source_detail: str | None = None


class DetailsIn(_In):
    title: str
    category: str
    source: str
    description: str | None = None
    source_detail: str | None = None
    version: int | None = None  # the file's version you read: a stale one is refused (409)


class PartyIn(_In):
    """A party: a person or an organisation, optionally linked to the residents' or the
    organisations' register (name and phone are then copied from it when not given)."""

    role: str  # applicant / respondent
    kind: str | None = None  # person (default) / organisation
    person: int | None = None
    organisation: int | None = None
    name: str | None = None
    gender: str | None = None  # 男 / 女
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    agent_name: str | None = None
    agent_phone: str | None = None
    agent_basis: str | None = None


class PartyUpdate(_In):
    """Correct a party: a field left out keeps its value; an empty string clears it."""

    role: str | None = None
    kind: str | None = None
    person: int | None = None
    organisation: int | None = None
    name: str | None = None
    gender: str | None = None
    id_number: str | None = None
    phone: str | None = None
    address: str | None = None
    agent_name: str | None = None
    agent_phone: str | None = None
    agent_basis: str | None = None
    version: int | None = None


class ConsentIn(_In):
    consent: str  # given / refused (recorded against the party; the mediator closes the file, see MoveIn)
    consent_on: dt.date | None = None  # default: today
    consent_note: str | None = None
    version: int | None = None


class WithdrawRefusalIn(_In):
    """Withdraw a refusal entered by mistake, saying why (until the file is closed as refused)."""

    reason: str
    version: int | None = None


class NoticeIn(_In):
    notice_given_on: dt.date
    notice_ack_on: dt.date | None = None
    version: int | None = None


class MediatorIn(_In):
    user: int
    lead: bool = False


class MediatorRemoveIn(_In):
    user: int


class MoveIn(_In):
    """seek_consent, start, refuse, settle, not_settle (referral: court / arbitration / department),
    withdraw, terminate. refuse, not_settle, withdraw and terminate need a reason; refuse (close
    the file as 当事人拒绝调解) is a mediator of the file's own move and needs confirm: true."""

    move: str
    reason: str | None = None
    referral: str | None = None
    referral_detail: str | None = None
    confirm: bool = False
    version: int | None = None  # the case's version you read


class EscalateIn(_In):
    reason: str
    version: int | None = None


class SessionIn(_In):
    """A session, booked as a meeting of kind mediation session (room and mediators checked
    against every other booking)."""

    date: dt.date
    start: str  # HH:MM
    end: str  # HH:MM
    room: int | None = None
    place: str | None = None  # when not in a station room (a home visit)
    mediators: list[int] | None = None  # default: every mediator of the file


class SessionMoveIn(_In):
    """Move a session (and its meeting) to another time or room, with the reason."""

    date: dt.date
    start: str
    end: str
    reason: str
    room: int | None = None  # left out: the same room
    place: str | None = None
    version: int | None = None


class SessionCancelIn(_In):
    reason: str
    version: int | None = None


class SessionRecordIn(_In):
    attendees: str  # who attended, one a line
    record: str  # the 笔录: what was said
    result: str  # continue / agreement / no_agreement
    version: int | None = None


class AgreementIn(_In):
    form: str | None = None  # written (default) / oral
    facts: str | None = None
    matters: str | None = None
    responsibilities: str | None = None
    status_matter: str | None = None  # none (default) / marriage / adoption / personal_status
    reached_on: dt.date | None = None
    version: int | None = None


class ObligationIn(_In):
    party: int
    what: str
    amount: str | None = None  # yuan, e.g. "2800.00"
    due_date: dt.date | None = None
    manner: str | None = None


class SignIn(_In):
    who: str  # party:<id> / mediator / seal
    signed_on: dt.date
    method: str | None = None  # signature (default) / seal / fingerprint
    # who=mediator: which mediator of the file signed (default: you). Someone else's signature is
    # recorded only by the secretariat, with on_behalf: true.
    mediator: int | None = None
    on_behalf: bool = False


class PerformanceIn(_In):
    performed_on: dt.date
    evidence: str
    amount: str | None = None
    complete: bool = False


class FollowupIn(_In):
    visited_on: dt.date
    note: str
    who: str | None = None


class ConfirmationIn(_In):
    applied_on: dt.date
    court: str
    joint: bool = False  # must be true: the parties apply jointly (Art. 33)
    accepted_on: dt.date | None = None  # the day the court accepted it, when known
    court_case_number: str | None = None


class CourtStepIn(_In):
    """The court accepted the application (its 15 days start), or extended its period by 10 days."""

    accepted_on: dt.date | None = None
    extended_on: dt.date | None = None
    extension_reason: str | None = None
    version: int | None = None


class RulingIn(_In):
    ruling: str  # confirmed / rejected
    ruling_on: dt.date
    court_case_number: str | None = None
    version: int | None = None


class CommitteeIn(_In):
    name: str
    abbreviation: str  # used in file numbers: （2026）振兴路人调字第 15 号
    version: int | None = None


# ---------------------------------------------------------------- responses


class FileSummary(msgspec.Struct, kw_only=True):
    id: int
    number: str
    case: int
    title: str
    state: str
    category: str
    source: str
    level: str
    opened_on: dt.date
    closed_on: dt.date | None
    days_open: int
    flagged: bool  # open more than 30 days
    station: int


class FilePage(msgspec.Struct, kw_only=True):
    items: list[FileSummary]
    total: int
    page: int
    per_page: int


class WaitingCase(msgspec.Struct, kw_only=True):
    id: int
    number: str
    title: str
    created_at: dt.datetime
    station: int


class PartyOut(msgspec.Struct, kw_only=True):
    id: int
    role: str
    kind: str
    person: int | None
    organisation: int | None
    name: str
    gender: str
    address: str
    phone: str  # masked
    id_number: str  # masked
    agent_name: str
    agent_phone: str  # masked
    agent_basis: str
    consent: str
    consent_on: dt.date | None
    consent_note: str
    notice_given_on: dt.date | None
    notice_ack_on: dt.date | None
    version: int


class MediatorOut(msgspec.Struct, kw_only=True):
    user: int
    name: str | None
    lead: bool


class SessionOut(msgspec.Struct, kw_only=True):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: int | None
    room_name: str | None
    place: str
    level: str
    mediators: list[int]
    attendees: str
    record: str
    result: str
    meeting: int | None  # the meeting that books the room and the mediators
    cancelled: bool
    cancel_reason: str
    version: int


class SignatureOut(msgspec.Struct, kw_only=True):
    party: int
    method: str
    signed_on: dt.date


class PerformanceOut(msgspec.Struct, kw_only=True):
    id: int
    performed_on: dt.date
    amount: str | None
    complete: bool
    evidence: str


class ObligationOut(msgspec.Struct, kw_only=True):
    id: int
    position: int
    party: int
    party_name: str
    what: str
    amount: str | None
    due_date: dt.date | None
    manner: str
    version: int
    state: str  # pending / partly_performed / performed / overdue
    performed_amount: str | None
    performed_on: dt.date | None
    late: bool
    performances: list[PerformanceOut]


class AgreementOut(msgspec.Struct, kw_only=True):
    id: int
    form: str
    facts: str
    matters: str
    responsibilities: str
    status_matter: str
    reached_on: dt.date | None
    mediator_signed_on: dt.date | None
    sealed_on: dt.date | None
    effective_on: dt.date | None
    version: int
    effective: bool
    # What is still missing before it takes effect: ["party", id, name], ["mediator"], ["seal"],
    # ["parties"], ["reached"].
    missing: list[list[str | int]]
    signatures: list[SignatureOut]
    obligations: list[ObligationOut]
    confirmation_eligibility: str | None  # null: may apply; else why not
    confirmation_deadline: dt.date | None
    confirmation_window: str | None  # open / closing / closed / applied


class ConfirmationOut(msgspec.Struct, kw_only=True):
    applied_on: dt.date
    court: str
    court_case_number: str
    ruling: str
    ruling_on: dt.date | None
    version: int
    joint: bool = False
    accepted_on: dt.date | None = None
    extended_on: dt.date | None = None
    extension_reason: str = ""
    decision_deadline: dt.date | None = None  # 15 days from acceptance (or the application), 25 if extended
    decision_state: str | None = None  # waiting / due_soon / overdue / ruled


class DecisionDueOut(msgspec.Struct, kw_only=True):
    dispute: int
    number: str
    title: str
    station: int
    court: str
    applied_on: dt.date
    accepted_on: dt.date | None
    extended_on: dt.date | None
    decision_deadline: dt.date
    decision_state: str  # due_soon / overdue
    days_left: int


class FollowupOut(msgspec.Struct, kw_only=True):
    id: int
    visited_on: dt.date
    visitor: str | None
    who: str
    note: str


class FileOut(msgspec.Struct, kw_only=True):
    id: int
    number: str
    case: int
    case_number: str
    station: int
    title: str
    description: str
    state: str
    category: str
    source: str
    source_detail: str
    level: str
    opened_on: dt.date
    closed_on: dt.date | None
    referral: str
    referral_detail: str
    outcome_reason: str
    version: int
    case_version: int
    flagged: bool
    days_open: int
    moves: list[str]  # the moves possible now
    next_level: str | None  # where escalating would take it
    committee_name: str
    parties: list[PartyOut]
    mediators: list[MediatorOut]
    sessions: list[SessionOut]
    agreement: AgreementOut | None
    confirmation: ConfirmationOut | None
    followups: list[FollowupOut]


class RevealedOut(msgspec.Struct, kw_only=True):
    id: int
    phone: str
    id_number: str
    agent_phone: str


class CommitteeOut(msgspec.Struct, kw_only=True):
    id: int
    station: int
    name: str
    abbreviation: str
    version: int


class WindowOut(msgspec.Struct, kw_only=True):
    dispute: int
    number: str
    title: str
    station: int
    effective_on: dt.date
    deadline: dt.date
    window: str  # open / closing (within a week)
    days_left: int


class StatsCounts(msgspec.Struct, kw_only=True):
    received: int
    open: int
    settled: int
    not_settled: int
    withdrawn: int
    terminated: int
    refused: int
    obligations_due: int
    obligations_performed: int
    confirmation_applied: int
    confirmed: int
    rejected: int


class StatsPart(msgspec.Struct, kw_only=True):
    """Each rate as shown ("66.7%", or "—" when there is nothing to divide by), next to its counts."""

    counts: StatsCounts
    closed_files: int
    success_rate: str
    performance_rate: str
    confirmation_rate: str
    average_days_to_close: str


class StatsOut(msgspec.Struct, kw_only=True):
    start: dt.date
    end: dt.date
    definitions: dict[str, str]
    total: StatsPart
    by_category: dict[str, StatsPart]
