"""Read uploaded spreadsheets safely and write XLSX files that Excel users trust.

Reading: a size limit; for XLSX the zip is inspected before parsing (total uncompressed size, compression
ratio, entry count) and any DOCTYPE/ENTITY declaration is refused, so no zip bomb or entity expansion reaches
the parser. CSV is decoded as UTF-8 (with or without BOM) or GB18030, the two encodings Chinese Excel
writes. Writing: XlsxWriter in constant-memory mode, and every text cell that starts with = + - @ (or a tab
or carriage return) is prefixed with an apostrophe so it is never run as a formula.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any
from xml.etree import ElementTree

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_ENTRIES = 1000
MAX_CELL_CHARS = 32767 // 4


class SpreadsheetError(Exception):
    """A file that cannot be read at all; the message (Chinese) says why."""


ERR_EMPTY = "文件为空。"
ERR_TOO_LARGE = "文件过大（超过{limit}MB）。"
ERR_NOT_XLSX = "文件不是有效的 Excel（.xlsx）文件，可能只是改了扩展名。请用 Excel 另存为 .xlsx 后重新上传。"
ERR_ZIP_BOMB = "文件解压后体积异常（可能是压缩炸弹），已拒绝。"
ERR_XML_ENTITY = "文件含有不允许的 XML 实体声明，已拒绝。"
ERR_ENCODING = "无法识别 CSV 文件的编码，请保存为 UTF-8 或 GB18030 编码。"
ERR_MIXED_ENCODING = "CSV 文件中混用了多种编码（部分为 UTF-8，部分为 GB18030/GBK），请统一另存为 UTF-8 编码后重新上传。"
ERR_NO_ROWS = "文件只有表头，没有数据行。"
ERR_CELL_TOO_LONG = "文件中有单元格内容过长（超过12万个字符）或引号不成对，请检查文件内容。"
ERR_FORMAT = "不支持的文件类型，请上传 .xlsx 或 .csv 文件。"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # data rows only; row i is spreadsheet line i + 2


def _check_xlsx_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetError(ERR_NOT_XLSX) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise SpreadsheetError(ERR_ZIP_BOMB)
        total = sum(info.file_size for info in infos)
        compressed = sum(info.compress_size for info in infos) or 1
        if total > MAX_UNCOMPRESSED_BYTES or total / compressed > MAX_COMPRESSION_RATIO:
            raise SpreadsheetError(ERR_ZIP_BOMB)
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names:
            raise SpreadsheetError(ERR_NOT_XLSX)
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as member:
                    head = member.read(4096).upper()
                    # A DOCTYPE can only appear in the prolog, before the root element.
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise SpreadsheetError(ERR_XML_ENTITY)


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    _check_xlsx_zip(data)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
        # Already a list of lists (python-calamine); copy only if a version ever hands back something else.
        return rows if isinstance(rows, list) and all(isinstance(r, list) for r in rows[:1]) else \
            [list(row) for row in rows]
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError(ERR_NOT_XLSX) from None


def _has_utf8_cjk_line(data: bytes) -> bool:
    """Whether some line is valid UTF-8 with a character beyond two bytes (CJK): UTF-8 text in a non-UTF-8 file."""
    for line in data.splitlines():
        if line.isascii():
            continue
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if any(ord(ch) >= 0x800 for ch in decoded):
            return True
    return False


def _decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise SpreadsheetError(ERR_MIXED_ENCODING) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Lines pasted from a UTF-8 file into a GB18030 one would decode as gibberish without an error.
    if _has_utf8_cjk_line(data):
        raise SpreadsheetError(ERR_MIXED_ENCODING)
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise SpreadsheetError(ERR_ENCODING) from None


def _read_csv(data: bytes) -> list[list[Any]]:
    text = _decode_csv(data)
    try:
        return [row for row in csv.reader(io.StringIO(text))]
    except csv.Error:
        # The csv module refuses a field over 128 KB (or a malformed quote): no roster cell is that long.
        raise SpreadsheetError(ERR_CELL_TOO_LONG) from None


def clean_cell(value: Any) -> Any:
    """Strip text, turn whole floats from Excel back into ints, keep dates."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_table(data: bytes, filename: str, *, max_bytes: int = MAX_UPLOAD_BYTES) -> Table:
    """Parse the first sheet of an XLSX file, or a CSV file, into headers and data rows."""
    if not data:
        raise SpreadsheetError(ERR_EMPTY)
    if len(data) > max_bytes:
        raise SpreadsheetError(ERR_TOO_LARGE.format(limit=max_bytes // (1024 * 1024)))
    name = filename.lower()
    if name.endswith(".xlsx"):
        raw = _read_xlsx(data)
    elif name.endswith(".csv"):
        if data[:2] == b"PK":
            raise SpreadsheetError("文件内容是 Excel 格式，但扩展名为 .csv，请核对后重新上传。")
        raw = _read_csv(data)
    else:
        raise SpreadsheetError(ERR_FORMAT)
    # Clean the parser's rows in place, one row at a time, so a 100,000-row file is held once, not three times.
    # Strings are nearly every cell: strip them inline, the rest through clean_cell (same result).
    rows = raw
    for row in rows:
        row[:] = [c.strip() if c.__class__ is str else clean_cell(c) for c in row]
    while rows and all(c in ("", None) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise SpreadsheetError(ERR_EMPTY)
    headers = [str(h or "").strip() for h in rows[0]]
    width = len(headers)
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
    body = rows[1:]
    if not body:
        raise SpreadsheetError(ERR_NO_ROWS)
    return Table(headers=headers, rows=body)


# --- Reading one big sheet in parts, in parallel -------------------------------------------------------------
# python-calamine parses a sheet in one go, on one core: about 2 s for 100,000 rows × 15 columns. A sheet's rows
# are independent <row r="N"> elements, so the sheet can be cut at row boundaries into parts that are each a
# complete workbook (the same other entries, the same first rows of the sheet XML up to <sheetData>, one slice
# of rows, the same end) and parsed by calamine in separate processes. Only when the cut is certain to give what
# the whole parse gives: every row element carries its row number first (r="N", as Excel writes it), the rows
# are in ascending order, row 1 is the first row element, nothing hides in CDATA; otherwise the caller reads the
# file whole.

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Every row element, with its number when it carries one first ("" when not).
_ROW_NUMBER = re.compile(rb'<row(?: r="(\d+)")?')
_DIMENSION = re.compile(rb"<dimension [^>]*/>")


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    # The zip check has refused any DOCTYPE or ENTITY in these parts; ElementTree fetches nothing external.
    return ElementTree.fromstring(archive.read(name))  # noqa: S314


def _first_sheet_path(archive: zipfile.ZipFile) -> str | None:
    """The path of the workbook's first sheet (the one `get_sheet_by_index(0)` reads), or None if unclear."""
    relations = _xml(archive, "_rels/.rels")
    book = next((r.get("Target") for r in relations.iter(f"{_PKG_REL_NS}Relationship")
                 if str(r.get("Type", "")).endswith("/officeDocument")), None)
    if not book:
        return None
    book = book.lstrip("/")
    sheet = _xml(archive, book).find(f"{_MAIN_NS}sheets/{_MAIN_NS}sheet")
    if sheet is None:
        return None
    rel_id = sheet.get(f"{_REL_NS}id")
    folder, base = posixpath.split(book)
    book_relations = _xml(archive, posixpath.join(folder, "_rels", base + ".rels"))
    target = next((r.get("Target") for r in book_relations.iter(f"{_PKG_REL_NS}Relationship")
                   if r.get("Id") == rel_id), None)
    if not target:
        return None
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
    return path if "/worksheets/" in f"/{path}" else None


@dataclass
class SheetParts:
    """The first sheet of a big XLSX file cut at row boundaries; `read(part)` parses one part on its own."""

    headers: list[str]
    last_line: int  # the highest row number in the sheet: the data rows are at most last_line - 1
    count: int  # number of parts
    _entries: list[tuple[str, bytes]]
    _sheet: str
    _xml: bytes
    _head: bytes
    _tail: bytes
    _cuts: list[int]  # part i is _xml[_cuts[i]:_cuts[i + 1]]

    def read(self, part: int) -> tuple[int, list[list[Any]]]:
        """(spreadsheet line of the first row, the rows from there on), cleaned and padded like `read_table`."""
        from python_calamine import CalamineWorkbook

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as book:
            for name, content in self._entries:
                book.writestr(name, content)
            with book.open(self._sheet, "w") as sheet_xml:
                sheet_xml.write(self._head)
                sheet_xml.write(memoryview(self._xml)[self._cuts[part]:self._cuts[part + 1]])
                sheet_xml.write(self._tail)
        buffer.seek(0)
        try:
            sheet = CalamineWorkbook.from_filelike(buffer).get_sheet_by_index(0)
            start = sheet.start
            first_row, first_col = start or (0, 0)
            lead = [""] * first_col
            # From the part's first cell on (iter_rows would start at A1: every row before the part, empty).
            rows = sheet.to_python(skip_empty_area=True) if start is not None else []
            for row in rows:  # cleaned as `read_table` cleans
                row[:] = [*lead, *[c.strip() if c.__class__ is str else clean_cell(c) for c in row]]
        except Exception:
            raise SpreadsheetError(ERR_NOT_XLSX) from None
        del buffer
        width = len(self.headers)
        for row in rows:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        return first_row + 1, rows


def xlsx_sheet_parts(data: bytes, filename: str, *, max_bytes: int, shares: Sequence[int],
                     min_rows: int) -> SheetParts | None:
    """Cut the first sheet of an XLSX file of at least `min_rows` rows into parts sized as `shares` (relative).

    None when the file is not one that can be cut safely (or is not a good XLSX file at all): read it with
    `read_table`, which gives the same rows, or the error message.
    """
    if not filename.lower().endswith(".xlsx") or not data or len(data) > max_bytes or len(shares) < 2:
        return None
    try:
        _check_xlsx_zip(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet = _first_sheet_path(archive)
            names = [info.filename for info in archive.infolist()]
            if sheet is None or sheet not in names:
                return None
            xml = archive.read(sheet)
            entries = [(name, archive.read(name)) for name in names if name != sheet]
    except (SpreadsheetError, zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError):
        return None
    open_at = xml.find(b"<sheetData>")
    close_at = xml.rfind(b"</sheetData>")
    if open_at < 0 or close_at < open_at or xml.find(b"<sheetData", open_at + 1) >= 0:
        return None
    body, end = open_at + len(b"<sheetData>"), close_at
    if xml.find(b"<![CDATA[", body, end) >= 0:
        return None
    numbers = _ROW_NUMBER.findall(xml, body, end)
    if len(numbers) < min_rows or not all(numbers) or numbers[0] != b"1":
        return None
    lines = [int(n) for n in numbers]
    if any(a >= b for a, b in pairwise(lines)):
        return None
    # Cut points: the row element nearest after each share of the body.
    cuts = [body]
    done, whole = 0, sum(shares)
    for share in shares[:-1]:
        done += share
        at = xml.find(b"<row ", body + (end - body) * done // whole, end)
        if at < 0 or at <= cuts[-1]:
            return None
        cuts.append(at)
    cuts.append(end)
    head = _DIMENSION.sub(b"", xml[:body], count=1)
    tail = xml[end:]
    # The headers: row 1 alone, parsed the same way (its element ends before the second row element).
    split = SheetParts(headers=[], last_line=lines[-1], count=len(shares), _entries=entries, _sheet=sheet, _xml=xml,
                       _head=head, _tail=tail, _cuts=[body, xml.find(b"<row ", body + 1, end)])
    try:
        first_line, first = split.read(0)
    except SpreadsheetError:
        return None
    if first_line != 1 or not first:
        return None
    split.headers = [str(h or "").strip() for h in first[0]]
    split._cuts = cuts
    return split


def neutralise(value: Any) -> Any:
    """Make a text cell safe from formula injection (=, +, -, @, tab, CR at the start)."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def write_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_name: str = "Sheet1",
    text_columns: Iterable[int] = (),
    notes: Sequence[str] = (),
) -> bytes:
    """Write one sheet; columns in `text_columns` are formatted as text (ID numbers keep their digits)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "in_memory": True})
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    text_cols = set(text_columns)
    for col, header in enumerate(headers):
        sheet.write_string(0, col, str(header), bold)
        sheet.set_column(col, col, max(10, min(40, len(str(header)) * 2 + 4)), text if col in text_cols else None)
    line = 1
    for row in rows:
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime | date):
                sheet.write_datetime(line, col, value if isinstance(value, datetime) else
                                     datetime(value.year, value.month, value.day), date_format)
            elif isinstance(value, bool):
                sheet.write_string(line, col, "是" if value else "否")
            elif isinstance(value, int | float) and col not in text_cols:
                sheet.write_number(line, col, value)
            else:
                sheet.write_string(line, col, str(neutralise(str(value))), text if col in text_cols else None)
        line += 1
    if notes:
        notes_sheet = workbook.add_worksheet("填写说明")
        for i, note in enumerate(notes):
            notes_sheet.write_string(i, 0, note)
        notes_sheet.set_column(0, 0, 100)
    workbook.close()
    return buffer.getvalue()


@dataclass(frozen=True)
class RowError:
    """One problem in one cell of an uploaded file, for the downloadable error file."""

    row: int  # spreadsheet line number (header is line 1)
    column: str
    value: Any
    reason: str


def error_file(errors: Sequence[RowError]) -> bytes:
    """The error report users download: row, column, value, reason — in Chinese."""
    return write_xlsx(
        ["行号", "列", "填写内容", "错误原因"],
        ([e.row, e.column, "" if e.value is None else str(e.value), e.reason] for e in errors),
        sheet_name="错误明细",
        text_columns=[2],
    )
