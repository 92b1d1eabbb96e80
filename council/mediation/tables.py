"""People's mediation: a dispute is a case of kind "dispute"; `dispute_file` (1:1 with the case)
holds what mediation adds. The file's step is the case's own `state` (one state, one timeline).

Parties keep their own name and contact details: a party is often not a registered resident (the
tenant upstairs, a company). Phone and ID numbers are personal information, masked when shown.
"""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, JSON, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.accounts.tables import User
from council.cases.tables import Case
from council.meetings.tables import Meeting
from council.parties.tables import Organisation
from council.people.tables import Person
from council.stations.tables import Room, Station

R = OnDelete.restrict


class MediationCommittee(Table, tablename="mediation_committee"):
    """The people's mediation committee (人民调解委员会) working at a station; numbers its files."""

    station = ForeignKey(Station, null=False, on_delete=R)  # unique
    name = Varchar(length=120, required=True)  # 振兴路社区人民调解委员会
    abbreviation = Varchar(length=20, required=True)  # 振兴路 → （2026）振兴路人调字第 15 号
    version = Integer(default=1)


class MediationCounter(Table, tablename="mediation_counter"):
    committee = ForeignKey(MediationCommittee, null=False, on_delete=R)
    year = Integer(required=True)
    last = Integer(default=0)


class DisputeFile(Table, tablename="dispute_file"):
    case = ForeignKey(Case, null=False, on_delete=R)  # unique: one file per dispute case
    station = ForeignKey(Station, null=False, on_delete=R)
    committee = ForeignKey(MediationCommittee, null=False, on_delete=R)
    number = Varchar(length=60, required=True)  # unique
    year = Integer(required=True)
    sequence = Integer(required=True)
    category = Varchar(length=30, required=True)  # vocabulary.CATEGORIES
    source = Varchar(length=20, required=True)  # vocabulary.SOURCES
    source_detail = Varchar(length=200, default="")  # which court / police station / department
    level = Varchar(length=20, default="community")  # community / street / district
    opened_on = Date()
    closed_on = Date(null=True, default=None)
    referral = Varchar(length=20, default="")  # not settled: court / arbitration / department
    referral_detail = Varchar(length=200, default="")
    outcome_reason = Text(default="")  # why not settled / withdrawn / terminated / refused
    version = Integer(default=1)


class DisputeParty(Table, tablename="dispute_party"):
    dispute = ForeignKey(DisputeFile, null=False, on_delete=R)
    role = Varchar(length=12, required=True)  # applicant / respondent
    kind = Varchar(length=12, default="person")  # person / organisation
    person = ForeignKey(Person, null=True, on_delete=R)
    organisation = ForeignKey(Organisation, null=True, on_delete=R)
    name = Varchar(length=120, required=True)
    gender = Varchar(length=4, default="")
    id_number = Varchar(length=30, default="")  # ID card / unified social credit code
    phone = Varchar(length=20, default="")
    address = Varchar(length=200, default="")
    agent_name = Varchar(length=100, default="")
    agent_phone = Varchar(length=20, default="")
    agent_basis = Varchar(length=100, default="")  # e.g. 委托代理 with written authorisation, 法定代理
    consent = Varchar(length=10, default="")  # "" / given / refused
    consent_on = Date(null=True, default=None)
    consent_note = Text(default="")
    notice_given_on = Date(null=True, default=None)  # rights-and-duties notice (权利义务告知书)
    notice_ack_on = Date(null=True, default=None)
    version = Integer(default=1)


class DisputeMediator(Table, tablename="dispute_mediator"):
    dispute = ForeignKey(DisputeFile, null=False, on_delete=R)
    user = ForeignKey(User, null=False, on_delete=R)
    lead = Boolean(default=False)


class MediationSession(Table, tablename="mediation_session"):
    dispute = ForeignKey(DisputeFile, null=False, on_delete=R)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    room = ForeignKey(Room, null=True, on_delete=R)
    place = Varchar(length=120, default="")  # when not at a station room (a home visit)
    level = Varchar(length=20, default="community")
    mediators = JSON(default="[]")  # user ids
    attendees = Text(default="")  # who attended, one a line
    record = Text(default="")  # the 笔录: what was said
    result = Varchar(length=20, default="")  # "" / continue / agreement / no_agreement
    created_by = ForeignKey(User, null=True, on_delete=R)
    # The meeting (kind mediation session) that books the room and the mediators (migration 0009);
    # null for a session booked before sessions became meetings.
    meeting = ForeignKey(Meeting, null=True, on_delete=R)
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Text(default="")
    version = Integer(default=1)


class MediationAgreement(Table, tablename="mediation_agreement"):
    dispute = ForeignKey(DisputeFile, null=False, on_delete=R)  # unique
    form = Varchar(length=10, default="written")  # written / oral
    facts = Text(default="")  # the main facts
    matters = Text(default="")  # the disputed matters
    responsibilities = Text(default="")  # each party's responsibility
    status_matter = Varchar(length=20, default="none")  # vocabulary.STATUS_MATTERS
    reached_on = Date(null=True, default=None)
    mediator_signed_on = Date(null=True, default=None)
    mediator_signer = ForeignKey(User, null=True, on_delete=R)  # the file's mediator who signed
    # Who typed the signature in (migration 0011): the signer, or the secretariat on their behalf.
    mediator_recorded_by = ForeignKey(User, null=True, on_delete=R)
    mediator_on_behalf = Boolean(default=False)
    sealed_on = Date(null=True, default=None)
    effective_on = Date(null=True, default=None)  # derived (rules.effectiveness), kept for lists
    version = Integer(default=1)


class AgreementSignature(Table, tablename="agreement_signature"):
    agreement = ForeignKey(MediationAgreement, null=False, on_delete=R)
    party = ForeignKey(DisputeParty, null=False, on_delete=R)  # unique with agreement
    method = Varchar(length=12, default="signature")  # signature / seal / fingerprint
    signed_on = Date()
    recorded_by = ForeignKey(User, null=True, on_delete=R)


class AgreementObligation(Table, tablename="agreement_obligation"):
    agreement = ForeignKey(MediationAgreement, null=False, on_delete=R)
    position = Integer(default=1)
    party = ForeignKey(DisputeParty, null=False, on_delete=R)  # who must perform
    what = Text(required=True)
    amount = Numeric(digits=(12, 2), null=True, default=None)  # yuan, when money
    due_date = Date(null=True, default=None)
    manner = Varchar(length=200, default="")  # bank transfer, cash at the station, repair by …
    version = Integer(default=1)


class ObligationPerformance(Table, tablename="obligation_performance"):
    obligation = ForeignKey(AgreementObligation, null=False, on_delete=R)
    performed_on = Date()
    amount = Numeric(digits=(12, 2), null=True, default=None)
    complete = Boolean(default=False)
    evidence = Text(default="")
    recorded_by = ForeignKey(User, null=True, on_delete=R)
    recorded_at = Timestamptz()


class FollowUpVisit(Table, tablename="mediation_followup"):
    """回访: the mediator checks how the agreement is kept and whether the dispute is really over."""

    dispute = ForeignKey(DisputeFile, null=False, on_delete=R)
    visited_on = Date()
    visited_by = ForeignKey(User, null=True, on_delete=R)
    who = Varchar(length=200, default="")  # whom the mediator spoke to
    note = Text(default="")
    recorded_at = Timestamptz()


class JudicialConfirmation(Table, tablename="judicial_confirmation"):
    dispute = ForeignKey(DisputeFile, null=False, on_delete=R)  # unique
    agreement = ForeignKey(MediationAgreement, null=False, on_delete=R)
    applied_on = Date()  # the joint application
    joint = Boolean(default=False)  # Art. 33: the parties applied jointly (migration 0011)
    accepted_on = Date(null=True, default=None)  # the court accepted (受理): its 15 days run from here
    extended_on = Date(null=True, default=None)  # the court extended its decision period by 10 days
    extension_reason = Text(default="")
    court = Varchar(length=120, required=True)
    court_case_number = Varchar(length=80, default="")
    ruling = Varchar(length=12, default="")  # "" / confirmed / rejected
    ruling_on = Date(null=True, default=None)
    version = Integer(default=1)


TABLES = [
    MediationCommittee, MediationCounter, DisputeFile, DisputeParty, DisputeMediator, MediationSession,
    MediationAgreement, AgreementSignature, AgreementObligation, ObligationPerformance, FollowUpVisit,
    JudicialConfirmation,
]
