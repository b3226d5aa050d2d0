"""Build roster files for the tests: good ones, and the corpus of bad ones (each with the message it must get).

Files are generated, not committed: each builder returns (filename, bytes).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import xlsxwriter

from guopei.core import spreadsheets
from guopei.teachers import id_numbers, importing, roster_import
from guopei.teachers.id_numbers import make_id_number

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "手机号", "学校标识码", "学段", "任教学科", "职称", "岗位",
           "骨干级别", "学前教育专业", "首次任教日期", "用工性质", "状态"]


def roster_row(school_code: str, n: int, *, name: str = "", address: str = "140105",
               birth: date = date(1986, 4, 2), gender: str = "男", **overrides: Any) -> list[Any]:
    """One good row; `n` (0-499) makes the ID number unique."""
    sequence = n * 2 + (1 if gender == "男" else 0)
    values = {
        "姓名": name or f"赵{'一二三四五六七八九十'[n % 10]}{'春夏秋冬'[n // 10 % 4]}",
        "身份证号": make_id_number(address, birth, sequence),
        "性别": gender,
        "出生日期": birth.isoformat(),
        "手机号": f"139{n:08d}",
        "学校标识码": school_code,
        "学段": "小学",
        "任教学科": "数学",
        "职称": "一级教师",
        "岗位": "教师",
        "骨干级别": "县级骨干",
        "学前教育专业": "否",
        "首次任教日期": "2010-09-01",
        "用工性质": "在编",
        "状态": "在职",
    }
    values.update(overrides)
    return [values[h] for h in HEADERS]


def xlsx(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS, *, numeric_columns: Sequence[int] = (),
         name: str = "roster.xlsx") -> tuple[str, bytes]:
    """An XLSX file written cell by cell as given: strings stay strings (even '=…'), numbers in numeric columns."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False})
    sheet = workbook.add_worksheet("教师名册")
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header)
    for line, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if col in numeric_columns and isinstance(value, str) and value.isdigit():
                sheet.write_number(line, col, float(value))
            elif isinstance(value, int | float):
                sheet.write_number(line, col, value)
            else:
                sheet.write_string(line, col, str(value))
    workbook.close()
    return name, buffer.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS, *, encoding: str = "utf-8",
              name: str = "roster.csv") -> tuple[str, bytes]:
    lines = [",".join(headers)] + [",".join(str(v) for v in row) for row in rows]
    return name, ("\r\n".join(lines) + "\r\n").encode(encoding)


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for entry, content in entries.items():
            archive.writestr(entry, content)
    return buffer.getvalue()


def zip_bomb() -> tuple[str, bytes]:
    return "bomb.xlsx", _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"0" * 20_000_000})


def billion_laughs() -> tuple[str, bytes]:
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
           b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><worksheet><sheetData><row><c t="inlineStr"><is><t>&lol3;'
           b"</t></is></c></row></sheetData></worksheet>")
    _, good = xlsx([["x"] * len(HEADERS)])
    entries: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        for info in archive.infolist():
            entries[info.filename] = archive.read(info)
    entries["xl/worksheets/sheet1.xml"] = lol
    return "laughs.xlsx", _zip(entries)


def xxe() -> tuple[str, bytes]:
    _name, data = billion_laughs()
    entries: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            entries[info.filename] = archive.read(info)
    entries["xl/sharedStrings.xml"] = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                                       b"<sst><si><t>&xxe;</t></si></sst>")
    entries["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData/></worksheet>"
    return "xxe.xlsx", _zip(entries)


@dataclass(frozen=True)
class BadFile:
    label: str
    build: Callable[[str, str], tuple[str, bytes]]  # (own school code, other county's school code) → file
    message: str  # the job's error message contains this
    row_reason: str = ""  # and the error file contains this reason


def _one(school: str, **overrides: Any) -> list[list[Any]]:
    return [roster_row(school, 1), roster_row(school, 2, **overrides)]


def _bad_checksum(school: str) -> list[list[Any]]:
    row = roster_row(school, 3)
    number = row[1]
    row[1] = number[:17] + ("0" if number[17] != "0" else "1")
    return [roster_row(school, 1), row]


def _impossible_birth(school: str) -> list[list[Any]]:
    body = "14010519900230123"
    return _one(school, 身份证号=body + id_numbers.ric.calc_check_digit(body + "0"), 出生日期="")


ROWS_FAILED = importing.ROWS_FAILED.split("{")[0]

BAD_FILES: tuple[BadFile, ...] = (
    BadFile("zip bomb", lambda s, o: zip_bomb(), spreadsheets.ERR_ZIP_BOMB),
    BadFile("billion laughs", lambda s, o: billion_laughs(), spreadsheets.ERR_XML_ENTITY),
    BadFile("external entity", lambda s, o: xxe(), spreadsheets.ERR_XML_ENTITY),
    BadFile("csv renamed .xlsx", lambda s, o: ("roster.xlsx", csv_bytes([roster_row(s, 1)])[1]),
            spreadsheets.ERR_NOT_XLSX),
    BadFile("empty file", lambda s, o: ("roster.xlsx", b""), spreadsheets.ERR_EMPTY),
    BadFile("only headers", lambda s, o: xlsx([]), spreadsheets.ERR_NO_ROWS),
    BadFile("wrong headers", lambda s, o: xlsx([["a", "b"]], ["名字", "编号"]),
            importing.ERR_MISSING_COLUMNS.split("{")[0]),
    BadFile("numeric ID cells", lambda s, o: xlsx([roster_row(s, 1), roster_row(s, 2)], numeric_columns=[1]),
            ROWS_FAILED, id_numbers.ERR_ID_NUMERIC),
    BadFile("scientific-notation ID text", lambda s, o: csv_bytes(_one(s, 身份证号="1.40105E+17")), ROWS_FAILED,
            id_numbers.ERR_ID_NUMERIC),
    BadFile("bad checksum", lambda s, o: xlsx(_bad_checksum(s)), ROWS_FAILED, id_numbers.ERR_ID_CHECKSUM),
    BadFile("impossible birth date", lambda s, o: xlsx(_impossible_birth(s)), ROWS_FAILED, id_numbers.ERR_ID_BIRTH),
    BadFile("ID/gender mismatch", lambda s, o: xlsx(_one(s, 性别="女")), ROWS_FAILED,
            roster_import.ERR_GENDER_MISMATCH.split("（")[0]),
    BadFile("ID/birth date mismatch", lambda s, o: xlsx(_one(s, 出生日期="1986-04-03")), ROWS_FAILED,
            roster_import.ERR_BIRTH_MISMATCH.split("（")[0]),
    BadFile("duplicate rows", lambda s, o: xlsx([roster_row(s, 1), roster_row(s, 2), roster_row(s, 1)]),
            ROWS_FAILED, "与第2行的身份证号重复"),
    BadFile("teacher of another county", lambda s, o: xlsx([roster_row(s, 1), roster_row(o, 2)]), ROWS_FAILED,
            roster_import.ERR_SCHOOL_OUT_OF_SCOPE),
    BadFile("unknown school", lambda s, o: xlsx(_one(s, 学校标识码="9999999999")), ROWS_FAILED,
            roster_import.ERR_SCHOOL_UNKNOWN),
    BadFile("1 MB cell (CSV)", lambda s, o: csv_bytes(_one(s, 任教学科="数" * 1_000_000)),
            spreadsheets.ERR_CELL_TOO_LONG),
    BadFile("30,000-character cell (XLSX)", lambda s, o: xlsx(_one(s, 任教学科="数" * 30_000)), ROWS_FAILED,
            importing.ERR_TOO_LONG.split("（")[0]),
    BadFile("formula in a cell", lambda s, o: xlsx(_one(s, 姓名='=HYPERLINK("http://x","点击")')), ROWS_FAILED,
            importing.ERR_FORMULA),
    BadFile("mixed encodings", lambda s, o: (
        "roster.csv",
        csv_bytes([roster_row(s, 1)], encoding="gb18030")[1] + ",".join(map(str, roster_row(s, 2))).encode("utf-8"),
    ), spreadsheets.ERR_MIXED_ENCODING),
    BadFile("not a spreadsheet", lambda s, o: ("roster.docx", b"PK\x03\x04 not really"), spreadsheets.ERR_FORMAT),
    BadFile("bad phone and date", lambda s, o: xlsx(_one(s, 手机号="12345", 首次任教日期="明年")), ROWS_FAILED,
            roster_import.ERR_PHONE),
)
