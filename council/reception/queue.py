"""The reception-day queue: numbers and the moves of a visit. Pure: no web or database imports.

Numbers start at 1 each reception day at each station, in order of arrival. A visit waits, is
called to the desk, and is done (with an outcome) — or the visitor left before being seen.
The desk may also log a visit straight to done (someone who needed only a minute). A draft
(from the grid group) has no number until it is confirmed into the queue.
"""

from __future__ import annotations

from typing import Iterable

DRAFT, WAITING, CALLED, DONE, LEFT = "draft", "waiting", "called", "done", "left"
STATUSES = ((DRAFT, "Draft"), (WAITING, "Waiting"), (CALLED, "Called"), (DONE, "Done"), (LEFT, "Left"))
OPEN = frozenset({WAITING, CALLED})

# move -> (statuses it may start from, status it leads to)
MOVES = {
    "call": (frozenset({WAITING}), CALLED),
    "requeue": (frozenset({CALLED}), WAITING),  # called but not there: back in the queue
    "finish": (frozenset({WAITING, CALLED}), DONE),
    "left": (frozenset({WAITING, CALLED}), LEFT),
    "confirm": (frozenset({DRAFT}), WAITING),
    "discard": (frozenset({DRAFT}), LEFT),
}

REFUSED = {
    "call": "This visitor has already been called.",
    "requeue": "Only a called visitor can go back to the queue.",
    "finish": "This visit is already finished.",
    "left": "This visit is already finished.",
    "confirm": "This draft has already been handled.",
    "discard": "This draft has already been handled.",
}

ANSWERED, CASE, NEWS = "answered", "case", "news"
OUTCOMES = ((ANSWERED, "Answered on the spot"), (CASE, "New case"), (NEWS, "News on an existing case"))


def next_number(taken: Iterable[int | None]) -> int:
    """The next queue number after every number given so far that day (gaps are not reused:
    a number once called out is never given to someone else)."""
    return max((n for n in taken if n), default=0) + 1


def ticket(number: int | None) -> str:
    """How the number is called out and printed: 001, 002 … (wider past 999)."""
    return "" if not number else f"{number:03d}"


def target(status: str, move: str) -> str | None:
    """The status after the move, or None when the move is not possible from `status`."""
    sources, to = MOVES[move]
    return to if status in sources else None


def position(waiting_numbers: Iterable[int], number: int) -> int:
    """How many are ahead in the queue (0: next to be called)."""
    return sum(1 for n in waiting_numbers if n < number)
