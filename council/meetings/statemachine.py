"""A meeting's life: planned → scheduled → held → minutes drafted → minutes approved.

Cancelled (from planned or scheduled) and rescheduled (a scheduled meeting moved, staying
scheduled) need a reason. A correction of approved minutes goes back to minutes drafted, with
its reason, and the next approval freezes a new version. Pure: no web or database imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

KINDS = (
    ("deliberation", "Deliberation (议事会)"),
    ("coordination", "Coordination (协调会)"),
    ("hearing", "Hearing (听证会)"),
    ("evaluation", "Evaluation (评议会)"),
    ("mediation_session", "Mediation session (调解会)"),
    ("reception_day", "Reception day (接待日)"),
)
KIND_CODES = frozenset(k for k, _ in KINDS)

STATES = ("planned", "scheduled", "held", "minutes_drafted", "minutes_approved", "cancelled")
STATE_LABELS = {
    "planned": "Planned",
    "scheduled": "Scheduled",
    "held": "Held",
    "minutes_drafted": "Minutes drafted",
    "minutes_approved": "Minutes approved",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[str]
    target: str | None  # None: stays in the state it was in
    needs_reason: bool = False


MOVES = {
    m.action: m
    for m in (
        Move("schedule", frozenset({"planned"}), "scheduled"),
        Move("reschedule", frozenset({"scheduled"}), "scheduled", needs_reason=True),
        Move("cancel", frozenset({"planned", "scheduled"}), "cancelled", needs_reason=True),
        Move("hold", frozenset({"scheduled"}), "held"),
        Move("draft_minutes", frozenset({"held"}), "minutes_drafted"),
        Move("approve_minutes", frozenset({"minutes_drafted"}), "minutes_approved"),
        Move("correct_minutes", frozenset({"minutes_approved"}), "minutes_drafted", needs_reason=True),
    )
}

# While these hold, the meeting's time and room are its own and block others' bookings.
BOOKING_STATES = frozenset({"planned", "scheduled", "held", "minutes_drafted", "minutes_approved"})
# The time, room and parties may be edited only before the meeting is held.
EDITABLE_STATES = frozenset({"planned", "scheduled"})
# Attendance may be taken from the day it is scheduled until the minutes are approved.
ATTENDANCE_STATES = frozenset({"scheduled", "held", "minutes_drafted"})
MINUTES_EDIT_STATES = frozenset({"held", "minutes_drafted"})


class MoveRefused(ValueError):
    """The move is not allowed from this state, or lacks its reason. Message is a msgid."""


def next_state(state: str, action: str, reason: str = "") -> str:
    move = MOVES.get(action)
    if move is None:
        raise MoveRefused("Unknown action.")
    if state not in move.sources:
        raise MoveRefused("This meeting cannot do that in its current state.")
    if move.needs_reason and not (reason or "").strip():
        raise MoveRefused("Give a reason.")
    return move.target or state


def allowed(state: str) -> list[str]:
    return [a for a, m in MOVES.items() if state in m.sources]


def N_(msgid: str) -> str:
    """Marks a msgid for the catalogue (babel extracts N_); translated where it is shown."""
    return msgid


def time_refusal(action: str, starts_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """Time runs one way: a meeting is marked held only once it has started, and its minutes
    are approved only once it has been held — that is, after its start too (a row marked held
    before this rule existed cannot have its minutes approved ahead of the meeting). None when
    allowed, else the msgid. Instants compare the same in any zone; pages show them in station
    time (council.core.localtime)."""
    if action not in ("hold", "approve_minutes"):
        return None
    if starts_at is None or now < starts_at:
        if action == "hold":
            return N_("The meeting has not started yet: it can be marked held once it has begun.")
        return N_("The meeting has not been held yet: its minutes can be approved once it has taken place.")
    return None
