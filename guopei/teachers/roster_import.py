"""Import a teacher roster (教师名册): validate every row, then apply the whole file in one transaction (MGMT-4).

Built for 100,000-row files (docs/performance.md): worker processes parse the parts of a big sheet and check
its rows in chunks; each chunk is looked up (schools, stored teachers: one set query per chunk, no query per
row) and written in batches while the next ones are checked, inside the one transaction, and any error stops
the writing and rolls it all back. A row matching an existing teacher by ID number (keyed hash) updates them; a
row equal to what is stored changes nothing, so re-importing a file is a no-op. A county administrator imports
only into the schools of their own county.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from multiprocessing.connection import Connection
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.pii import pii_encrypter, pii_hasher
from guopei.core.spreadsheets import (
    ERR_NO_ROWS,
    RowError,
    SheetParts,
    SpreadsheetError,
    read_table,
    write_xlsx,
    xlsx_sheet_parts,
)
from guopei.orgs.models import School
from guopei.orgs.scoping import user_covers_region

from .bulk import db_datetime, import_session, insert_rows, matching, update_rows
from .id_numbers import IdNumberError, address_code_ever_existed, parse_id_number
from .importing import (
    ERR_TOO_MANY_ROWS,
    ROWS_FAILED,
    YES_NO,
    CellError,
    Column,
    ImportFileError,
    RowErrors,
    choice,
    labelled,
    match_headers,
    parse_date,
    text,
    yes_no,
)
from .models import BackboneLevel, Post, Teacher, Title
from .names import name_pinyin
from .roles import TEACHER_ADMIN_ROLES

ProgressFn = Callable[[int, int, str], None]

ERR_PHONE = "手机号应为11位数字，以1开头。"
ERR_SCHOOL_FORMAT = "学校标识码应为10位数字。"
ERR_SCHOOL_UNKNOWN = "平台中没有此学校标识码的学校。"
ERR_SCHOOL_OUT_OF_SCOPE = "该学校不在您管辖的县区内，不能导入。"
ERR_TEACHER_ELSEWHERE = "该教师目前在其他县区的学校（{school}），跨县区调动请通过“教师调动”办理。"
ERR_GENDER_MISMATCH = "性别与身份证号不符（身份证号显示为{expected}）。"
ERR_BIRTH_MISMATCH = "出生日期与身份证号不符（身份证号显示为{expected}）。"
ERR_DUPLICATE = "与第{line}行的身份证号重复。"
ERR_EMPLOYED_BEFORE_BIRTH = "首次任教日期早于16周岁，请核对。"
ERR_EMPLOYED_FUTURE = "首次任教日期晚于今天。"
ERR_NAME = "姓名只能包含汉字、字母、间隔号（·）和空格。"

ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("教师姓名",), True, "必填。"),
    Column("id_number", "身份证号", ("身份证号码", "证件号码", "公民身份号码", "身份证", "身份证件号码"), True,
           "必填，18位，末位可为X。此列必须是“文本”格式，否则Excel会丢失末几位。"),
    Column("gender", "性别", (), False, "男/女。可不填；填写时须与身份证号一致。"),
    Column("birth_date", "出生日期", ("出生年月日",), False, "可不填；填写时须与身份证号一致，如 1985-06-01。"),
    Column("phone", "手机号", ("手机", "手机号码", "联系电话", "移动电话"), False, "11位手机号。"),
    Column("school_code", "学校标识码", ("学校代码", "单位标识码", "学校识别码"), True,
           "必填，10位学校标识码；县级管理员只能导入本县区的学校。"),
    Column("segment", "学段", ("任教学段",), False, "幼儿园/小学/初中/高中等；不填则取学校的办学类型。"),
    Column("subject", "任教学科", ("学科", "所教学科"), False, "如 语文、数学、学前教育。"),
    Column("title", "职称", ("专业技术职称", "职称等级"), False,
           "正高级教师/高级教师/一级教师/二级教师/三级教师/未定级。"),
    Column("post", "岗位", ("职务", "岗位类别"), False, "教师/校长/副校长/园长/副园长；不填为教师。"),
    Column("backbone_level", "骨干级别", ("骨干教师级别", "骨干"), False,
           "无/校级骨干/县级骨干/市级骨干/省级骨干/国家级骨干。"),
    Column("preschool_major", "学前教育专业", ("是否学前教育专业",), False, "是/否；不填为否。"),
    Column("first_employed_on", "首次任教日期", ("参加工作时间", "参加工作日期", "任教起始日期"), False,
           "如 2008-09-01，用于计算教龄。"),
    Column("employment_type", "用工性质", ("编制情况", "人员性质"), False, "在编/非在编/民办；不填为在编。"),
    Column("status", "状态", ("在职状态", "任职状态"), False, "在职/调出/退休/离职；不填为在职。"),
)

SEGMENT_OPTIONS = labelled(School.Kind.choices, ("九年一贯制", "nine_year"), ("中职", "vocational"))
TITLE_OPTIONS = labelled(Title.choices, ("无", "未定级"), ("中小学高级教师", "高级教师"),
                         ("中小学一级教师", "一级教师"), ("中小学二级教师", "二级教师"))
POST_OPTIONS = labelled(Post.choices, ("专任教师", "teacher"), ("幼儿园园长", "director"))
BACKBONE_OPTIONS = labelled(BackboneLevel.choices, ("校级", "school"), ("县级", "county"), ("市级", "city"),
                            ("省级", "province"), ("国家级", "national"), ("否", ""))
EMPLOYMENT_OPTIONS = labelled(Teacher.EmploymentType.choices, ("编内", "staff"), ("编外", "contract"))
STATUS_OPTIONS = labelled(Teacher.Status.choices)
GENDER_OPTIONS = labelled(Teacher.Gender.choices, ("男性", "M"), ("女性", "F"))

_NAME_RE = re.compile(r"^[\u3400-\u9fffA-Za-z·•. ]+$")
_PHONE_RE = re.compile(r"^1\d{10}$")
_SCHOOL_RE = re.compile(r"^\d{10}$")

# Choice columns: (key, accepted values, value of a blank cell). "" for the segment means "the school's kind".
CHOICE_COLUMNS: tuple[tuple[str, dict[str, str], str], ...] = (
    ("segment", SEGMENT_OPTIONS, ""),
    ("title", TITLE_OPTIONS, Title.NONE.value),
    ("post", POST_OPTIONS, Post.TEACHER.value),
    ("backbone_level", BACKBONE_OPTIONS, ""),
    ("employment_type", EMPLOYMENT_OPTIONS, Teacher.EmploymentType.STAFF.value),
    ("status", STATUS_OPTIONS, Teacher.Status.ACTIVE.value),
)
# What a new teacher gets for a column the file does not have.
CREATE_DEFAULTS: dict[str, Any] = {
    "subject": "", "title": Title.NONE.value, "post": Post.TEACHER.value, "backbone_level": "",
    "preschool_major": False, "first_employed_on": None, "employment_type": Teacher.EmploymentType.STAFF.value,
    "status": Teacher.Status.ACTIVE.value,
}

# The fields a roster row sets, in the order they are compared with what is stored.
FIELDS = ("name", "name_pinyin", "gender", "birth_date", "school_id", "region_code", "segment", "subject", "title",
          "post", "backbone_level", "preschool_major", "first_employed_on", "employment_type", "status")
INSERT_COLUMNS = ("created_at", "updated_at", *FIELDS, "id_number", "id_hash", "phone", "phone_hash", "is_demo")
_SCHOOL_ID, _SEGMENT, _ID_HASH, _PHONE, _PHONE_HASH = (
    INSERT_COLUMNS.index(c) for c in ("school_id", "segment", "id_hash", "phone", "phone_hash"))
# Rows per statement when writing (COPY / executemany / UPDATE batches).
BATCH = 5000
# Rows checked as one piece of work; the writing of a chunk starts as soon as it and those before it are checked.
CHUNK_ROWS = 5000
# Files at least this long are checked in worker processes (settings.TEACHERS_IMPORT_PROCESSES).
PARALLEL_MIN_ROWS = 20000
# How much the worker processes defer to the process that writes (`os.nice`). The one writer is the import's
# critical path and the workers only need to stay ahead of it; at equal priority they took a share of its core
# (two workers and the writer on two cores), and a 100,000-row import on SQLite took 4.54–4.72 s instead of
# 4.12–4.28 s (five alternating runs each). It also leaves the web processes ahead of a big import's workers.
WORKER_NICENESS = 10

# One checked row, compact because 100,000 of them cross a pipe from the worker processes: (line, ID number,
# phone — None when the file has no phone column —, school code, the values in INSERT_COLUMNS order with the
# school's id and region still to fill in, and the segment too when it is blank: it is then the school's kind).
CheckedRow = tuple[int, str, str | None, str, tuple[Any, ...]]
# What checking one chunk gives: its rows, its cell errors (capped) and their count, its last line, and its last
# line that is not blank (0 if none).
Checked = tuple[list[CheckedRow], list[RowError], int, int, int]


class ImportFailed(Exception):
    """The file was not imported; `errors` (row-level) may be empty when the file as a whole is wrong."""

    def __init__(self, message: str, errors: RowErrors | None = None) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass
class ImportOutcome:
    rows: int
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def roster_template() -> bytes:
    """The downloadable template: the headers, one example row, the ID column formatted as text, and notes."""
    headers = [c.label for c in ROSTER_COLUMNS]
    example = ["张晓明", "140105199003151234", "男", "1990-03-15", "13812345678", "1410000001", "小学", "语文",
               "一级教师", "教师", "县级骨干", "否", "2012-09-01", "在编", "在职"]
    notes = ["教师名册填写说明（第一行为表头，列的顺序可以调整，表头也可使用常见写法，如“证件号码”）："]
    notes += [f"{c.label}：{c.help}" for c in ROSTER_COLUMNS]
    notes += ["同一身份证号的教师已在平台中时，导入会更新其信息；重复导入同一文件不会产生任何变化。",
              "文件中有任何错误时，整个文件都不会导入，请下载错误明细修改后重新上传。",
              "示例行仅作参考，导入前请删除。"]
    return write_xlsx(headers, [example], sheet_name="教师名册", text_columns=[1, 4, 5], notes=notes)


def _text_check(limit: int, required: bool = False) -> Any:
    def check(value: Any) -> str:
        # Fast path for the common, clean cell; anything else goes through the full check (and its message).
        if value.__class__ is str and value and len(value) <= limit and value[0] not in "=+-@ " \
                and value[-1] != " ":
            return value  # type: ignore[no-any-return]
        return text(value, limit=limit, required=required)

    return check


def _choice_check(options: dict[str, str], default: str) -> Any:
    def check(value: Any) -> str:
        if value.__class__ is str:
            found = options.get(value)
            if found is not None:
                return found
        return choice(value, options, default=default)

    return check


def _date_check(value: Any) -> date | None:
    if value.__class__ is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return parse_date(value)


_name_text, _phone_text, _school_text = _text_check(50, True), _text_check(20), _text_check(20, True)


def _name_check(value: Any) -> str:
    name = _name_text(value)
    if not _NAME_RE.match(name):
        raise CellError(ERR_NAME)
    return name


def _phone_check(value: Any) -> str:
    if value.__class__ is int:
        value = str(value)
    phone = _phone_text(value)
    if phone and not _PHONE_RE.match(phone):
        raise CellError(ERR_PHONE)
    return phone


def _school_check(value: Any) -> str:
    if value.__class__ is int:
        value = str(value)
    code = _school_text(value)
    if not _SCHOOL_RE.match(code):
        raise CellError(ERR_SCHOOL_FORMAT)
    return code


def _validators(cols: dict[str, int]) -> list[tuple[str, int, Any]]:
    """(key, column index, check) for every column of the file except the ID number, gender and birth date."""
    checks: dict[str, Any] = {
        "name": _name_check, "phone": _phone_check, "school_code": _school_check, "subject": _text_check(30),
        "preschool_major": yes_no, "first_employed_on": _date_check,
    }
    for key, options, default in CHOICE_COLUMNS:
        checks[key] = _choice_check(options, default)
    required = {"name", "school_code"}
    return [(key, cols.get(key, -1), check) for key, check in checks.items() if key in cols or key in required]


# The values of a checked row, by position: what `_slow_check` and `_fast_check` give.
OPTIONAL = ("segment", "subject", "title", "post", "backbone_level", "preschool_major", "first_employed_on",
            "employment_type", "status")


def _slow_check(raw: Sequence[Any], line: int, cols: dict[str, int], today: date, errors: RowErrors,
                validators: list[tuple[str, int, Any]], labels: dict[str, str]) -> tuple[Any, ...] | None:
    """Check one row cell by cell, adding every problem to `errors`; its values, or None if it has errors.

    The values: (name, parsed ID number, phone or None, school code, *OPTIONAL), a column the file does not have
    taking what a new teacher gets (the segment "": the school's kind).
    """
    before = errors.count
    values: dict[str, Any] = {}
    for key, index, check in validators:
        value = raw[index] if index >= 0 else ""
        try:
            values[key] = check(value)
        except CellError as exc:
            errors.add(line, labels[key], value, str(exc))
    id_col = cols["id_number"]
    try:
        parsed = parse_id_number(raw[id_col], today=today)
    except IdNumberError as exc:
        errors.add(line, labels["id_number"], raw[id_col], str(exc))
        return None
    gender_col = cols.get("gender", -1)
    if gender_col >= 0:
        try:
            gender = GENDER_OPTIONS.get(raw[gender_col]) or choice(raw[gender_col], GENDER_OPTIONS,
                                                                    default=parsed.gender)
            if gender != parsed.gender:
                raise CellError(ERR_GENDER_MISMATCH.format(expected="男" if parsed.gender == "M" else "女"))
        except CellError as exc:
            errors.add(line, labels["gender"], raw[gender_col], str(exc))
    birth_col = cols.get("birth_date", -1)
    if birth_col >= 0:
        try:
            given = _date_check(raw[birth_col])
            if given is not None and given != parsed.birth_date:
                raise CellError(ERR_BIRTH_MISMATCH.format(expected=parsed.birth_date.isoformat()))
        except CellError as exc:
            errors.add(line, labels["birth_date"], raw[birth_col], str(exc))
    employed = values.get("first_employed_on")
    if employed is not None:
        if employed > today:
            errors.add(line, labels["first_employed_on"], employed, ERR_EMPLOYED_FUTURE)
        elif employed.year - parsed.birth_date.year < 16:
            errors.add(line, labels["first_employed_on"], employed, ERR_EMPLOYED_BEFORE_BIRTH)
    if errors.count != before:
        return None
    return (values["name"], parsed, values["phone"] if "phone" in cols else None, values["school_code"],
            values.get("segment", ""), *(values.get(key, CREATE_DEFAULTS[key]) for key in OPTIONAL[1:]))


def _fast_check(cols: dict[str, int], today: date) -> Callable[[Sequence[Any]], tuple[Any, ...] | None]:
    """The check of one row for the common case, every cell plainly right; None sends the row to `_slow_check`.

    For a row it accepts it gives exactly what `_slow_check` gives (each condition below is one under which the
    full check accepts the cell as it is); about twice as fast, as it does no per-cell dispatch or exception
    handling.
    """
    name_col, id_col, school_col = cols["name"], cols["id_number"], cols["school_code"]
    gender_col, birth_col, phone_col = cols.get("gender", -1), cols.get("birth_date", -1), cols.get("phone", -1)
    subject_col, yes_col = cols.get("subject", -1), cols.get("preschool_major", -1)
    employed_col = cols.get("first_employed_on", -1)
    # (column, accepted values, value of a blank cell) of the choice columns, in OPTIONAL's order.
    segment, title, post, backbone, employment, status = (
        (cols.get(key, -1), options, default) for key, options, default in CHOICE_COLUMNS)
    name_ok, genders, yes = _NAME_RE.match, GENDER_OPTIONS, YES_NO
    defaults = CREATE_DEFAULTS

    def pick(column: tuple[int, dict[str, str], str], raw: Sequence[Any], absent: str) -> str | None:
        index, options, default = column
        if index < 0:
            return absent
        value = raw[index]
        return default if value == "" else options.get(value) if value.__class__ is str else None

    def check(raw: Sequence[Any]) -> tuple[Any, ...] | None:
        name = raw[name_col]
        if name.__class__ is not str or not 0 < len(name) <= 50 or name[0] in "=+-@ " or name[-1] == " " \
                or not name_ok(name):
            return None
        try:
            parsed = parse_id_number(raw[id_col], today=today)
        except IdNumberError:
            return None
        if gender_col >= 0 and raw[gender_col] != "" and genders.get(raw[gender_col]) != parsed.gender:
            return None
        if birth_col >= 0 and raw[birth_col] != "" and raw[birth_col] != parsed.birth_date.isoformat():
            return None
        phone: str | None = None
        if phone_col >= 0:
            phone = raw[phone_col]
            if phone != "" and not (phone.__class__ is str and len(phone) == 11 and phone.isascii()
                                    and phone.isdigit() and phone[0] == "1"):
                return None
        code = raw[school_col]
        if not (code.__class__ is str and len(code) == 10 and code.isascii() and code.isdigit()):
            return None
        subject = defaults["subject"]
        if subject_col >= 0:
            subject = raw[subject_col]
            if subject != "" and not (subject.__class__ is str and len(subject) <= 30
                                      and subject[0] not in "=+-@ " and subject[-1] != " "):
                return None
        major = defaults["preschool_major"]
        if yes_col >= 0 and raw[yes_col] != "":
            flag = yes.get(raw[yes_col]) if raw[yes_col].__class__ is str else None
            if flag is None:
                return None
            major = flag == "1"
        employed = defaults["first_employed_on"]
        if employed_col >= 0 and raw[employed_col] != "":
            value = raw[employed_col]
            if not (value.__class__ is str and len(value) == 10 and value[4] == "-" and value[7] == "-"):
                return None
            try:
                employed = date.fromisoformat(value)
            except ValueError:
                return None
            if employed > today or employed.year - parsed.birth_date.year < 16:
                return None
        picked = (pick(segment, raw, ""), pick(title, raw, defaults["title"]), pick(post, raw, defaults["post"]),
                  pick(backbone, raw, defaults["backbone_level"]),
                  pick(employment, raw, defaults["employment_type"]), pick(status, raw, defaults["status"]))
        if None in picked:
            return None
        return (name, parsed, phone, code, picked[0], subject, picked[1], picked[2], picked[3], major, employed,
                picked[4], picked[5])

    return check


def _check_rows(raw_rows: Sequence[Sequence[Any]], first_line: int, cols: dict[str, int], today: date,
                errors: RowErrors) -> list[CheckedRow]:
    """Check every cell that can be checked without the database, and encrypt and hash what a new teacher needs.

    One pass with no per-row setup. Duplicates across the file, schools and stored teachers are checked by the
    process that writes (`_Writer`), so chunks can be checked in parallel.
    """
    rows: list[CheckedRow] = []
    labels = {c.key: c.label for c in ROSTER_COLUMNS}
    validators = _validators(cols)
    fast = _fast_check(cols, today)
    encrypt, hash_value = pii_encrypter(), pii_hasher()
    for offset, raw in enumerate(raw_rows):
        if not any(raw):  # a blank line (cells "" or None)
            continue
        values = fast(raw) or _slow_check(raw, first_line + offset, cols, today, errors, validators, labels)
        if values is None:
            continue
        name, parsed, phone, code, segment, subject, title, post, backbone, major, employed, employment, status = \
            values
        number = parsed.number
        rows.append((first_line + offset, number, phone, code, (
            None, None, name, name_pinyin(name), parsed.gender, parsed.birth_date, None, None, segment, subject,
            title, post, backbone, major, employed, employment, status,
            encrypt(number), hash_value(number), encrypt(phone or ""), hash_value(phone or ""), False,
        )))
    return rows


class _Rows:
    """The rows to check as units of work: here the rows of a table this process has read, CHUNK_ROWS a unit."""

    def __init__(self, rows: list[list[Any]]) -> None:
        self.rows = rows
        self.units = -(-len(rows) // CHUNK_ROWS)

    def chunks(self, unit: int) -> list[tuple[int, list[list[Any]]]]:
        """The unit's chunks: (spreadsheet line of the first row, rows)."""
        start = unit * CHUNK_ROWS
        return [(start + 2, self.rows[start:start + CHUNK_ROWS])]


class _Parts:
    """The rows to check as units of work: each unit one part of a big sheet, read by the worker that checks it."""

    def __init__(self, parts: SheetParts) -> None:
        self.parts = parts
        self.units = parts.count

    def chunks(self, unit: int) -> list[tuple[int, list[list[Any]]]]:
        first_line, rows = self.parts.read(unit)
        if unit == 0:  # line 1 is the headers
            first_line, rows = first_line + 1, rows[1:]
        return [(first_line + i, rows[i:i + CHUNK_ROWS]) for i in range(0, len(rows), CHUNK_ROWS)] or \
            [(first_line, [])]


def _check_chunk(first_line: int, raw_rows: list[list[Any]], cols: dict[str, int], today: date) -> Checked:
    errors = RowErrors()
    rows = _check_rows(raw_rows, first_line, cols, today, errors)
    filled = max((i for i, raw in enumerate(raw_rows) if any(raw)), default=-1)
    return rows, errors.items, errors.count, first_line + len(raw_rows) - 1, first_line + filled if filled >= 0 else 0


def _checked_in_process(source: _Rows | _Parts, cols: dict[str, int], today: date) -> Iterator[Checked]:
    for unit in range(source.units):
        for first_line, raw_rows in source.chunks(unit):
            yield _check_chunk(first_line, raw_rows, cols, today)


# What the worker processes check: set just before they are forked, read by them (copy-on-write).
_WORK: tuple[_Rows | _Parts, dict[str, int], date] | None = None


def _worker(conn: Connection, worker: int, workers: int) -> None:
    """A forked worker: check units worker, worker + workers, …; send each chunk as soon as it is checked.

    It only computes: it never touches the database connection it inherits.
    """
    assert _WORK is not None
    source, cols, today = _WORK
    os.nice(WORKER_NICENESS)
    try:
        for unit in range(worker, source.units, workers):
            chunks = source.chunks(unit)
            for seq, (first_line, raw_rows) in enumerate(chunks):
                payload = pickle.dumps(_check_chunk(first_line, raw_rows, cols, today), protocol=5)
                conn.send((unit, seq, seq == len(chunks) - 1))
                conn.send_bytes(payload)
    except SpreadsheetError as exc:
        conn.send(("file", str(exc)))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class _Workers:
    """Worker processes, forked on creation, checking the units between them; iterate for the chunks in order."""

    def __init__(self, source: _Rows | _Parts, cols: dict[str, int], today: date, workers: int) -> None:
        global _WORK
        context = multiprocessing.get_context("fork")
        # Load stdnum's table of address codes once here rather than in every worker (0.05 s each).
        address_code_ever_existed("110101")
        self.units = source.units
        self.processes: list[Any] = []
        self.receivers: list[Connection] = []
        _WORK = (source, cols, today)
        try:
            for worker in range(workers):
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_worker, args=(sender, worker, workers), daemon=True)
                process.start()
                sender.close()
                self.processes.append(process)
                self.receivers.append(receiver)
        except BaseException:
            self.close()
            raise
        finally:
            _WORK = None

    def __iter__(self) -> Iterator[Checked]:
        """The chunks in file order, each read from the worker whose unit it is when it is needed.

        A worker that is ahead waits on its pipe until then: what is checked but not yet written stays small
        (the importing process keeps its memory for the database's page cache).
        """
        for unit in range(self.units):
            conn = self.receivers[unit % len(self.receivers)]
            while True:
                try:
                    header = conn.recv()
                except (EOFError, OSError):
                    raise RuntimeError("a roster check worker ended unexpectedly") from None
                if header is None or header[0] == "error":
                    detail = "" if header is None else f":\n{header[1]}"
                    raise RuntimeError(f"a roster check worker failed{detail}")
                if header[0] == "file":
                    raise ImportFailed(header[1])
                assert header[0] == unit, (header, unit)
                yield pickle.loads(conn.recv_bytes())  # noqa: S301 - bytes from a worker this process forked
                if header[2]:  # the unit's last chunk
                    break

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join()
        for conn in self.receivers:
            conn.close()


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _load_schools(codes: Iterable[str]) -> dict[str, tuple[int, str, str, str]]:
    schools: dict[str, tuple[int, str, str, str]] = {}
    for chunk in _chunks(sorted(codes), 5000):
        for pk, code, region, kind, name in School.objects.filter(code__in=chunk).order_by().values_list(
            "pk", "code", "region_code", "kind", "name"
        ):
            schools[code] = (pk, region, kind, name)
    return schools


def _load_all_schools() -> dict[str, tuple[int, str, str, str]]:
    """Every school: 30,000 rows, read through a cursor (the ORM's per-row work would cost 0.3 s here)."""
    sql, params = School.objects.order_by().values_list("pk", "code", "region_code", "kind", "name").query \
        .sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {code: (pk, region, kind, name) for pk, code, region, kind, name in cursor.fetchall()}


EXISTING_FIELDS = ("pk", "id_hash", "phone", "phone_hash", "school__name", *FIELDS)
_EXISTING_INDEX = {name: i for i, name in enumerate(EXISTING_FIELDS)}
_EXISTING_REGION, _EXISTING_PHONE_HASH = _EXISTING_INDEX["region_code"], _EXISTING_INDEX["phone_hash"]


class Existing(tuple):  # type: ignore[type-arg]
    """One stored teacher as a compact tuple (100,000 dicts would cost ten times the memory), read by name."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        return tuple.__getitem__(self, _EXISTING_INDEX[key] if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        index = _EXISTING_INDEX.get(key)
        return default if index is None else tuple.__getitem__(self, index)


def _load_existing(hashes: list[str]) -> dict[str, Any]:
    existing: dict[str, Any] = {}
    for chunk in _chunks(hashes, 5000):
        for values in Teacher.objects.filter(matching(Teacher, "id_hash", chunk)).order_by().values_list(
                *EXISTING_FIELDS):
            existing[values[1]] = Existing(values)
    return existing


def _look_up(checked: Checked, schools: dict[str, Any]) -> dict[str, Any]:
    """Add the chunk's schools not yet known to `schools` (None: no such school); its stored teachers by hash."""
    rows = checked[0]
    missing = {row[3] for row in rows if row[3] not in schools}
    if missing:
        found = _load_schools(missing)
        schools.update({code: found.get(code) for code in missing})
    return _load_existing([row[4][_ID_HASH] for row in rows])


_DONE = object()


class _LookAhead:
    """Receive the checked chunks, look up their schools and stored teachers and prepare them, in a thread.

    The thread has its own database connection (Django's are per thread), so the database answers a chunk's
    lookups while it writes the chunk before, in the importing transaction on the main connection, and the
    main thread does little else than write. The lookups see what was committed before the import, as they
    would before any write: a stored teacher the import itself writes can only be looked up again by a
    duplicate row, which is refused before any lookup is used. Used only when the caller holds no transaction
    (its uncommitted rows would be invisible here) and the database is not an in-memory SQLite one.
    """

    def __init__(self, chunks: Iterable[Checked], writer: _Writer) -> None:
        """Start the thread; it first fills the writer's schools with every school."""
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(chunks, writer), daemon=True)
        self.thread.start()

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, chunks: Iterable[Checked], writer: _Writer) -> None:
        try:
            writer.schools.update(_load_all_schools())
            for chunk in chunks:
                if not self._put(writer.prepare(chunk, _look_up(chunk, writer.schools))):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the main thread, which raises it
            self._put(exc)
        finally:
            connections.close_all()  # this thread's connection only

    def __iter__(self) -> Iterator[Prepared]:
        while True:
            item = self.queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def _separate_lookups() -> bool:
    if connection.in_atomic_block:
        return False
    return connection.vendor != "sqlite" or not connection.is_in_memory_db()  # type: ignore[attr-defined]


# A chunk ready to write: the new rows (INSERT_COLUMNS order), the changes to stored teachers (the stored row,
# {field: new value}), and the chunk's last line (for the progress).
Prepared = tuple[list[tuple[Any, ...]], list[tuple[Any, dict[str, Any]]], int]


class _Writer:
    """Takes the checked chunks in file order; checks what needs the database; writes while nothing is wrong.

    `prepare` (duplicates, schools, scope, stored teachers, what changes) and `write` are separate so that a
    thread can prepare the next chunk while the database writes this one. Everything is written inside the
    caller's transaction: once any error is found nothing more is written, the remaining chunks are still
    checked so that the error file lists every problem, and the caller's `ImportFailed` rolls back what was
    written. Errors are kept as the one-pass import listed them: cell errors, then duplicates, then school and
    stored-teacher errors (this matters only beyond the error file's cap).
    """

    def __init__(self, *, actor: Any, cols: dict[str, int], now: datetime, total: int, report: ProgressFn,
                 schools: dict[str, Any]) -> None:
        self.actor = actor
        self.now = now
        self.stamp = db_datetime(now)  # created_at and updated_at of the new rows, as the driver takes them
        self.total = total
        self.report = report
        self.schools = schools  # filled in by `_look_up` before each chunk arrives
        self.allowed: dict[str, bool] = {}
        self.seen: dict[str, int] = {}
        self.cell_errors, self.duplicate_errors, self.school_errors = RowErrors(), RowErrors(), RowErrors()
        # FIELDS the file sets (the others keep what is stored): positions in INSERT_COLUMNS and EXISTING_FIELDS.
        present = {"name", "name_pinyin", "gender", "birth_date", "school_id", "region_code", *cols}
        self.compared = [(key, 2 + i, 5 + i) for i, key in enumerate(FIELDS) if key in present]
        self.rows = self.created = self.updated = self.unchanged = 0
        self.last_line = 1
        self.filled_line = 0

    @property
    def failed(self) -> bool:
        return bool(self.cell_errors or self.duplicate_errors or self.school_errors)

    def _covers(self, region: str) -> bool:
        if region not in self.allowed:
            self.allowed[region] = user_covers_region(self.actor, region, TEACHER_ADMIN_ROLES)
        return self.allowed[region]

    def prepare(self, checked: Checked, existing: dict[str, Any]) -> Prepared:
        """Check one chunk against the file so far and the database (`existing`: its stored teachers)."""
        rows, cell_items, cell_count, last_line, filled_line = checked
        self.last_line = max(self.last_line, last_line)
        self.filled_line = max(self.filled_line, filled_line)
        for item in cell_items:
            self.cell_errors.add(item.row, item.column, item.value, item.reason)
        self.cell_errors.count += cell_count - len(cell_items)
        kept: list[CheckedRow] = []
        seen = self.seen
        for row in rows:
            id_hash = row[4][_ID_HASH]
            first = seen.get(id_hash)
            if first is not None:
                self.duplicate_errors.add(row[0], "身份证号", row[1], ERR_DUPLICATE.format(line=first))
                continue
            seen[id_hash] = row[0]
            kept.append(row)
        new: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, dict[str, Any]]] = []
        compared, stamp = self.compared, self.stamp
        for line, _number, phone, code, values in kept:
            school = self.schools[code]
            if school is None:
                self.school_errors.add(line, "学校标识码", code, ERR_SCHOOL_UNKNOWN)
                continue
            pk, region, kind, _name = school
            if not self._covers(region):
                self.school_errors.add(line, "学校标识码", code, ERR_SCHOOL_OUT_OF_SCOPE)
                continue
            current = existing.get(values[_ID_HASH])
            if current is not None and current[_EXISTING_REGION] != region:
                self.school_errors.add(line, "学校标识码", code,
                                       ERR_TEACHER_ELSEWHERE.format(school=current["school__name"]))
                continue
            # A blank segment is the school's kind (a file without the column leaves a stored teacher's alone).
            values = (stamp, stamp, *values[2:_SCHOOL_ID], pk, region, values[_SEGMENT] or kind,
                      *values[_SEGMENT + 1:])
            if current is None:
                new.append(values)
                continue
            diff = {key: values[i] for key, i, j in compared if values[i] != current[j]}
            if phone is not None and values[_PHONE_HASH] != current[_EXISTING_PHONE_HASH]:
                diff["phone"] = values[_PHONE]
                diff["phone_hash"] = values[_PHONE_HASH]
            if diff:
                changes.append((current, diff))
            else:
                self.unchanged += 1
        self.rows += len(kept)
        if connection.vendor == "postgresql":
            # In keyed-hash order the COPY walks the hash's two indexes (unique, pattern) in order: 0.5 s less
            # server time per 100,000 rows. (On SQLite, with its page cache holding the indexes, 0.2 s more.)
            new.sort(key=itemgetter(_ID_HASH))
        return new, changes, last_line

    def write(self, prepared: Prepared) -> None:
        """Write a prepared chunk on this thread's connection (the importing transaction), unless anything is
        wrong in the file so far."""
        new, changes, last_line = prepared
        done, now = last_line - 1, self.now
        if self.failed:
            self.report(done, self.total, "正在检查数据")
            return
        for batch in _chunks(new, BATCH):
            insert_rows(Teacher, INSERT_COLUMNS, batch)
            self.created += len(batch)
            self.report(done, self.total, "正在写入新教师")
        if changes:
            changed_fields: set[str] = set()
            for _current, diff in changes:
                changed_fields.update(diff)
            columns = [*sorted(changed_fields), "updated_at"]
            for batch in _chunks(changes, BATCH):
                update_rows(Teacher, columns, [
                    (current["pk"], *(diff.get(c, current.get(c)) for c in columns[:-1]), now)
                    for current, diff in batch
                ])
                self.updated += len(batch)
                self.report(done, self.total, "正在更新已有教师")
        if not new and not changes:
            self.report(done, self.total, "正在检查数据")

    def errors(self) -> RowErrors:
        """Every error, in the order the one-pass import added them, sorted by line for the error file."""
        errors = RowErrors()
        for part in (self.cell_errors, self.duplicate_errors, self.school_errors):
            for item in part.items:
                errors.add(item.row, item.column, item.value, item.reason)
            errors.count += part.count - len(part.items)
        errors.items.sort(key=lambda item: item.row)
        return errors

    def outcome(self) -> ImportOutcome:
        return ImportOutcome(rows=self.rows, created=self.created, updated=self.updated, unchanged=self.unchanged)


def _workers() -> int:
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, settings.TEACHERS_IMPORT_PROCESSES))


def _part_shares(workers: int) -> tuple[int, ...]:
    """Relative sizes of the parts of a big sheet: two small ones first, so that writing starts early (each
    worker reads its part whole before checking it), then two equal parts per worker."""
    return (1, 2, *(5,) * (2 * workers))


def _read(data: bytes, filename: str, workers: int) -> tuple[_Rows | _Parts, dict[str, int], int]:
    """The rows to check, the columns, and the number of data rows (at most; blank lines at the end included).

    A big XLSX file is cut into parts that the workers parse themselves (see `xlsx_sheet_parts`); anything else,
    or anything unusual about the file, is read whole here, which also gives every file-level error message.
    """
    max_bytes, max_rows = settings.TEACHERS_IMPORT_MAX_BYTES, settings.TEACHERS_IMPORT_MAX_ROWS
    if workers > 1:
        parts = xlsx_sheet_parts(data, filename, max_bytes=max_bytes, shares=_part_shares(workers),
                                 min_rows=PARALLEL_MIN_ROWS + 1)
        if parts is not None and parts.last_line - 1 <= max_rows:
            try:
                return _Parts(parts), match_headers(parts.headers, ROSTER_COLUMNS), parts.last_line - 1
            except ImportFileError:
                pass  # read it whole: which error comes first is then exactly as for any other file
    try:
        table = read_table(data, filename, max_bytes=max_bytes)
        cols = match_headers(table.headers, ROSTER_COLUMNS)
    except (SpreadsheetError, ImportFileError) as exc:
        raise ImportFailed(str(exc)) from None
    if len(table.rows) > max_rows:
        raise ImportFailed(ERR_TOO_MANY_ROWS.format(limit=max_rows))
    return _Rows(table.rows), cols, len(table.rows)


def roster_import(*, data: bytes, filename: str, actor: Any, progress: ProgressFn | None = None,
                  today: date | None = None) -> ImportOutcome:
    """Validate and apply a roster file; raise `ImportFailed` (nothing saved) if anything is wrong.

    The rows are checked in chunks (by worker processes for a big file, which also parse the parts of a big
    XLSX sheet) and each chunk is written, inside one transaction, as soon as it and every chunk before it have
    been checked: reading, checking and writing overlap. Any error stops the writing, the rest of the file is
    still checked, and the transaction is rolled back: all or nothing, as if the whole file had been checked
    first.
    """
    report = progress or (lambda done, total, message: None)
    today = today or timezone.localdate()
    workers = _workers()
    source, cols, total = _read(data, filename, workers)
    report(0, total, "正在检查数据")
    pool = _Workers(source, cols, today, workers) if workers > 1 and total >= PARALLEL_MIN_ROWS else None
    chunks = pool if pool is not None else _checked_in_process(source, cols, today)
    del source  # the workers have what they need; the sheet need not stay in this process
    look_ahead: _LookAhead | None = None
    writer = _Writer(actor=actor, cols=cols, now=timezone.now(), total=total, report=report, schools={})
    try:
        if pool is not None and _separate_lookups():
            look_ahead = _LookAhead(chunks, writer)
            prepared: Iterable[Prepared] = look_ahead
        else:
            if pool is not None:  # every school (one query, not one per chunk) while the workers start
                writer.schools.update(_load_all_schools())
            prepared = (writer.prepare(chunk, _look_up(chunk, writer.schools)) for chunk in chunks)
        with transaction.atomic(), import_session():
            for ready in prepared:
                writer.write(ready)
            if not writer.filled_line:
                raise ImportFailed(ERR_NO_ROWS)
            if writer.failed:
                errors = writer.errors()
                raise ImportFailed(ROWS_FAILED.format(count=errors.count), errors)
            outcome = writer.outcome()
            audit_record(actor=actor, action="teachers.roster_import", object_type="teachers.teacher",
                         detail={"file": filename[:200], **outcome.as_dict()})
    finally:
        if look_ahead is not None:
            look_ahead.stop.set()
        if pool is not None:
            pool.close()
        if look_ahead is not None:
            look_ahead.close()
    return outcome
