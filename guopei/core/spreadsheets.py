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
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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
