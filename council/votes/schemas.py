"""Request and response bodies of the votes API (/api/v1/votes …, /api/v1/ballots …, /api/v1/my/votes …).

Request bodies forbid unknown fields, so a misspelt field is refused (400) rather than silently
ignored. Areas and ratios are exact fractions written as strings ("12345/2"); percentages are
strings rounded half up ("68.2%"). Never floats.

A threshold is written ["2/3", true]: the fraction, then whether the bound itself passes ("at
least" 2/3 → true; "more than" half → false).
"""

from __future__ import annotations

import datetime as dt

import msgspec

Threshold = tuple[str, bool]

# ---------------------------------------------------------------- requests


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class VoteIn(_In):
    """A draft vote. `rule_set`: art278_ordinary / art278_major / simple_majority / representatives /
    custom. `options`: empty for agree / disagree / abstain, else one plan per item. `estate` and
    `buildings` (none: the whole estate) set the electorate; `voter_people` lists the residents'
    representatives for the rule set "representatives". `case`: a proposal at its decide step."""

    station: int | None = None
    title: str = ""
    question: str = ""
    options: list[str] = []
    # What is decided: art278_1 … art278_9 (Civil Code Art. 278 para. 1 items) or community (another
    # matter under the residents' committee's rules). Art. 278 matters take the Art. 278 rule sets,
    # no weaker than para. 2 (items 6–8: art278_major); custom thresholds only for "community".
    matter: str = ""
    rule_set: str = ""
    quorum: Threshold | None = None  # representatives: ["2/3", true] = at least 2/3 present
    counting: str | None = None  # custom: owners / households / persons
    turnout_area: Threshold | None = None
    turnout_heads: Threshold | None = None
    approval_area: Threshold | None = None
    approval_heads: Threshold | None = None
    non_voters_follow_majority: bool = False  # refused for items 6–8; needs follow_clause
    follow_clause: str = ""  # the clause of the management rules (管理规约) that allows it
    estate: int | None = None
    buildings: list[int] = []
    voter_people: list[int] = []
    opens_at: dt.datetime | None = None  # without a zone: the station's local time
    closes_at: dt.datetime | None = None
    secret: bool = False
    notice_days: int = 7
    case: int | None = None


class VersionIn(_In):
    """`version` is the vote's version you read: a vote changed since is refused (409)."""

    version: int | None = None


class OpenIn(VersionIn):
    """`confirm_small_electorate`: a secret vote of fewer than 30 heads opens only with this set,
    saying the warning was read (its totals per option may reveal how each voted)."""

    confirm_small_electorate: bool = False


class CloseIn(VersionIn):
    """`reason`: required when closing before the announced end; audited and printed on the notice."""

    reason: str = ""


class BallotIn(_In):
    """A paper or meeting ballot for one voter, found by `voter` (id) or `unit_number`. `choice`:
    an option code, or "spoiled". A paper ballot needs the form's number; a proxy needs the
    reference of the written authorisation."""

    choice: str = ""
    channel: str = "paper"  # paper / meeting
    voter: int | None = None
    unit_number: str = ""
    form_ref: str = ""
    proxy_name: str = ""
    proxy_authorisation: str = ""
    received_on: dt.date | None = None  # paper: required, inside the voting period; meeting: default today


class CorrectionIn(_In):
    """Only a ballot staff entered (paper or meeting) can be corrected; a ballot the owner cast
    (link or account) is refused (409)."""

    choice: str = ""
    reason: str = ""
    version: int | None = None  # the ballot's version you read


class ChoiceIn(_In):
    choice: str = ""  # an option code


class ReissueIn(_In):
    """Reissue a lost voting letter: the old link stops working, a new one is issued."""

    reason: str = ""


# ---------------------------------------------------------------- responses


class Created(msgspec.Struct, kw_only=True):
    id: int


class OptionOut(msgspec.Struct, kw_only=True):
    code: str
    label: str  # a msgid for the default options ("Agree"), else the text typed in
    kind: str  # approve / reject / abstain


class RulesOut(msgspec.Struct, kw_only=True):
    """A rule set's thresholds (null: no such threshold)."""

    code: str
    counting: str  # owners / households / persons
    turnout_area: Threshold | None
    turnout_heads: Threshold | None
    approval_area: Threshold | None
    approval_heads: Threshold | None
    non_voters_follow_majority: bool


class CountOut(msgspec.Struct, kw_only=True):
    heads: int
    area: str  # m², an exact fraction "a/b"


class OptionCount(msgspec.Struct, kw_only=True):
    code: str
    label: str
    kind: str
    heads: int
    area: str


class CheckOut(msgspec.Struct, kw_only=True):
    """One threshold: part / whole against threshold (`inclusive`: the bound itself passes)."""

    what: str  # turnout_area / turnout_heads / approval_area / approval_heads
    option: str | None
    option_label: str | None
    part: str
    whole: str
    threshold: str
    inclusive: bool
    met: bool


class FollowedOut(msgspec.Struct, kw_only=True):
    """"Non-voters follow the majority": whether it applied, to which option, how many were added."""

    applied: bool
    option: str | None
    option_label: str | None
    heads: int
    area: str
    turnout_met: bool | None = None  # turnout by real participation (null: a result frozen before it was recorded)


class ResultOut(msgspec.Struct, kw_only=True):
    rule_set: RulesOut
    electorate: CountOut
    voted: CountOut
    participating: CountOut
    options: list[OptionCount]
    spoiled: CountOut
    followed_majority: FollowedOut | None
    checks: list[CheckOut]
    turnout_met: bool
    winners: list[str]
    winner: str | None
    passed: bool


class ProgressOut(msgspec.Struct, kw_only=True):
    """Turnout so far. `tally_visible` is false for a secret vote while it is open."""

    electorate_heads: int
    electorate_area: str  # m², two decimals
    voted_heads: int
    voted_area: str
    heads_ratio: str  # exact fraction "a/b"
    area_ratio: str
    heads_pct: str
    area_pct: str
    tally_visible: bool


class VoteSummary(msgspec.Struct, kw_only=True):
    id: int
    station: int
    title: str
    state: str  # draft / open / closed
    rule_set: str
    secret: bool
    case: int | None
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None
    passed: bool | None
    created_at: dt.datetime
    ballots: int
    voters: int


class VoteOut(msgspec.Struct, kw_only=True):
    id: int
    station: int
    case: int | None
    title: str
    question: str
    options: list[OptionOut]
    matter: str  # art278_1 … art278_9 / community; "" for a vote created before matters were recorded
    rule_set: str
    follow_clause: str  # the management-rules clause behind "non-voters follow the majority"
    early_close_reason: str  # why it closed before the announced end ("" otherwise)
    rules: RulesOut | None  # frozen when the vote opens; null while a draft
    secret: bool
    state: str
    scope_estate: int | None
    scope_buildings: list[int]
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    notice_days: int
    notice_until: dt.date | None
    passed: bool | None
    version: int
    progress: ProgressOut | None
    result: ResultOut | None  # the running tally (open ballots) or the frozen result
    reasons: list[str]  # the result in words, in the reader's language
    notice_url: str | None = None  # the public notice's unguessable address, once the vote is closed


class BallotInfo(msgspec.Struct, kw_only=True):
    id: int
    choice: str | None  # null for a secret ballot
    channel: str
    form_ref: str
    proxy_name: str
    proxy_authorisation: str
    cast_at: dt.datetime
    received_on: dt.date | None  # the day the station received a paper form
    corrections: int  # how many times staff corrected it
    staff_entered: bool  # only these can be corrected
    version: int


class VoterOut(msgspec.Struct, kw_only=True):
    """One head of the frozen electorate (staff only: names, never phones)."""

    id: int
    voter_key: str
    kind: str  # owner / developer / unregistered / household / person
    person: int | None
    name: str
    unit_numbers: str
    area_centi: int | None  # null in a secret vote: areas beside per-option area totals reveal choices
    area: str | None  # m², two decimals
    ballot: BallotInfo | None


class ReissueOut(msgspec.Struct, kw_only=True):
    """The voter's new letter; the link printed on the old one no longer works."""

    voter: int
    units: str
    letter: str  # the new letter (PDF), for the secretariat


class BallotLinkOut(msgspec.Struct, kw_only=True):
    vote: int
    title: str
    question: str
    options: list[OptionOut]
    state: str
    units: str
    closes_at: dt.datetime | None
    voted: bool


class LinkBallotOut(msgspec.Struct, kw_only=True):
    vote: int
    ballot: int


class MyBallotOut(msgspec.Struct, kw_only=True):
    ballot: int


class MyVoteOut(msgspec.Struct, kw_only=True):
    id: int
    title: str
    question: str
    closes_at: dt.datetime | None
    state: str
    community: int
    units: str
    voted: bool


class NoticeUnit(msgspec.Struct, kw_only=True):
    units: str  # unit numbers only: never names or phones
    choice: str
    channel: str


class NoticeOut(msgspec.Struct, kw_only=True):
    """The public notice (公示) of a closed vote, de-identified."""

    id: int
    title: str
    question: str
    rule_set: str
    matter: str
    non_voters_follow_majority: bool
    follow_clause: str  # printed on the notice
    closes_at: dt.datetime | None  # the announced end
    early_close_reason: str  # printed when it closed before the announced end
    corrected_ballots: int  # staff-entered ballots corrected before the close
    corrections: int
    secret: bool
    station_name: str
    station_address: str
    estate_name: str
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    notice_days: int
    notice_until: dt.date | None
    result: ResultOut
    units: list[NoticeUnit]  # open ballots only; empty for a secret ballot
    passed: bool
    reasons: list[str]
