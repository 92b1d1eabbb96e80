"""A property register (房产台账) as a file: reading CSV/XLSX into rows, checking each row,
and writing the same columns back out. Pure: no web or database imports.

Reading
    CSV in UTF-8 (with or without a BOM), falling back to GB18030 — a superset of GBK, which is
    what registers saved by Excel in Chinese offices usually are. XLSX through openpyxl in
    read-only mode (first worksheet, computed values). Headers may be Chinese or English and
    are mapped onto the canonical FIELDS (楼栋/building, 房号/unit, 面积/area_m2 …); an unknown
    heading rejects the whole file, because guessing what a column means could put owners'
    phone numbers into the wrong place.

Checking (`validate`)
    Every problem is reported with the line it is on (the spreadsheet row number, or the CSV
    line where the record starts), so a secretary can fix the file and upload it again.
    Values are checked with council.core.validators, the same rules as the forms.

Masked values
    An export shows phone and ID numbers masked (138****1234, DOMAIN §8). When such a file
    comes back, a masked value cannot be imported: it is treated as "not given" and the row
    gets a warning, never an error — so an export can be re-imported to restore units, areas
    and owners' names without anyone seeing full numbers.

Re-import policy
    The mode decides what happens to a unit number that already exists in the estate:
    - "create" (the default): the row is an error. Nothing already registered can change by
      accident; fix such units on their own page, or use "update".
    - "update": the existing unit takes the file's building, area, area source and
      developer-unsold flag, and its owners are replaced by the file's owners (the previous
      owners are kept in the audit entry). People are never deleted.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from council.core.validators import clean_id_number, clean_phone, parse_area


def N_(message: str) -> str:
    """Marks a msgid for extraction where it is stored now and translated when shown."""
    return message


FIELDS = (
    "building", "unit", "area_m2", "area_source", "developer_unsold",
    "owner_name", "phone", "id_number", "co_owners", "representative",
)
REQUIRED = ("building", "unit", "area_m2")
MODES = ("create", "update")
EXTENSIONS = (".csv", ".xlsx")
MAX_ROWS = 20000  # a whole district's estate is ~5,000 units; more is a wrong file
MAX_CO_OWNERS = 20

# The headings an export writes (Chinese: registers are read and edited in Chinese offices).
EXPORT_HEADERS = {
    "building": "楼栋", "unit": "房号", "area_m2": "专有部分面积", "area_source": "面积来源",
    "developer_unsold": "开发商未售", "owner_name": "业主姓名", "phone": "联系电话",
    "id_number": "身份证号", "co_owners": "共有人", "representative": "代表",
}

# msgids naming each column on screen.
LABELS = {
    "building": N_("Building"), "unit": N_("Unit number"), "area_m2": N_("Exclusive floor area (m²)"),
    "area_source": N_("Area source"), "developer_unsold": N_("Developer unsold"), "owner_name": N_("Owner"),
    "phone": N_("Phone"), "id_number": N_("ID number"), "co_owners": N_("Co-owners"),
    "representative": N_("Representative"),
}

_ALIASES = {
    "building": ("楼栋", "楼栋号", "栋", "栋号", "幢", "幢号", "楼号", "building", "building_no", "building_number"),
    "unit": ("房号", "单元号", "户号", "房间号", "室号", "门牌号", "unit", "unit_no", "unit_number", "room"),
    "area_m2": ("面积", "建筑面积", "专有部分面积", "产权面积", "登记面积", "area", "area_m2", "floor_area"),
    "area_source": ("面积来源", "面积类型", "area_source"),
    "developer_unsold": ("开发商未售", "未售", "开发商未售出", "developer_unsold", "unsold"),
    "owner_name": ("业主姓名", "业主", "姓名", "产权人", "owner_name", "owner", "name"),
    "phone": ("联系电话", "电话", "手机", "手机号", "联系方式", "phone", "mobile", "telephone"),
    "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "id_number", "id_card", "id"),
    "co_owners": ("共有人", "共有权人", "co_owners", "coowners"),
    "representative": ("代表", "代表人", "投票代表", "representative"),
}
HEADER_ALIASES = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}

AREA_SOURCES = {
    "registered": "registered", "登记": "registered", "产权登记": "registered", "不动产登记": "registered",
    "房产证": "registered", "surveyed": "surveyed", "实测": "surveyed", "测绘": "surveyed",
    "contract": "contract", "合同": "contract", "预售合同": "contract", "购房合同": "contract",
}
AREA_SOURCE_WORDS = {"registered": "登记", "surveyed": "实测", "contract": "合同"}
_TRUE = {"是", "y", "yes", "true", "1", "✓", "√", "未售"}
_FALSE = {"否", "n", "no", "false", "0", "", "已售"}
_CO_OWNER_SPLIT = re.compile(r"[;；、\n]")
_NAME_PHONE_SPLIT = re.compile(r"[:：]")
_BRACKETED = re.compile(r"[（(\[【].*?[)）\]】]")


class RegisterFileError(Exception):
    """The file as a whole cannot be read (wrong type, unknown columns …). `message` is a msgid."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Issue:
    line: int
    column: str  # a FIELDS key, or "" for the whole row
    message: str  # msgid, formatted with params after translation
    params: dict = field(default_factory=dict)


@dataclass
class SheetRow:
    line: int
    cells: dict[str, Any]
    extra: list[Any] = field(default_factory=list)  # cells to the right of the last heading


@dataclass
class Sheet:
    fields: list[str | None]  # per column: the FIELDS key, or None for a blank heading
    rows: list[SheetRow]


@dataclass(frozen=True)
class Owner:
    name: str
    phone: str = ""
    id_number: str = ""
    is_representative: bool = False


@dataclass
class RowResult:
    line: int
    raw: dict[str, str]
    building: str = ""
    unit: str = ""
    area_m2: Decimal | None = None
    area_source: str = "registered"
    developer_unsold: bool = False
    owners: list[Owner] = field(default_factory=list)
    action: str = "create"  # create / update
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def error(self, column: str, message: str, **params: Any) -> None:
        self.errors.append(Issue(self.line, column, message, params))

    def warn(self, column: str, message: str, **params: Any) -> None:
        self.warnings.append(Issue(self.line, column, message, params))


@dataclass
class Report:
    rows: list[RowResult]
    mode: str

    @property
    def errors(self) -> list[Issue]:
        return [i for r in self.rows for i in r.errors]

    @property
    def warnings(self) -> list[Issue]:
        return [i for r in self.rows for i in r.warnings]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    def summary(self, existing_buildings: Iterable[str] = ()) -> dict[str, int]:
        known = set(existing_buildings)
        buildings = {r.building for r in self.rows if r.building}
        owners = [o for r in self.rows for o in r.owners]
        return {
            "rows": len(self.rows),
            "units_new": sum(1 for r in self.rows if r.action == "create"),
            "units_updated": sum(1 for r in self.rows if r.action == "update"),
            "buildings_new": len(buildings - known),
            "owner_entries": len(owners),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }


# ---------------------------------------------------------------- reading

def header_key(heading: Any) -> str | None:
    """The FIELDS key a column heading means, or None if it means nothing we know."""
    text = unicodedata.normalize("NFKC", str(heading or "")).strip()
    text = _BRACKETED.sub("", text).replace("*", "").strip().lower()
    text = re.sub(r"[\s\-]+", "_", text)
    return HEADER_ALIASES.get(text)


def read_register(filename: str, content: bytes) -> Sheet:
    """Rows of a register file. Raises RegisterFileError when the file as a whole is unusable."""
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in (filename or "") else ""
    if ext not in EXTENSIONS:
        raise RegisterFileError("Upload a .csv or .xlsx file.")
    if not content:
        raise RegisterFileError("The file is empty.")
    table = _xlsx_rows(content) if ext == ".xlsx" else _csv_rows(content)
    return _sheet(table)


def _csv_rows(content: bytes) -> Iterable[tuple[int, list[Any]]]:
    # A ZIP (an .xlsx renamed) or NUL bytes (UTF-16, binaries) is not a text register.
    if content.startswith(b"PK\x03\x04") or b"\x00" in content[:8192]:
        raise RegisterFileError("This is not a CSV text file. Save the sheet as CSV (UTF-8) or upload the .xlsx.")
    text = _decode(content)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    start = 1
    try:
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1  # a quoted cell may span lines: report where the record starts
    except csv.Error:
        raise RegisterFileError("The CSV file is malformed near line %(line)s.", line=start) from None
    return rows


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise RegisterFileError("The file's text encoding was not recognised. Save it as CSV (UTF-8).") from None


# An .xlsx is a ZIP of XML files: 5 MB uploaded can unpack to gigabytes (a zip bomb), and a
# sheet can declare itself a million rows by 16,384 columns, which openpyxl's read-only mode
# pads every row to. Both are refused before openpyxl sees the file, from what the archive
# declares: each member's unpacked size (zipfile never inflates a member past the size its
# directory declares, so the declaration is a true bound) and the first sheet's <dimension>.
MAX_UNZIPPED = 100 * 1024 * 1024  # a real 20,000-row register unpacks to ~15 MB
MAX_MEMBERS = 500
MAX_RATIO = 200  # unpacked / packed for any member over 1 MB: real XML stays under ~20
MAX_COLUMNS = 100  # the register has 17 columns; notes beside it are tolerated
MAX_CELLS = (MAX_ROWS + 50) * MAX_COLUMNS
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def check_xlsx_archive(content: bytes) -> None:
    """Refuse a workbook that would unpack too large or declares too many cells (see above)."""
    import zipfile

    too_big = RegisterFileError("This workbook is too large once unpacked. Save only the register sheet, "
                                "at most %(rows)s rows, and upload it again.", rows=MAX_ROWS)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise RegisterFileError("This is not an .xlsx workbook.") from None
    if len(members) > MAX_MEMBERS:
        raise too_big
    if sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise too_big
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise too_big
    sheets = sorted((m for m in members if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", m.filename)),
                    key=lambda m: int(re.sub(r"\D", "", m.filename)))
    if not sheets:
        return  # openpyxl says what is wrong with it
    try:
        with archive.open(sheets[0]) as fh:
            head = fh.read(4096)  # the <dimension> comes first; read no more than this
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        raise RegisterFileError("This is not an .xlsx workbook.") from None
    m = _DIMENSION.search(head)
    if m and m.group(3) and m.group(4):
        columns = _column_number(m.group(3).decode())
        rows = int(m.group(4))
        if columns * rows > MAX_CELLS or rows > 10 * (MAX_ROWS + 50):
            raise too_big


def _xlsx_rows(content: bytes) -> Iterable[tuple[int, list[Any]]]:
    if not content.startswith(b"PK\x03\x04"):
        raise RegisterFileError("This is not an .xlsx workbook.")
    check_xlsx_archive(content)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for damaged or foreign files
        raise RegisterFileError("This is not an .xlsx workbook.") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise RegisterFileError("The file is empty.")
        rows = []
        # A sheet without a <dimension> is read row by row; columns past MAX_COLUMNS are never
        # materialised, and the row limit below bounds the rest.
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            rows.append((number, list(values)))
            if len(rows) > MAX_ROWS + 50:
                break
        return rows
    except RegisterFileError:
        raise
    except Exception:  # a damaged sheet part: same answer as a damaged archive
        raise RegisterFileError("This is not an .xlsx workbook.") from None
    finally:
        book.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet(table: Iterable[tuple[int, list[Any]]]) -> Sheet:
    it = iter(table)
    header = None
    for line, cells in it:
        if not all(_blank(c) for c in cells):
            header = (line, cells)
            break
    if header is None:
        raise RegisterFileError("The file is empty.")
    keys: list[str | None] = []
    unknown = []
    for cell in header[1]:
        if _blank(cell):
            keys.append(None)
            continue
        key = header_key(cell)
        if key is None:
            unknown.append(str(cell).strip())
        keys.append(key)
    if unknown:
        raise RegisterFileError(
            "Unknown columns on line %(line)s: %(columns)s. Known columns: %(known)s.",
            line=header[0], columns="、".join(unknown), known=known_columns(),
        )
    seen = [k for k in keys if k]
    twice = sorted({k for k in seen if seen.count(k) > 1}, key=FIELDS.index)
    if twice:
        raise RegisterFileError("Several columns mean the same thing: %(columns)s.",
                                columns="、".join(_column_name(k) for k in twice))
    missing = [k for k in REQUIRED if k not in seen]
    if missing:
        raise RegisterFileError("Required columns are missing: %(columns)s.",
                                columns="、".join(_column_name(k) for k in missing))
    rows = []
    for line, cells in it:
        if all(_blank(c) for c in cells):
            continue
        row = SheetRow(line=line, cells={})
        for i, value in enumerate(cells):
            key = keys[i] if i < len(keys) else None
            if key:
                row.cells[key] = value
            elif not _blank(value):
                row.extra.append(value)
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise RegisterFileError("The file has more than %(max)s rows. Split it by building.", max=MAX_ROWS)
    if not rows:
        raise RegisterFileError("The file has headings but no rows.")
    return Sheet(fields=keys, rows=rows)


def _column_name(key: str) -> str:
    return f"{EXPORT_HEADERS[key]} ({key})"


def known_columns() -> str:
    return "、".join(_column_name(k) for k in FIELDS)


# ---------------------------------------------------------------- checking

def text(value: Any) -> str:
    """A cell as text: spreadsheet numbers without a trailing .0, full-width forms folded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def is_masked(value: str) -> bool:
    return "*" in value


def parse_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("Write 是 or 否 (yes or no).")


def parse_area_source(value: Any) -> str:
    word = text(value).lower()
    if not word:
        return "registered"
    if word in AREA_SOURCES:
        return AREA_SOURCES[word]
    raise ValueError("The area source is 登记 (registered), 实测 (surveyed) or 合同 (contract).")


def _area_value(value: Any) -> Any:
    # A spreadsheet keeps 89.47 as a binary float; its shortest repr is what the clerk typed.
    if isinstance(value, float):
        return repr(value)
    return text(value)


def _clean_pii(row: RowResult, column: str, value: str, cleaner, who: str = "") -> str:
    if not value:
        return ""
    if is_masked(value):
        row.warn(column, N_("A masked number (from an export) is not imported: %(who)s will have none."),
                 who=who or "—")
        return ""
    try:
        return cleaner(value)
    except ValueError as e:
        row.error(column, str(e))
        return ""


def parse_co_owners(row: RowResult, value: str) -> list[Owner]:
    owners = []
    for part in _CO_OWNER_SPLIT.split(value):
        part = part.strip()
        if not part:
            continue
        bits = _NAME_PHONE_SPLIT.split(part, maxsplit=1)
        name = bits[0].strip()
        phone = bits[1].strip() if len(bits) > 1 else ""
        if not name:
            row.error("co_owners", N_("Each co-owner needs a name, e.g. 张三:13800001111;李四."))
            continue
        if len(name) > 100:
            row.error("co_owners", N_("A name is at most %(max)s characters."), max=100)
            continue
        owners.append(Owner(name=name, phone=_clean_pii(row, "co_owners", phone, clean_phone, name)))
    if len(owners) > MAX_CO_OWNERS:
        row.error("co_owners", N_("At most %(max)s co-owners per unit."), max=MAX_CO_OWNERS)
    return owners


def check_row(source: SheetRow) -> RowResult:
    """One row on its own: types, formats, owners. Cross-row checks are in `validate`."""
    raw = {k: text(v) for k, v in source.cells.items()}
    row = RowResult(line=source.line, raw=raw)
    if source.extra:
        row.error("", N_("This row has values in columns without a heading."))
    for key, limit in (("building", 40), ("unit", 40)):
        value = raw.get(key, "")
        if not value:
            row.error(key, N_("This column is required."))
        elif len(value) > limit:
            row.error(key, N_("At most %(max)s characters."), max=limit)
        setattr(row, key, value)
    try:
        row.area_m2 = parse_area(_area_value(source.cells.get("area_m2")) if raw.get("area_m2") else "")
    except ValueError as e:
        row.error("area_m2", N_("This column is required.") if not raw.get("area_m2") else str(e))
    try:
        row.area_source = parse_area_source(raw.get("area_source", ""))
    except ValueError as e:
        row.error("area_source", str(e))
    try:
        row.developer_unsold = parse_yes_no(source.cells.get("developer_unsold"))
    except ValueError as e:
        row.error("developer_unsold", str(e))
    _check_owners(row, raw)
    return row


def _check_owners(row: RowResult, raw: Mapping[str, str]) -> None:
    name = raw.get("owner_name", "")
    co_owners = parse_co_owners(row, raw.get("co_owners", ""))
    representative = raw.get("representative", "")
    if not name:
        if raw.get("phone") or raw.get("id_number"):
            row.error("owner_name", N_("A phone or ID number is given but no owner's name."))
        if co_owners:
            row.error("co_owners", N_("Co-owners are listed but no owner."))
        if representative:
            row.error("representative", N_("A representative is named but no owner."))
        return
    if len(name) > 100:
        row.error("owner_name", N_("A name is at most %(max)s characters."), max=100)
    main = Owner(
        name=name,
        phone=_clean_pii(row, "phone", raw.get("phone", ""), clean_phone, name),
        id_number=_clean_pii(row, "id_number", raw.get("id_number", ""), clean_id_number, name),
    )
    everyone = [main, *co_owners]
    names = [o.name for o in everyone]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        row.error("co_owners", N_("%(name)s is listed twice for this unit."), name="、".join(twice))
    chosen = representative or name
    if chosen not in names:
        row.error("representative", N_("The representative must be the owner or one of the co-owners."))
    # Exactly one representative per unit (co-owners vote through one person, DOMAIN §5).
    row.owners = [
        Owner(o.name, o.phone, o.id_number, is_representative=(o.name == chosen and o.name not in names[:i]))
        for i, o in enumerate(everyone)
    ]


def validate(sheet: Sheet, existing_units: Iterable[str] = (), mode: str = "create") -> Report:
    """Check every row; duplicates within the file and against the estate's existing units."""
    if mode not in MODES:
        raise RegisterFileError("Unknown import mode.")
    existing = set(existing_units)
    report = Report(rows=[], mode=mode)
    first_line: dict[str, int] = {}
    for source in sheet.rows:
        row = check_row(source)
        if row.unit:
            if row.unit in first_line:
                row.error("unit", N_("Unit %(unit)s is also on line %(line)s."), unit=row.unit, line=first_line[row.unit])
            else:
                first_line[row.unit] = row.line
            if row.unit in existing:
                if mode == "update":
                    row.action = "update"
                else:
                    row.error("unit", N_("Unit %(unit)s already exists in this estate."), unit=row.unit)
        report.rows.append(row)
    return report


def person_key(owner: Owner) -> tuple[str, str, str] | None:
    """Who an owner is across rows: the same name with the same phone (else the same ID number).
    A name alone is not enough — two neighbours may share a common name."""
    if owner.phone:
        return ("phone", owner.name, owner.phone)
    if owner.id_number:
        return ("id", owner.name, owner.id_number)
    return None


# ---------------------------------------------------------------- writing

def co_owners_cell(co_owners: Iterable[tuple[str, str]]) -> str:
    return ";".join(f"{name}:{phone}" if phone else name for name, phone in co_owners)


def export_cells(record: Mapping[str, Any]) -> list[Any]:
    """One unit as export cells, in FIELDS order; `record` holds display-ready values."""
    out = []
    for key in FIELDS:
        value = record.get(key)
        if key == "area_source":
            value = AREA_SOURCE_WORDS.get(value or "registered", value)
        elif key == "developer_unsold":
            value = "是" if value else "否"
        elif key == "area_m2" and isinstance(value, Decimal):
            value = f"{value:.2f}"
        out.append("" if value is None else value)
    return out


def write_csv(records: Iterable[Mapping[str, Any]]) -> bytes:
    """Through the one export writer (council.core.tabular): formulas neutralised, numbers in
    free text masked, UTF-8 with a BOM."""
    from council.core import tabular

    return tabular.write_csv([[EXPORT_HEADERS[k] for k in FIELDS], *(export_cells(r) for r in records)])


def write_xlsx(records: Iterable[Mapping[str, Any]], title: str = "Register") -> bytes:
    from council.core import tabular

    def rows():
        yield [EXPORT_HEADERS[k] for k in FIELDS]
        for record in records:
            cells = export_cells(record)
            # Area stays a number for sums in Excel; everything else is text (phone numbers and
            # unit numbers like 3-0101 must not become numbers or dates).
            cells[FIELDS.index("area_m2")] = Decimal(cells[FIELDS.index("area_m2")] or "0")
            yield cells

    return tabular.write_xlsx(rows(), _sheet_title(title))


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Register"
    return cleaned[:31]
