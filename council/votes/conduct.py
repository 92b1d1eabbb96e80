"""How a vote is conducted: its voting period, corrections, and what a secret ballot can keep.
Pure: no web or database imports.

- A paper ballot carries the date the station received it, and that date lies inside the voting
  period (from the opening day to the announced closing day, never in the future): a form
  received after the end does not count (Art. 278 para. 2 counts those who took part in the vote
  that was announced).
- Closing before the announced end needs a reason; it is audited and printed on the notice.
- Staff correct only ballots staff entered (a paper form mis-keyed), with a reason. A ballot the
  owner cast themselves (link or account) is theirs: nobody changes it.
- Secret ballots: below SECRET_MIN_HEADS heads the totals per option can give choices away, so the
  page warns and opening needs a confirmation.
"""

from __future__ import annotations

import datetime as dt


def N_(msgid: str) -> str:
    return msgid


# Why 30: per-option totals carry an area, and unit areas like 96.37 m² are nearly unique. With
# n heads, finding which of them add up to an option's area total means trying up to 2^n subsets;
# below 30 heads (2^30 ≈ 10^9, and far fewer with a split in halves) a laptop does it in seconds,
# and tiny counts (0, 1, everyone) say who chose what outright. Above it the risk is smaller,
# not zero: the page says so.
SECRET_MIN_HEADS = 30

RECEIVED_REQUIRED = N_("Enter the date the station received the paper form.")
RECEIVED_BEFORE = N_("This form was received before voting opened: it is outside the voting period.")
RECEIVED_AFTER = N_("This form was received after the announced end of voting: it is outside the voting period.")
RECEIVED_FUTURE = N_("The date received cannot be in the future.")
EARLY_REASON = N_("The vote is closing before its announced end: give the reason (it is printed on the notice).")
RESIDENT_BALLOT = N_("This ballot was cast by the owner (voting link or account): nobody can change it. Only ballots "
                     "staff entered from a paper form or at a meeting can be corrected.")
SMALL_SECRET = N_("Only %(n)s voters: in a secret vote of fewer than %(min)s voters the totals per option may "
                  "reveal how each voted. Confirm to open anyway.")


def received_refusal(received: dt.date | None, opens_on: dt.date, closes_on: dt.date | None,
                     today: dt.date) -> str | None:
    """Why a paper ballot received on `received` does not count, or None. Days are local days;
    the opening and closing days themselves are inside the period."""
    if received is None:
        return RECEIVED_REQUIRED
    if received > today:
        return RECEIVED_FUTURE
    if received < opens_on:
        return RECEIVED_BEFORE
    if closes_on is not None and received > closes_on:
        return RECEIVED_AFTER
    return None


def early_close_refusal(closes_at: dt.datetime | None, now: dt.datetime, reason: str) -> str | None:
    """Closing before the announced end needs a reason; at or after it, none."""
    if closes_at is not None and now < closes_at and not (reason or "").strip():
        return EARLY_REASON
    return None


def is_early(closes_at: dt.datetime | None, now: dt.datetime) -> bool:
    return closes_at is not None and now < closes_at


def correction_refusal(channel: str, entered_by: int | None) -> str | None:
    """Only a ballot staff entered (paper or meeting, with who entered it) can be corrected."""
    if channel == "online" or entered_by is None:
        return RESIDENT_BALLOT
    return None


def secrecy_at_risk(heads: int) -> bool:
    return heads < SECRET_MIN_HEADS
