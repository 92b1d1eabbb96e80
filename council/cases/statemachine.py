"""A small table-driven state machine shared by proposals and requests. No web or database imports.

A move names where it may start, where it goes, whether it needs a written reason, and a guard
that looks at facts about the case (not at the database) and returns the msgid of why the move
is refused, or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

F = TypeVar("F")


class MoveRefused(Exception):
    """The move is not allowed now; `message` is a msgid saying why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Move(Generic[F]):
    name: str
    sources: frozenset[str]
    target: str | None  # None: the target is computed by `route`
    needs_reason: bool = False
    guard: Callable[[F], str | None] | None = None
    route: Callable[[str, F], str] | None = None

    def target_from(self, state: str, facts: F) -> str:
        return self.route(state, facts) if self.route else self.target  # type: ignore[return-value]


class Machine(Generic[F]):
    def __init__(self, states: tuple[str, ...], moves: tuple[Move[F], ...], entry_guards: dict[str, Callable[[F], str | None]] | None = None):
        self.states = states
        self.moves = {m.name: m for m in moves}
        # Conditions to *enter* a state, whatever move leads there (e.g. no decide without a plan).
        self.entry_guards = entry_guards or {}

    def allowed(self, state: str, facts: F) -> list[str]:
        """The moves that would succeed now (without a reason check)."""
        out = []
        for name in self.moves:
            try:
                self.apply(state, name, facts, reason="(check)")
            except MoveRefused:
                continue
            out.append(name)
        return out

    def apply(self, state: str, move_name: str, facts: F, reason: str = "") -> str:
        move = self.moves.get(move_name)
        if move is None:
            raise MoveRefused("Unknown action.")
        if state not in move.sources:
            raise MoveRefused("This action is not possible at the case's current step.")
        if move.needs_reason and not reason.strip():
            raise MoveRefused("Give a reason for this action.")
        if move.guard:
            why = move.guard(facts)
            if why:
                raise MoveRefused(why)
        target = move.target_from(state, facts)
        entry = self.entry_guards.get(target)
        if entry:
            why = entry(facts)
            if why:
                raise MoveRefused(why)
        return target
