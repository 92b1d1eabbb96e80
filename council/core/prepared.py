"""Piccolo selects built once and run many times with new values.

Building a Piccolo query (columns, joins, aliases, the where clause) and compiling it to SQL costs
more Python than running it: reading one case with what hangs off it took 6 ms, most of it
building eleven selects that differ from request to request only in the case id (issue 19).
A prepared select is written as usual, as a function of its integer parameters; it is built once
per database engine with stand-in numbers, compiled, and from then on only the numbers in the
compiled argument list are swapped — the same SQL, the same rows (Piccolo's own row handling is
not involved for a plain select: the driver's converters give the values).

    _notes = prepared(lambda case_id: Note.select(Note.id, Note.author.name).where(Note.case == case_id))
    rows = await _notes(7)

Only plain selects (a list of dicts, or `.first()`), and only integer parameters (ids); anything
else is refused when the select is first built, not silently run differently.
"""

from __future__ import annotations

from typing import Any, Callable

from piccolo.query.methods.select import First, Select

# Stand-ins no real id can equal; each must come out of compilation exactly where it went in.
_STAND_IN = -(2**62)


class Prepared:
    __slots__ = ("build", "arity", "_compiled", "label")

    def __init__(self, build: Callable[..., Any], arity: int):
        self.build = build
        self.arity = arity
        self._compiled: dict[str, tuple[str, list[Any], list[tuple[int, int]], bool]] = {}
        self.label = ""

    def _compile(self, engine_type: str) -> tuple[str, list[Any], list[tuple[int, int]], bool]:
        stand_ins = [_STAND_IN + i for i in range(self.arity)]
        query = self.build(*stand_ins)
        first = isinstance(query, First)
        if first:
            query = query.query
        if not isinstance(query, Select):
            raise TypeError(f"prepared(): only selects, not {type(query).__name__}")
        out = query.output_delegate._output
        if out.as_objects or out.as_list or out.as_json or out.load_json or out.nested:
            raise TypeError("prepared(): plain selects only (no output options)")
        querystrings = query.querystrings
        if len(querystrings) != 1:
            raise TypeError("prepared(): one statement only")
        sql, args = querystrings[0].compile_string(engine_type=engine_type)
        positions = []
        for pos, arg in enumerate(args):
            if type(arg) is int and _STAND_IN <= arg < _STAND_IN + self.arity:
                positions.append((pos, arg - _STAND_IN))
        if sorted({i for _, i in positions}) != list(range(self.arity)):
            raise TypeError("prepared(): every parameter must appear in the SQL as a value")
        self.label = sql
        compiled = (sql, list(args), positions, first)
        self._compiled[engine_type] = compiled
        return compiled

    async def __call__(self, *values: int):
        from council import db

        engine_type = db.engine().engine_type
        compiled = self._compiled.get(engine_type) or self._compile(engine_type)
        sql, template, positions, first = compiled
        args = list(template)
        for pos, i in positions:
            args[pos] = values[i]
        rows = await db.fetch_compiled(sql, args)
        if first:
            return rows[0] if rows else None
        return rows


def prepared(build: Callable[..., Any]) -> Prepared:
    """A select built by `build(*ids)`, compiled once per engine (see the module's note)."""
    return Prepared(build, build.__code__.co_argcount)
