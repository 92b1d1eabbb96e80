"""Residents' votes: the vote, its frozen electorate, the ballots, and the secret tallies.

Areas are stored as integers in hundredths of a square metre (centi-m²), never as NUMERIC: on
SQLite a NUMERIC column holds a binary float, and sums of floats are not exact. The tally engine
reads them back as Fraction(area_centi, 100).
"""

from piccolo.columns import JSON, BigInt, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.accounts.tables import User
from council.cases.tables import Case
from council.people.tables import Person
from council.places.tables import Community, Estate
from council.stations.tables import Station

R = OnDelete.restrict


class Vote(Table, tablename="vote"):
    """A question put to the residents: standalone, or the `decide` step of a proposal (case)."""

    station = ForeignKey(Station, null=False, on_delete=R)
    community = ForeignKey(Community, null=False, on_delete=R)
    case = ForeignKey(Case, null=True, on_delete=R)
    title = Varchar(length=200, required=True)
    question = Text(default="")
    options = JSON(default="[]")  # [{"code", "label", "kind": approve / reject / abstain}]
    rule_set = Varchar(length=30, required=True)
    rule_params = JSON(default="{}")  # the station's quorum, or the custom thresholds
    non_voters_follow_majority = Boolean(default=False)
    # What is decided (council.votes.rules.MATTERS): an item of Civil Code Art. 278 para. 1, or
    # "community" (another matter under the residents' committee's own rules). Empty: a vote
    # created before matters were recorded.
    matter = Varchar(length=20, default="")
    # The clause of the estate's management rules (管理规约) that lets non-voters follow the majority.
    follow_clause = Varchar(length=200, default="")
    early_close_reason = Text(default="")  # why it closed before the announced end
    scope_estate = ForeignKey(Estate, null=True, on_delete=R)
    scope_buildings = JSON(default="[]")  # building ids; empty = the whole estate
    voter_people = JSON(default="[]")  # residents' representatives (rule set "representatives")
    opens_at = Timestamptz(null=True, default=None)
    closes_at = Timestamptz(null=True, default=None)
    secret = Boolean(default=False)
    notice_days = Integer(default=7)
    state = Varchar(length=10, default="draft")  # draft → open → closed
    rules_frozen = JSON(null=True, default=None)  # the rule set as it stood when the vote opened
    result = JSON(null=True, default=None)  # frozen at close
    passed = Boolean(null=True, default=None)
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    notice_until = Date(null=True, default=None)
    created_by = ForeignKey(User, null=True, on_delete=R)
    created_at = Timestamptz()
    version = Integer(default=1)


class VoteVoter(Table, tablename="vote_voter"):
    """One head of the electorate, frozen when the vote opens (later register edits change nothing)."""

    vote = ForeignKey(Vote, null=False, on_delete=R)
    voter_key = Varchar(length=40, required=True)  # p:<person> / u:<unit> / developer
    kind = Varchar(length=15, default="owner")  # owner / developer / unregistered / household / person
    person = ForeignKey(Person, null=True, on_delete=R)
    units = JSON(default="[]")
    unit_numbers = Text(default="")  # "1-101 1-102": what letters and notices may show
    area_centi = BigInt(default=0)
    # The voting link's token is never stored: token = HMAC(secret key, vote, voter, salt), and only
    # its SHA-256 is kept, so a copy of the database cannot vote. A new salt reissues a lost letter.
    token_salt = Varchar(length=32, default="")
    token_hash = Varchar(length=64, default="")


class VoteBallot(Table, tablename="vote_ballot"):
    """One ballot per voter — UNIQUE (vote, voter) in the database, not a check-then-insert.

    For an open ballot the row holds the choice. For a SECRET ballot it records only that the
    voter took part (choice stays NULL); what they chose goes into VoteSecretCount, see there.
    """

    vote = ForeignKey(Vote, null=False, on_delete=R)
    voter = ForeignKey(VoteVoter, null=False, on_delete=R)
    choice = Varchar(length=40, null=True, default=None)
    channel = Varchar(length=10, required=True)  # online / paper / meeting
    entered_by = ForeignKey(User, null=True, on_delete=R)  # staff who entered a paper/meeting ballot
    form_ref = Varchar(length=60, default="")  # the paper form's number
    proxy_name = Varchar(length=100, default="")
    proxy_authorisation = Varchar(length=100, default="")  # reference of the written authorisation
    cast_at = Timestamptz()
    received_on = Date(null=True, default=None)  # paper: the day the station received the form
    corrections = Integer(default=0)  # staff corrections of a staff-entered ballot (printed on the notice)
    version = Integer(default=1)


class VoteSecretCount(Table, tablename="vote_secret_count"):
    """What was chosen in a secret vote, as running totals per option — never one row per ballot.

    Why totals and not choice rows: a per-ballot choice row must carry the voter's area for the
    area count, and areas like 96.37 m² are nearly unique — joining that to the electorate would
    name the voter. Even without the area, row order would betray them (a PostgreSQL heap keeps
    insertion order, and SQL ids grow), lining choices up with participation times. A total per
    option has no row to join: no voter id, no timestamp, no order. The price is that a secret
    ballot cannot be corrected once cast (nothing says which total it went to), and staff see
    only turnout, not the running totals, while the vote is open.
    """

    vote = ForeignKey(Vote, null=False, on_delete=R)
    choice = Varchar(length=40, required=True)  # an option code, or "spoiled"
    heads = Integer(default=0)
    area_centi = BigInt(default=0)
