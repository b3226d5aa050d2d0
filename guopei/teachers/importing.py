"""What every import of this app shares: header matching with aliases, cell parsing, and the error list.

An import reads the whole file, validates every row without writing, and either reports every problem in a
downloadable error file (nothing saved) or applies the whole file in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from guopei.core.spreadsheets import RowError

ERR_MISSING_COLUMNS = "缺少必填列：{columns}。请使用下载的模板，或检查表头是否写错。"
ERR_DUPLICATE_COLUMNS = "表头“{header}”出现了不止一次。"
ERR_TOO_MANY_ROWS = "文件行数超过上限（{limit}行），请分批导入。"
ERR_REQUIRED = "必填。"
ERR_TOO_LONG = "内容过长（不超过{limit}个字符）。"
ERR_FORMULA = "内容不能以 = + - @ 开头（疑似公式），请填写实际内容。"
ERR_DATE = "日期格式不正确，应为 2020-01-31 或 2020年1月31日。"
ERR_CHOICE = "应为以下之一：{choices}。"
ERR_INTEGER = "应为不小于0的整数。"
ROWS_FAILED = "文件中有{count}处错误，未导入任何数据。请下载错误明细，修改后重新上传。"
VALUE_PREVIEW_CHARS = 100


class ImportFileError(Exception):
    """A problem with the file as a whole (its headers, its size); the message is Chinese."""


class CellError(ValueError):
    """A problem with one cell; the message is the reason shown in the error file."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header in the template
    aliases: tuple[str, ...] = ()
    required: bool = False  # the column must be present
    help: str = ""  # explanation in the template's notes sheet


def _header_key(text: str) -> str:
    return re.sub(r"[\s*＊（）()]", "", str(text)).replace("：", "").replace(":", "")


def match_headers(headers: Sequence[str], columns: Sequence[Column]) -> dict[str, int]:
    """Map column keys to positions; headers in any order, with aliases; unknown headers are ignored."""
    lookup: dict[str, str] = {}
    for column in columns:
        for name in (column.label, *column.aliases):
            lookup[_header_key(name)] = column.key
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = lookup.get(_header_key(header))
        if key is None:
            continue
        if key in found:
            raise ImportFileError(ERR_DUPLICATE_COLUMNS.format(header=header))
        found[key] = index
    missing = [c.label for c in columns if c.required and c.key not in found]
    if missing:
        raise ImportFileError(ERR_MISSING_COLUMNS.format(columns="、".join(missing)))
    return found


def preview(value: Any) -> Any:
    """Shorten a cell value for the error file (a 1 MB cell must not be echoed back)."""
    if isinstance(value, str) and len(value) > VALUE_PREVIEW_CHARS:
        return value[:VALUE_PREVIEW_CHARS] + "…"
    return value


class RowErrors:
    """Collects errors, capped so a garbage file cannot produce a gigantic error file."""

    def __init__(self, limit: int = 10000) -> None:
        self.items: list[RowError] = []
        self.limit = limit
        self.count = 0

    def add(self, line: int, column: str, value: Any, reason: str) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(RowError(line, column, preview(value), reason))

    def __bool__(self) -> bool:
        return self.count > 0


def text(value: Any, *, limit: int, required: bool = False) -> str:
    """A text cell: stripped, within `limit` characters, never a formula."""
    if value is None:
        value = ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        raise CellError("应为文字，不能是日期。")
    value = str(value).strip()
    if not value:
        if required:
            raise CellError(ERR_REQUIRED)
        return ""
    if len(value) > limit:
        raise CellError(ERR_TOO_LONG.format(limit=limit))
    if value[0] in "=+-@":
        raise CellError(ERR_FORMULA)
    return value


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any, *, required: bool = False) -> date | None:
    """A date cell: an Excel date, an Excel serial number, or text like 2020-01-31 / 2020年1月31日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 80000:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise CellError(ERR_DATE)
    raw = str(value or "").strip()
    if not raw:
        if required:
            raise CellError(ERR_REQUIRED)
        return None
    raw = raw.split(" ")[0]
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise CellError("日期不存在。") from None
    raise CellError(ERR_DATE)


def choice(value: Any, options: dict[str, str], *, default: str | None = None) -> str:
    """A cell naming one of `options` (label or code → code); blank gives `default` (or is required)."""
    raw = str(value if value is not None else "").strip()
    if not raw:
        if default is None:
            raise CellError(ERR_REQUIRED)
        return default
    if raw in options:
        return options[raw]
    labels = sorted({k for k in options if not k.isascii()}) or sorted(options)
    raise CellError(ERR_CHOICE.format(choices="、".join(labels)))


def integer(value: Any, *, required: bool = False, maximum: int = 100000) -> int:
    if value is None or value == "":
        if required:
            raise CellError(ERR_REQUIRED)
        return 0
    if isinstance(value, bool):
        raise CellError(ERR_INTEGER)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(ERR_INTEGER)
        value = int(value)
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise CellError(ERR_INTEGER)
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise CellError(ERR_INTEGER)
    if value > maximum:
        raise CellError(f"数值过大（不超过{maximum}）。")
    return value


YES_NO = {"是": "1", "否": "0", "Y": "1", "N": "0", "y": "1", "n": "0", "1": "1", "0": "0", "TRUE": "1",
          "FALSE": "0", "True": "1", "False": "0"}


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        value = str(value)
    return choice(value, YES_NO, default="0") == "1"


def labelled(choices: Sequence[tuple[str, str]], *extra: tuple[str, str]) -> dict[str, str]:
    """Accept both the Chinese label and the code of each choice."""
    options: dict[str, str] = {}
    for code, label in choices:
        options[str(label)] = code
        if code:
            options[code] = code
    for alias, code in extra:
        options[alias] = code
    return options
