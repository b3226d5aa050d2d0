"""Import past programme participations (since 2010) and other recognised hours per year (MGMT-4, MGMT-6).

So that caps and hours work from day one: each row is either a programme participation (year, project,
institution, result, hours) or a year's other recognised hours. A participation that ended in 未报到, 劝退 or
未结业 creates the integrity-file entry (three-year ban from the event date, MGMT-6). All-or-nothing, and
re-importing the same file changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.pii import pii_hash
from guopei.core.spreadsheets import SpreadsheetError, read_table, write_xlsx
from guopei.orgs.scoping import user_covers_region

from .id_numbers import IdNumberError, parse_id_number
from .importing import (
    ERR_TOO_MANY_ROWS,
    ROWS_FAILED,
    CellError,
    Column,
    ImportFileError,
    RowErrors,
    choice,
    integer,
    labelled,
    match_headers,
    parse_date,
    text,
)
from .models import IntegrityEntry, Participation, RecognisedHours, Teacher, ban_end
from .roles import TEACHER_ADMIN_ROLES
from .roster_import import ImportFailed, ImportOutcome, ProgressFn, _chunks

KIND_PROGRAMME = "programme"
KIND_OTHER = "other"
FIRST_YEAR = 2010

ERR_TEACHER_UNKNOWN = "教师库中没有此身份证号的教师，请先导入教师名册。"
ERR_TEACHER_OUT_OF_SCOPE = "该教师不在您管辖的县区内。"
ERR_NAME_MISMATCH = "姓名与教师库中该身份证号的教师（{name}）不一致。"
ERR_YEAR = "年度应在{first}年至{last}年之间。"
ERR_PRACTICE = "实践学时不能大于学时。"
ERR_EVENT_DATE = "结果为未结业、未报到或劝退时必须填写结束日期（用于计算三年禁训期）。"
ERR_EVENT_YEAR = "结束日期应在所填年度内（或次年，跨年项目）。"
ERR_DUPLICATE_PROGRAMME = "与第{line}行重复（同一教师、同一年度、同一项目）。"
ERR_DUPLICATE_OTHER = "与第{line}行重复（同一教师、同一年度的其他学时应合并填写）。"
ERR_OTHER_HOURS = "其他学时必须填写大于0的学时。"

HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("id_number", "身份证号", ("身份证号码", "证件号码", "公民身份号码"), True, "必填，文本格式。"),
    Column("name", "姓名", ("教师姓名",), False, "可不填；填写时须与教师库一致。"),
    Column("kind", "记录类型", ("类型",), False, "国培参训/其他学时；不填时有项目名称即为国培参训。"),
    Column("year", "年度", ("参训年度", "年份"), True, f"{FIRST_YEAR}年以来的年份。"),
    Column("project_name", "项目名称", ("参训项目", "项目"), False, "国培参训必填。"),
    Column("institution_name", "承训机构", ("培训机构",), False, "国培参训的承训机构。"),
    Column("result", "结果", ("参训结果", "结业情况"), False, "结业/未结业/未报到/劝退；国培参训必填。"),
    Column("hours", "学时", ("认定学时",), False, "整数。其他学时必填。"),
    Column("practice_hours", "实践学时", ("实践应用学时",), False, "整数，不大于学时。"),
    Column("ended_on", "结束日期", ("结业日期", "日期"), False,
           "结果为未结业、未报到、劝退时必填，禁训期从此日起算三年。"),
    Column("note", "说明", ("备注",), False, "其他学时的来源，如 校本研修。"),
)
KIND_OPTIONS = {"国培参训": KIND_PROGRAMME, "国培": KIND_PROGRAMME, "其他学时": KIND_OTHER, "其他": KIND_OTHER,
                KIND_PROGRAMME: KIND_PROGRAMME, KIND_OTHER: KIND_OTHER}
RESULT_OPTIONS = labelled(Participation.Result.choices, ("合格", "completed"), ("不合格", "not_completed"))
INTEGRITY_OF_RESULT = {
    Participation.Result.NO_SHOW.value: IntegrityEntry.Kind.NO_SHOW.value,
    Participation.Result.DISMISSED.value: IntegrityEntry.Kind.DISMISSED.value,
    Participation.Result.NOT_COMPLETED.value: IntegrityEntry.Kind.FAILED.value,
}
PARTICIPATION_FIELDS = ("institution_name", "result", "hours", "practice_hours", "ended_on")


def history_template() -> bytes:
    headers = [c.label for c in HISTORY_COLUMNS]
    rows = [
        ["140105199003151234", "张晓明", "国培参训", 2018, "乡村教师访名校研修", "山西师范大学", "结业", 80, 20,
         "2018-07-20", ""],
        ["140105199003151234", "张晓明", "国培参训", 2019, "乡村教师工作坊研修", "某远程培训机构", "未报到", 0, 0,
         "2019-06-10", ""],
        ["140105199003151234", "张晓明", "其他学时", 2019, "", "", "", 40, 0, "", "校本研修"],
    ]
    notes = ["参训历史填写说明：每行是一次国培参训，或某教师某年度的其他认定学时。"]
    notes += [f"{c.label}：{c.help}" for c in HISTORY_COLUMNS]
    notes += ["结果为未报到、劝退、未结业的记录会自动计入诚信档案，自结束日期起三年内不得再参加国培（MGMT-6）。",
              "同一教师、同一年度、同一项目再次导入会更新该记录；重复导入同一文件不会产生任何变化。",
              "示例行仅作参考，导入前请删除。"]
    return write_xlsx(headers, rows, sheet_name="参训历史", text_columns=[0], notes=notes)


def history_import(*, data: bytes, filename: str, actor: Any, progress: ProgressFn | None = None,
                   today: date | None = None) -> ImportOutcome:
    """Validate and apply a history file; raise `ImportFailed` (nothing saved) if anything is wrong."""
    report = progress or (lambda done, total, message: None)
    today = today or timezone.localdate()
    try:
        table = read_table(data, filename, max_bytes=settings.TEACHERS_IMPORT_MAX_BYTES)
        cols = match_headers(table.headers, HISTORY_COLUMNS)
    except (SpreadsheetError, ImportFileError) as exc:
        raise ImportFailed(str(exc)) from None
    if len(table.rows) > settings.TEACHERS_IMPORT_MAX_ROWS:
        raise ImportFailed(ERR_TOO_MANY_ROWS.format(limit=settings.TEACHERS_IMPORT_MAX_ROWS))
    total = len(table.rows)
    report(0, total, "正在检查数据")
    labels = {c.key: c.label for c in HISTORY_COLUMNS}
    errors = RowErrors()
    parsed: list[dict[str, Any]] = []
    for offset, raw in enumerate(table.rows):
        line = offset + 2
        if all(v in ("", None) for v in raw):
            continue
        before = errors.count
        row: dict[str, Any] = {"line": line}

        def cell(key: str, raw: list[Any] = raw) -> Any:
            return raw[cols[key]] if key in cols else ""

        def bad(key: str, reason: str, line: int = line) -> None:
            errors.add(line, labels[key], cell(key), reason)

        try:
            row["id_hash"] = pii_hash(parse_id_number(cell("id_number"), today=today).number)
        except IdNumberError as exc:
            bad("id_number", str(exc))
        try:
            row["name"] = text(cell("name"), limit=50)
        except CellError as exc:
            bad("name", str(exc))
        try:
            year = integer(cell("year"), required=True, maximum=9999)
            if not FIRST_YEAR <= year <= today.year:
                raise CellError(ERR_YEAR.format(first=FIRST_YEAR, last=today.year))
            row["year"] = year
        except CellError as exc:
            bad("year", str(exc))
        try:
            project_name = text(cell("project_name"), limit=200)
            row["project_name"] = project_name
            default_kind = KIND_PROGRAMME if project_name else KIND_OTHER
            row["kind"] = choice(cell("kind"), KIND_OPTIONS, default=default_kind)
        except CellError as exc:
            bad("kind", str(exc))
        for key in ("hours", "practice_hours"):
            try:
                row[key] = integer(cell(key), maximum=2000)
            except CellError as exc:
                bad(key, str(exc))
        if row.get("kind") == KIND_PROGRAMME:
            if not row.get("project_name"):
                bad("project_name", "国培参训必须填写项目名称。")
            try:
                row["institution_name"] = text(cell("institution_name"), limit=100)
            except CellError as exc:
                bad("institution_name", str(exc))
            try:
                row["result"] = choice(cell("result"), RESULT_OPTIONS)
            except CellError as exc:
                bad("result", str(exc))
            if row.get("practice_hours", 0) > row.get("hours", 0):
                bad("practice_hours", ERR_PRACTICE)
            try:
                ended = parse_date(cell("ended_on"))
                if ended is None and row.get("result") in INTEGRITY_OF_RESULT:
                    raise CellError(ERR_EVENT_DATE)
                if ended is not None and "year" in row and ended.year not in (row["year"], row["year"] + 1):
                    raise CellError(ERR_EVENT_YEAR)
                row["ended_on"] = ended
            except CellError as exc:
                bad("ended_on", str(exc))
        elif row.get("kind") == KIND_OTHER:
            if not row.get("hours"):
                bad("hours", ERR_OTHER_HOURS)
            try:
                row["note"] = text(cell("note"), limit=200)
            except CellError as exc:
                bad("note", str(exc))
        if errors.count == before:
            parsed.append(row)
    teachers: dict[str, tuple[int, str, str]] = {}
    for chunk in _chunks(sorted({r["id_hash"] for r in parsed}), 5000):
        for pk, digest, name, region in Teacher.objects.filter(id_hash__in=chunk).values_list(
                "pk", "id_hash", "name", "region_code"):
            teachers[digest] = (pk, name, region)
    allowed: dict[str, bool] = {}
    seen: dict[tuple[Any, ...], int] = {}
    for row in parsed:
        found = teachers.get(row["id_hash"])
        if found is None:
            errors.add(row["line"], "身份证号", "", ERR_TEACHER_UNKNOWN)
            continue
        pk, name, region = found
        if region not in allowed:
            allowed[region] = user_covers_region(actor, region, TEACHER_ADMIN_ROLES)
        if not allowed[region]:
            errors.add(row["line"], "身份证号", "", ERR_TEACHER_OUT_OF_SCOPE)
            continue
        if row.get("name") and row["name"] != name:
            errors.add(row["line"], "姓名", row["name"], ERR_NAME_MISMATCH.format(name=name))
            continue
        row["teacher_id"] = pk
        row_key = (pk, row["year"], row["kind"], row.get("project_name", ""))
        if row_key in seen:
            message = ERR_DUPLICATE_PROGRAMME if row["kind"] == KIND_PROGRAMME else ERR_DUPLICATE_OTHER
            errors.add(row["line"], "项目名称" if row["kind"] == KIND_PROGRAMME else "年度", row.get("project_name")
                       or row["year"], message.format(line=seen[row_key]))
            continue
        seen[row_key] = row["line"]
    if errors:
        raise ImportFailed(ROWS_FAILED.format(count=errors.count), errors)
    report(total, total, "检查通过，正在写入")
    return _apply(parsed, actor=actor, filename=filename)


def _apply(rows: list[dict[str, Any]], *, actor: Any, filename: str) -> ImportOutcome:
    teacher_ids = sorted({r["teacher_id"] for r in rows})
    existing_parts: dict[tuple[int, int, str], dict[str, Any]] = {}
    existing_hours: dict[tuple[int, int], dict[str, Any]] = {}
    existing_bans: set[tuple[int, str, date]] = set()
    for chunk in _chunks(teacher_ids, 5000):
        for values in Participation.objects.filter(teacher_id__in=chunk).values("pk", "teacher_id", "year",
                                                                               "project_name",
                                                                               *PARTICIPATION_FIELDS):
            existing_parts[(values["teacher_id"], values["year"], values["project_name"])] = values
        for hours in RecognisedHours.objects.filter(teacher_id__in=chunk).values("pk", "teacher_id", "year",
                                                                                 "hours", "note"):
            existing_hours[(hours["teacher_id"], hours["year"])] = dict(hours)
        existing_bans.update(IntegrityEntry.objects.filter(teacher_id__in=chunk).values_list(
            "teacher_id", "kind", "event_date"))
    now = timezone.now()
    new_parts: list[Participation] = []
    changed_parts: list[Participation] = []
    new_hours: list[RecognisedHours] = []
    changed_hours: list[RecognisedHours] = []
    unchanged = 0
    for row in rows:
        if row["kind"] == KIND_PROGRAMME:
            values = {key: row.get(key) for key in PARTICIPATION_FIELDS}
            values["institution_name"] = values["institution_name"] or ""
            current = existing_parts.get((row["teacher_id"], row["year"], row["project_name"]))
            if current is None:
                new_parts.append(Participation(teacher_id=row["teacher_id"], year=row["year"],
                                               project_name=row["project_name"], created_at=now, updated_at=now,
                                               **values))
            elif any(current[k] != v for k, v in values.items()):
                changed_parts.append(Participation(pk=current["pk"], updated_at=now, **values))
            else:
                unchanged += 1
        else:
            current = existing_hours.get((row["teacher_id"], row["year"]))
            if current is None:
                new_hours.append(RecognisedHours(teacher_id=row["teacher_id"], year=row["year"], hours=row["hours"],
                                                 note=row.get("note", ""), created_at=now, updated_at=now))
            elif current["hours"] != row["hours"] or current["note"] != row.get("note", ""):
                changed_hours.append(RecognisedHours(pk=current["pk"], hours=row["hours"], note=row.get("note", ""),
                                                     updated_at=now))
            else:
                unchanged += 1
    with transaction.atomic():
        Participation.objects.bulk_create(new_parts, batch_size=1000)
        Participation.objects.bulk_update(changed_parts, [*PARTICIPATION_FIELDS, "updated_at"], batch_size=500)
        RecognisedHours.objects.bulk_create(new_hours, batch_size=1000)
        RecognisedHours.objects.bulk_update(changed_hours, ["hours", "note", "updated_at"], batch_size=500)
        # MGMT-6: a no-show, dismissal or failure bans for three years from the event date.
        part_ids = {(p["teacher_id"], p["year"], p["project_name"]): p["pk"] for p in existing_parts.values()}
        part_ids.update({(p.teacher_id, p.year, p.project_name): p.pk for p in new_parts})
        entries = []
        for row in rows:
            kind = INTEGRITY_OF_RESULT.get(row.get("result") or "")
            if row["kind"] != KIND_PROGRAMME or kind is None:
                continue
            key = (row["teacher_id"], kind, row["ended_on"])
            if key in existing_bans:
                continue
            existing_bans.add(key)
            label = Participation.Result(row["result"]).label
            entries.append(IntegrityEntry(
                teacher_id=row["teacher_id"], kind=kind, event_date=row["ended_on"], ban_until=ban_end(row["ended_on"]),
                source=f"{row['year']}年“{row['project_name']}”{label}（参训历史导入）"[:300],
                participation_id=part_ids.get((row["teacher_id"], row["year"], row["project_name"])),
                created_by=actor if getattr(actor, "is_authenticated", False) else None, created_at=now,
                updated_at=now,
            ))
        IntegrityEntry.objects.bulk_create(entries, batch_size=1000)
        outcome = ImportOutcome(rows=len(rows), created=len(new_parts) + len(new_hours),
                                updated=len(changed_parts) + len(changed_hours), unchanged=unchanged)
        audit_record(actor=actor, action="teachers.history_import", object_type="teachers.participation",
                     detail={"file": filename[:200], **outcome.as_dict(), "integrity_entries": len(entries)})
    return outcome
