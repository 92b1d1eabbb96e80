"""The one writer of CSV and XLSX files. Every export goes through it, so every cell is made safe
the same way:

- a cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
  return: CSV injection) is neutralised: a leading apostrophe in CSV, a plain text cell in XLSX;
- phone and ID numbers found in free text are masked (council.privacy.mask_free_text), unless
  the caller marked the value privacy.Unmasked (an allowed, audited full export).

Numbers (int, float, Decimal) stay numbers, so sums still work in Excel."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any, Iterable, Sequence

from council.privacy import mask_free_text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def text_cell(value: Any) -> str:
    """A cell as safe text (CSV)."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = mask_free_text(str(value) if not isinstance(value, str) else value)
    return "'" + text if is_formula(text) else str(text)


def write_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel in a Chinese locale then opens it without garbling), CRLF lines."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([text_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterable[Sequence[Any]], title: str = "Sheet") -> bytes:
    """One sheet. Strings are always written as text cells: openpyxl would store a string starting
    with "=" as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet")
    for row in rows:
        cells = []
        for value in row:
            if value is None or (isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)):
                cells.append(value)
                continue
            text = mask_free_text(value if isinstance(value, str) else str(value))
            cell = WriteOnlyCell(sheet, value=str(text))
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
