"""Big roster files (MGMT-4): the sheet read in parts, checked by worker processes, written chunk by chunk.

What the pipeline must keep from the one-pass import: the same rows, the same errors in the same order, all or
nothing even when the error is found after earlier chunks were written, and the same result on re-import.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
import xlsxwriter

from guopei.core.pii import pii_hash
from guopei.core.spreadsheets import ERR_NO_ROWS, read_table, xlsx_sheet_parts
from guopei.teachers import roster_import as roster_module
from guopei.teachers.models import Teacher
from guopei.teachers.roster_import import ImportFailed, roster_import

from .corpus import HEADERS, roster_row, xlsx


def _sheet(rows: list[list[object]], *, constant_memory: bool, leading_columns: int = 0) -> bytes:
    """An XLSX file as Excel users make them (shared strings) or as streaming writers do (inline strings)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": constant_memory,
                                        "strings_to_numbers": False})
    sheet = book.add_worksheet("名册")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for line, row in enumerate(rows):
        for col, value in enumerate(row, start=leading_columns):
            if value in ("", None):
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(line, col, value, date_format)
            elif isinstance(value, int | float):
                sheet.write_number(line, col, value)
            else:
                sheet.write_string(line, col, str(value))
    book.close()
    return buffer.getvalue()


def _joined(parts) -> dict[int, list[object]]:
    lines: dict[int, list[object]] = {}
    for part in range(parts.count):
        first, rows = parts.read(part)
        for offset, row in enumerate(rows):
            lines[first + offset] = row
    return lines


def _mixed_rows() -> list[list[object]]:
    rows: list[list[object]] = [["姓名", "身份证号", "数字", "日期", "备注"]]
    for n in range(60):
        if n in (7, 8, 30):
            rows.append(["", "", "", "", ""])  # blank lines in the middle
        elif n == 12:
            rows.append(["", "", "", "", "  只有备注  "])
        else:
            rows.append([f"  教师{n} ", f"1401051986040{n:05d}", n * 1.0 if n % 2 else n,
                         datetime(2000, 1, 1 + n % 28), "" if n % 3 else "备注"])
    rows += [["", "", "", "", ""]] * 3  # blank lines at the end
    return rows


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared strings", "inline strings"])
@pytest.mark.parametrize("leading_columns", [0, 2])
@pytest.mark.parametrize("shares", [(1, 1), (1, 2, 5, 5, 5, 5), (1, 1, 1, 1, 1, 1, 1, 1, 1, 1)])
def test_sheet_parts_give_the_rows_the_whole_read_gives(constant_memory, leading_columns, shares):
    data = _sheet(_mixed_rows(), constant_memory=constant_memory, leading_columns=leading_columns)
    whole = read_table(data, "r.xlsx")
    parts = xlsx_sheet_parts(data, "r.xlsx", max_bytes=10**8, shares=shares, min_rows=10)
    assert parts is not None and parts.count == len(shares)
    assert parts.headers == whole.headers
    lines = _joined(parts)
    for index, row in enumerate(whole.rows):
        line = index + 2
        # A line no part has is a blank one (between two parts); padding aside, every other line is the same.
        assert lines.get(line, [""] * len(row)) == row, line
    assert parts.last_line - 1 >= len(whole.rows)


def _rewrite_sheet(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for info in source.infolist():
            content = source.read(info.filename)
            book.writestr(info.filename, change(content) if info.filename.endswith("sheet1.xml") else content)
    return out.getvalue()


@pytest.mark.parametrize("change", [
    lambda xml: xml.replace(b'<row r="', b'<row spans="1:5" r="'),  # row number not where Excel writes it
    lambda xml: xml.replace(b'<row r="30"', b'<row r="3000"'),  # rows out of order
    lambda xml: xml.replace(b"<sheetData>", b"<sheetData><![CDATA[ x ]]>"),
    lambda xml: xml.replace(b'<row r="1"', b'<row r="99999"').replace(b'r="A1"', b'r="A99999"'),
], ids=["row number not first", "descending rows", "CDATA", "no row 1 first"])
def test_sheet_parts_refuse_a_sheet_they_cannot_cut_safely(change):
    data = _rewrite_sheet(_sheet(_mixed_rows(), constant_memory=True), change)
    assert xlsx_sheet_parts(data, "r.xlsx", max_bytes=10**8, shares=(1, 1), min_rows=10) is None


def test_sheet_parts_leave_small_files_csv_and_broken_files_to_the_whole_read():
    data = _sheet(_mixed_rows(), constant_memory=True)
    assert xlsx_sheet_parts(data, "r.xlsx", max_bytes=10**8, shares=(1, 1), min_rows=1000) is None
    assert xlsx_sheet_parts(b"a,b\n1,2\n", "r.csv", max_bytes=10**8, shares=(1, 1), min_rows=1) is None
    assert xlsx_sheet_parts(b"PK\x03\x04 no zip", "r.xlsx", max_bytes=10**8, shares=(1, 1), min_rows=1) is None


@pytest.fixture
def parallel(monkeypatch):
    """Big-file mode for a small file: two workers, small chunks, the sheet read in three parts."""
    monkeypatch.setattr(roster_module, "PARALLEL_MIN_ROWS", 4)
    monkeypatch.setattr(roster_module, "CHUNK_ROWS", 3)
    monkeypatch.setattr(roster_module, "_workers", lambda: 2)
    monkeypatch.setattr(roster_module, "_part_shares", lambda workers: (1, 1, 1))


@pytest.fixture
def in_parts(parallel, monkeypatch):
    """…and make sure the file is read in parts by the workers, never whole by the importing process."""
    def read_whole(*args, **kwargs):
        raise AssertionError("read whole")

    monkeypatch.setattr(roster_module, "read_table", read_whole)


def _rows(school_code: str, count: int) -> list[list[object]]:
    return [roster_row(school_code, n, 手机号=f"139{n:08d}") for n in range(count)]


def test_sheet_read_in_parts_imports_every_row_and_reimport_changes_nothing(in_parts, county_admin, school):
    name, data = xlsx(_rows(school.code, 20))
    outcome = roster_import(data=data, filename=name, actor=county_admin)
    assert outcome.as_dict() == {"rows": 20, "created": 20, "updated": 0, "unchanged": 0}
    teacher = Teacher.objects.get(id_hash=pii_hash(roster_row(school.code, 13)[1]))
    assert teacher.birth_date == date(1986, 4, 2) and teacher.phone_plain == "13900000013"
    assert teacher.id_number_plain == roster_row(school.code, 13)[1]
    assert teacher.segment == "primary" and teacher.region_code == "140105"
    again = roster_import(data=data, filename=name, actor=county_admin)
    assert again.as_dict() == {"rows": 20, "created": 0, "updated": 0, "unchanged": 20}


def test_error_found_after_chunks_were_written_leaves_nothing(in_parts, county_admin, school, other_school,
                                                              monkeypatch):
    rows = _rows(school.code, 20)
    rows[17] = roster_row(school.code, 17, 性别="女")  # line 19: found in the last part
    rows.append(roster_row(other_school.code, 30))  # line 22: another county's school
    rows.append(rows[4])  # line 23: a duplicate of line 6
    written = []
    real = roster_module.insert_rows
    monkeypatch.setattr(roster_module, "insert_rows", lambda *a, **k: written.append(len(a[2])) or real(*a, **k))
    name, data = xlsx(rows)
    with pytest.raises(ImportFailed) as failure:
        roster_import(data=data, filename=name, actor=county_admin)
    assert written, "the first chunks were written before the error was found"
    assert Teacher.objects.count() == 0
    errors = failure.value.errors
    assert [(e.row, e.column) for e in errors.items] == [(19, "性别"), (22, "学校标识码"), (23, "身份证号")]
    assert "与第6行的身份证号重复" in errors.items[2].reason
    assert errors.count == 3 and "3处错误" in str(failure.value)


def test_error_file_cap_keeps_the_errors_the_one_pass_import_kept(county_admin):
    """Cell errors first, then duplicates, then schools: which 10,000 the error file keeps depends on it."""
    writer = roster_module._Writer(actor=county_admin, cols={}, now=datetime(2024, 1, 1), total=0,
                                   report=lambda *a: None, schools={})
    writer.school_errors.add(2, "学校标识码", "x", "school")
    writer.duplicate_errors.add(3, "身份证号", "y", "duplicate")
    for line in range(100, 10100):
        writer.cell_errors.add(line, "姓名", "z", "cell")
    writer.cell_errors.count += 5  # five more beyond a worker's cap
    errors = writer.errors()
    assert errors.count == 10007 and len(errors.items) == 10000
    assert {e.reason for e in errors.items} == {"cell"}


def test_only_blank_lines_after_the_headers_is_the_same_error_as_read_whole(parallel, county_admin, school):
    header = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(HEADERS))
    blank = "".join(f'<row r="{n}"><c r="A{n}" s="1"/><c r="B{n}" s="1"/></row>' for n in range(2, 13))
    sheet = f'<sheetData><row r="1">{header}</row>{blank}</sheetData>'.encode()
    data = _rewrite_sheet(_sheet([HEADERS, ["x"]], constant_memory=True),
                          lambda xml: xml[:xml.index(b"<sheetData>")] + sheet + xml[xml.index(b"</sheetData>") + 12:])
    assert xlsx_sheet_parts(data, "r.xlsx", max_bytes=10**8, shares=(1, 1, 1), min_rows=5) is not None
    with pytest.raises(ImportFailed) as failure:
        roster_import(data=data, filename="r.xlsx", actor=county_admin)
    assert str(failure.value) == ERR_NO_ROWS
    with pytest.raises(Exception, match=ERR_NO_ROWS):
        read_table(data, "r.xlsx")


@pytest.mark.django_db(transaction=True)
def test_lookups_on_their_own_connection_see_what_was_committed(in_parts, county_admin, school):
    """With no transaction around it, the import looks stored teachers up from a thread on its own connection."""
    name, data = xlsx(_rows(school.code, 12))
    assert roster_import(data=data, filename=name, actor=county_admin).created == 12
    changed = _rows(school.code, 12)
    changed[5] = roster_row(school.code, 5, 手机号="13700000000", 任教学科="语文")
    name, data = xlsx([*changed, roster_row(school.code, 40)])
    outcome = roster_import(data=data, filename=name, actor=county_admin)
    assert outcome.as_dict() == {"rows": 13, "created": 1, "updated": 1, "unchanged": 11}
    moved = Teacher.objects.get(phone_hash=pii_hash("13700000000"))
    assert moved.subject == "语文" and Teacher.objects.count() == 13


def test_bulk_encryption_and_hashing_match_the_one_value_functions_and_never_reuse_a_nonce_after_fork():
    import base64
    import os

    from guopei.core.pii import pii_decrypt, pii_encrypter, pii_hasher

    encrypt, hash_value = pii_encrypter(), pii_hasher()
    assert encrypt("") == "" and hash_value("") == ""
    assert hash_value("140105199003151234") == pii_hash("140105199003151234")
    assert pii_decrypt(encrypt("13812345678")) == "13812345678"
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker processes of an import are forked like this
        os.write(write, encrypt("x").encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs, ours = os.read(read, 200).decode(), encrypt("x")
    os.close(read)
    os.close(write)

    def nonce(token: str) -> bytes:
        return base64.urlsafe_b64decode(token.split(":")[2])[:12]

    assert nonce(theirs) != nonce(ours)
    assert pii_decrypt(theirs) == pii_decrypt(ours) == "x"


def test_worker_processes_defer_to_the_process_that_writes(monkeypatch):
    """The one writer is the import's critical path (MGMT-4 roster import): a worker lowers its own priority."""
    import multiprocessing
    import os

    receiver, sender = multiprocessing.Pipe(duplex=False)
    monkeypatch.setattr(roster_module, "_WORK", (roster_module._Rows([]), {}, date(2026, 11, 30)))
    child = os.fork()
    if child == 0:  # the workers of an import are forked like this
        roster_module._worker(sender, 0, 1)
        os._exit(os.nice(0))
    _, status = os.waitpid(child, 0)
    receiver.close()
    ours = os.nice(0)
    assert os.waitstatus_to_exitcode(status) == min(19, ours + roster_module.WORKER_NICENESS) > ours
