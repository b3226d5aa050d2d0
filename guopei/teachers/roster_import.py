"""Import a teacher roster (教师名册): validate every row, then apply the whole file in one transaction (MGMT-4).

Built for 100,000-row files: one pass over the rows in Python, the schools and the existing teachers named in
the file loaded in a few set queries, no query per row, inserts and updates in batches. A row matching an
existing teacher by ID number (keyed hash) updates them; a row equal to what is stored changes nothing, so
re-importing a file is a no-op. A county administrator imports only into the schools of their own county.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.pii import pii_encrypt, pii_hash
from guopei.core.spreadsheets import read_table, write_xlsx
from guopei.orgs.models import School
from guopei.orgs.scoping import user_covers_region

from .bulk import insert_rows, update_rows
from .id_numbers import IdNumberError, parse_id_number
from .importing import (
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
BATCH = 10000
# Files at least this long are validated and encrypted in worker processes (settings.TEACHERS_IMPORT_PROCESSES).
PARALLEL_MIN_ROWS = 20000


class ImportFailed(Exception):
    """The file was not imported; `errors` (row-level) may be empty when the file as a whole is wrong."""

    def __init__(self, message: str, errors: RowErrors | None = None) -> None:
        super().__init__(message)
        self.errors = errors


@dataclass(slots=True)
class RosterRow:
    line: int
    id_hash: str
    id_number: str
    phone: str | None  # None: the file has no phone column
    values: dict[str, Any] = field(default_factory=dict)
    # Encrypted and hashed while validating (in parallel for big files); used if the row becomes a new teacher.
    id_cipher: str = ""
    phone_cipher: str = ""
    phone_hash: str = ""


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


def _name_check(value: Any) -> str:
    name = _text_check(50, True)(value)
    if not _NAME_RE.match(name):
        raise CellError(ERR_NAME)
    return name


def _phone_check(value: Any) -> str:
    if value.__class__ is int:
        value = str(value)
    phone = _text_check(20)(value)
    if phone and not _PHONE_RE.match(phone):
        raise CellError(ERR_PHONE)
    return phone


def _school_check(value: Any) -> str:
    if value.__class__ is int:
        value = str(value)
    code = _text_check(20, True)(value)
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


def _parse_rows(raw_rows: list[list[Any]], first_line: int, cols: dict[str, int], errors: RowErrors,
                today: date) -> list[RosterRow]:
    """Check every cell that can be checked without the database, in one pass with no per-row setup.

    Duplicates across the file are found afterwards (`_drop_duplicates`), so chunks can be checked in parallel.
    """
    rows: list[RosterRow] = []
    labels = {c.key: c.label for c in ROSTER_COLUMNS}
    validators = _validators(cols)
    id_col = cols["id_number"]
    gender_col = cols.get("gender", -1)
    birth_col = cols.get("birth_date", -1)
    for offset, raw in enumerate(raw_rows):
        line = first_line + offset
        if not any(raw):  # a blank line (cells "" or None)
            continue
        before = errors.count
        values: dict[str, Any] = {}
        for key, index, check in validators:
            value = raw[index] if index >= 0 else ""
            try:
                values[key] = check(value)
            except CellError as exc:
                errors.add(line, labels[key], value, str(exc))
        try:
            parsed = parse_id_number(raw[id_col], today=today)
        except IdNumberError as exc:
            errors.add(line, labels["id_number"], raw[id_col], str(exc))
            continue
        values["gender"] = parsed.gender
        values["birth_date"] = parsed.birth_date
        if gender_col >= 0:
            try:
                gender = GENDER_OPTIONS.get(raw[gender_col]) or choice(raw[gender_col], GENDER_OPTIONS,
                                                                        default=parsed.gender)
                if gender != parsed.gender:
                    raise CellError(ERR_GENDER_MISMATCH.format(expected="男" if parsed.gender == "M" else "女"))
            except CellError as exc:
                errors.add(line, labels["gender"], raw[gender_col], str(exc))
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
            continue
        number = parsed.number
        values["name_pinyin"] = name_pinyin(values["name"])
        phone = values.pop("phone") if "phone" in cols else None
        rows.append(RosterRow(line=line, id_hash=pii_hash(number), id_number=number, phone=phone, values=values,
                              id_cipher=pii_encrypt(number), phone_cipher=pii_encrypt(phone or ""),
                              phone_hash=pii_hash(phone or "")))
    return rows


def _drop_duplicates(rows: list[RosterRow], errors: RowErrors) -> list[RosterRow]:
    """Refuse a second row with an ID number already seen in the file (the first one stays)."""
    seen: dict[str, int] = {}
    kept: list[RosterRow] = []
    for row in rows:
        first = seen.get(row.id_hash)
        if first is not None:
            errors.add(row.line, "身份证号", row.id_number, ERR_DUPLICATE.format(line=first))
            continue
        seen[row.id_hash] = row.line
        kept.append(row)
    return kept


# Rows handed to forked worker processes: set just before the pool forks, read by the children (copy-on-write).
_SHARED: tuple[list[list[Any]], dict[str, int], date] | None = None


def _parse_chunk(bounds: tuple[int, int]) -> tuple[list[RosterRow], list[Any], int]:
    assert _SHARED is not None
    raw_rows, cols, today = _SHARED
    start, end = bounds
    errors = RowErrors()
    rows = _parse_rows(raw_rows[start:end], start + 2, cols, errors, today)
    return rows, errors.items, errors.count


def _parse_all(raw_rows: list[list[Any]], cols: dict[str, int], today: date) -> tuple[list[RosterRow], RowErrors]:
    """Validate (and encrypt) every row; big files are split over worker processes, one per core."""
    global _SHARED
    errors = RowErrors()
    workers = min(os.cpu_count() or 1, settings.TEACHERS_IMPORT_PROCESSES)
    if len(raw_rows) < PARALLEL_MIN_ROWS or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _drop_duplicates(_parse_rows(raw_rows, 2, cols, errors, today), errors), errors
    step = -(-len(raw_rows) // (workers * 4))
    bounds = [(start, min(start + step, len(raw_rows))) for start in range(0, len(raw_rows), step)]
    _SHARED = (raw_rows, cols, today)
    rows: list[RosterRow] = []
    try:
        # Workers only compute: they never touch the database connection they inherit.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for chunk_rows, chunk_errors, chunk_count in pool.map(_parse_chunk, bounds):
                rows.extend(chunk_rows)
                for item in chunk_errors:
                    errors.add(item.row, item.column, item.value, item.reason)
                errors.count += chunk_count - len(chunk_errors)
    finally:
        _SHARED = None
    return _drop_duplicates(rows, errors), errors


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _load_schools(codes: set[str]) -> dict[str, tuple[int, str, str, str]]:
    schools: dict[str, tuple[int, str, str, str]] = {}
    for chunk in _chunks(sorted(codes), 5000):
        for pk, code, region, kind, name in School.objects.filter(code__in=chunk).values_list(
            "pk", "code", "region_code", "kind", "name"
        ):
            schools[code] = (pk, region, kind, name)
    return schools


EXISTING_FIELDS = ("pk", "id_hash", "phone", "phone_hash", "school__name", *FIELDS)
_EXISTING_INDEX = {name: i for i, name in enumerate(EXISTING_FIELDS)}


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
        for values in Teacher.objects.filter(id_hash__in=chunk).values_list(*EXISTING_FIELDS):
            existing[values[1]] = Existing(values)
    return existing


def roster_import(*, data: bytes, filename: str, actor: Any, progress: ProgressFn | None = None,
                  today: date | None = None) -> ImportOutcome:
    """Validate and apply a roster file; raise `ImportFailed` (nothing saved) if anything is wrong."""
    from guopei.core.spreadsheets import SpreadsheetError

    report = progress or (lambda done, total, message: None)
    today = today or timezone.localdate()
    max_bytes = settings.TEACHERS_IMPORT_MAX_BYTES
    try:
        table = read_table(data, filename, max_bytes=max_bytes)
        cols = match_headers(table.headers, ROSTER_COLUMNS)
    except (SpreadsheetError, ImportFileError) as exc:
        raise ImportFailed(str(exc)) from None
    if len(table.rows) > settings.TEACHERS_IMPORT_MAX_ROWS:
        from .importing import ERR_TOO_MANY_ROWS

        raise ImportFailed(ERR_TOO_MANY_ROWS.format(limit=settings.TEACHERS_IMPORT_MAX_ROWS))
    total = len(table.rows)
    report(0, total, "正在检查数据")
    rows, errors = _parse_all(table.rows, cols, today)
    del table
    schools = _load_schools({r.values["school_code"] for r in rows})
    existing = _load_existing([r.id_hash for r in rows])
    allowed: dict[str, bool] = {}

    def covers(region: str) -> bool:
        if region not in allowed:
            allowed[region] = user_covers_region(actor, region, TEACHER_ADMIN_ROLES)
        return allowed[region]

    for row in rows:
        school = schools.get(row.values["school_code"])
        if school is None:
            errors.add(row.line, "学校标识码", row.values["school_code"], ERR_SCHOOL_UNKNOWN)
            continue
        pk, region, kind, _name = school
        if not covers(region):
            errors.add(row.line, "学校标识码", row.values["school_code"], ERR_SCHOOL_OUT_OF_SCOPE)
            continue
        current = existing.get(row.id_hash)
        if current is not None and current["region_code"] != region:
            errors.add(row.line, "学校标识码", row.values["school_code"],
                       ERR_TEACHER_ELSEWHERE.format(school=current["school__name"]))
            continue
        row.values["school_id"] = pk
        row.values["region_code"] = region
        # A blank segment means the school's kind; a file without the column keeps what is stored.
        if row.values.get("segment") == "" or ("segment" not in row.values and current is None):
            row.values["segment"] = kind
    if errors:
        from .importing import ROWS_FAILED

        errors.items.sort(key=lambda item: item.row)
        raise ImportFailed(ROWS_FAILED.format(count=errors.count), errors)
    report(total, total, "检查通过，正在写入")
    return _apply(rows, existing, actor=actor, report=report, filename=filename)


def _apply(rows: list[RosterRow], existing: dict[str, Any], *, actor: Any,
           report: ProgressFn, filename: str) -> ImportOutcome:
    """Write the validated rows: one transaction, inserts by COPY/executemany, updates only where changed."""
    now = timezone.now()
    to_create: list[tuple[Any, ...]] = []
    to_update: list[tuple[Any, dict[str, Any]]] = []
    changed_fields: set[str] = set()
    unchanged = 0
    for row in rows:
        values = row.values
        current = existing.get(row.id_hash)
        if current is None:
            to_create.append((
                now, now, *(values[key] if key in values else CREATE_DEFAULTS[key] for key in FIELDS),
                row.id_cipher, row.id_hash, row.phone_cipher, row.phone_hash, False,
            ))
            continue
        diff = {key: values[key] for key in FIELDS if key in values and values[key] != current[key]}
        if row.phone is not None and row.phone_hash != current["phone_hash"]:
            diff["phone"] = row.phone_cipher
            diff["phone_hash"] = row.phone_hash
        if not diff:
            unchanged += 1
            continue
        changed_fields.update(diff)
        to_update.append((current, diff))
    total = len(rows)
    done = 0
    with transaction.atomic():
        for batch in _chunks(to_create, BATCH):
            insert_rows(Teacher, INSERT_COLUMNS, batch)
            done += len(batch)
            report(done, total, "正在写入新教师")
        if to_update:
            columns = [*sorted(changed_fields), "updated_at"]
            for batch in _chunks(to_update, BATCH):
                update_rows(Teacher, columns, [
                    (current["pk"], *(diff.get(c, current.get(c)) for c in columns[:-1]), now)
                    for current, diff in batch
                ])
                done += len(batch)
                report(min(done, total), total, "正在更新已有教师")
        outcome = ImportOutcome(rows=total, created=len(to_create), updated=len(to_update), unchanged=unchanged)
        audit_record(actor=actor, action="teachers.roster_import", object_type="teachers.teacher",
                     detail={"file": filename[:200], **outcome.as_dict()})
    return outcome
