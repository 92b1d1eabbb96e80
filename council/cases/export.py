"""CSV and XLSX export of the filtered case list.

Private by default: no reporter, no description, and a mobile number typed into a title is
masked. Cells that a spreadsheet would run as a formula are neutralised (council.core.tabular).
"""

from __future__ import annotations

from typing import Callable

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases.decision import RESULTS
from council.cases.queries import CaseFilter, export_rows
from council.cases.vocabulary import CHANNELS, KINDS, PRIORITIES
from council.core.errors import Invalid
from council.core import tabular

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translated when the file is written."""
    return msgid


COLUMNS = (
    ("number", N_("Case number")), ("kind", N_("Kind")), ("title", N_("Case title")), ("category", N_("Category")),
    ("channel", N_("Channel")), ("state", N_("State")), ("priority", N_("Priority")), ("estate_name", N_("Estate")),
    ("organisation_name", N_("Organisation")), ("due_date", N_("Due date")), ("escalation", N_("Escalation")),
    ("created_at", N_("Registered at")), ("closed_at", N_("Closed at")),
    # A proposal's decision: passed / failed by its vote, or 未经表决 when the vote was skipped.
    ("vote_result", N_("Residents' vote")),
)
LABELS = {"kind": dict(KINDS), "channel": dict(CHANNELS), "priority": dict(PRIORITIES),
          "vote_result": dict(RESULTS)}


def _cell(name: str, value, _: Callable[[str], str]) -> str:
    if value is None:
        return ""
    if name in LABELS:
        return _(LABELS[name].get(value, value))
    if name in ("created_at", "closed_at"):
        from council.cases.calendar_store import LOCAL

        return value.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
    return str(value)  # masked and made formula-safe by the writer (council.core.tabular)


def table(rows: list[dict], _: Callable[[str], str]) -> list[list[str]]:
    return [[_(label) for _name, label in COLUMNS]] + [[_cell(n, r.get(n), _) for n, _label in COLUMNS] for r in rows]


def to_csv(cells: list[list[str]]) -> bytes:
    return tabular.write_csv(cells)


def to_xlsx(cells: list[list[str]]) -> bytes:
    return tabular.write_xlsx(cells, "cases")


async def export_cases(principal: Principal, f: CaseFilter, fmt: str, _: Callable[[str], str],
                       ip: str = "") -> tuple[bytes, str]:
    """(file content, media type). The export is audited: it takes data out of the system."""
    if fmt not in FORMATS:
        raise Invalid("Please correct the marked fields.", errors={"format": "Choose one of the listed options."})
    rows = await export_rows(principal, f)
    cells = table(rows, _)
    content = to_csv(cells) if fmt == "csv" else to_xlsx(cells)
    async with db.write():
        await audit.record(principal, "case.export", entity_type="case",
                           after={"format": fmt, "rows": len(rows), "filter": {
                               k: v for k, v in vars(f).items() if v not in ("", None, False) and k != "page"}},
                           # Only a station known to be real (theirs): the column is a foreign key.
                           station_id=f.station if f.station in principal.station_ids else None, ip=ip)
    return content, FORMATS[fmt]
