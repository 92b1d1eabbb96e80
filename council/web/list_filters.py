"""What a register's list page offers to narrow it down, and where a record links to.

A register declares `filters` (ref fields usable as ?estate=1) and `related` (lists shown from
a record's page). This turns them into select boxes and links, offering only rows the person
may see: the options come through registry.list_rows, which applies role and station scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from council.accounts import permissions
from council.accounts.principal import Principal
from council.core import registry
from council.core.errors import Forbidden, NotFound
from council.core.registry import REGISTERS, Register

# A select box longer than this is no help on a phone; such filters still work from links.
MAX_OPTIONS = 200


@dataclass(frozen=True)
class FilterControl:
    name: str
    label: str  # msgid
    options: list[tuple[int, str]] | None  # None: offered as a link target only, no select box
    value: int | None
    value_label: str
    remove_url: str


def _target(name: str) -> Register | None:
    try:
        return registry.by_key(name)
    except KeyError:
        return None


def _options(target: Register, rows: list[dict]) -> list[tuple[int, str]]:
    """Row labels; '中南悦园 1栋' rather than a bare '1栋' when two estates both have a 1栋."""
    bare = [str(r[target.label_column]) for r in rows]
    if len(set(bare)) == len(bare):
        return [(r["id"], label) for r, label in zip(rows, bare)]
    parents = [p for p in target.filters if p in target.field_map and target.field_map[p].kind == "ref"]
    return [(r["id"], " ".join([*(str(r.get(f"{p}__label") or "") for p in parents), label]).strip())
            for r, label in zip(rows, bare)]


async def _label_of(principal: Principal, target: Register, row_id: int) -> str:
    try:
        row = await registry.get_row(principal, target, row_id)
    except (NotFound, Forbidden):
        return str(row_id)
    return str(row[target.label_column])


async def controls(principal: Principal, reg: Register, selected: dict[str, int], q: str = "") -> list[FilterControl]:
    out = []
    for name in reg.filters:
        target = _target(name)
        if target is None:
            continue
        field = reg.field_map.get(name)
        label = field.label if field is not None else target.singular
        value = selected.get(name)
        options = None
        if permissions.can_read(principal.role, target.key):
            # A building list waits for the estate when the page can filter by estate too.
            waits = any(p in reg.filters and p not in selected for p in target.filters)
            if not waits or value is not None:
                parents = {p: v for p, v in selected.items() if p in target.filters}
                rows, total = await registry.list_rows(principal, target, filters=parents, per_page=MAX_OPTIONS)
                if total <= MAX_OPTIONS:
                    options = _options(target, rows)
                    if len(options) <= 1 and value is None:
                        options = None  # one choice is no choice
        value_label = ""
        if value is not None:
            value_label = dict(options or []).get(value) or await _label_of(principal, target, value)
        rest = {k: v for k, v in selected.items() if k != name}
        if q:
            rest["q"] = q
        remove_url = f"/{reg.name}" + (f"?{urlencode(rest)}" if rest else "")
        out.append(FilterControl(name, label, options, value, value_label, remove_url))
    return out


def related(principal: Principal, reg: Register, row_id: int) -> list[tuple[str, str]]:
    """(msgid, url) of the lists that belong to this record and that this role may read."""
    links = []
    for name, field in reg.related:
        target = REGISTERS.get(name)
        if target is not None and permissions.can_read(principal.role, target.key):
            links.append((target.plural, f"/{name}?{urlencode({field: row_id})}"))
    return links
