"""Resident ID numbers (GB 11643) checked with python-stdnum, without stdnum's birth-year condition on the county.

The address code is the county where the number was first assigned, often years after birth, and a county may
have been created after the person was born (小店区 exists since 1997; 140105199003151234 is a real-looking,
valid number). So: stdnum for the checksum and the birth date, and any address code that has ever existed in
stdnum's table (historical codes included).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

ERR_ID_LENGTH = "身份证号应为18位（最后一位可为X）。"
ERR_ID_FORMAT = "身份证号前17位应为数字，最后一位为数字或X。"
ERR_ID_CHECKSUM = "身份证号校验位不正确，请核对。"
ERR_ID_BIRTH = "身份证号中的出生日期不存在。"
ERR_ID_BIRTH_RANGE = "身份证号中的出生日期不合理（应在1940年至今之间）。"
ERR_ID_REGION = "身份证号前6位不是有效的行政区划代码。"
ERR_ID_NUMERIC = "身份证号被保存成了数字（可能丢失末位或变成科学计数法），请将该列设为“文本”格式后重新填写。"


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")


class IdNumberError(ValueError):
    """An ID number that is not valid; the message (Chinese) says why."""


class IdNumber(NamedTuple):
    number: str
    birth_date: date
    gender: str  # "M" or "F"


@lru_cache(maxsize=8192)
def address_code_ever_existed(code: str) -> bool:
    """Whether `code` is in stdnum's table of address codes, past or present, at county level."""
    from stdnum import numdb

    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    return bool(info.get("county"))


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> date | None:
    """stdnum's reading of the 8 birth-date digits (cached: a file holds a few thousand distinct dates)."""
    try:
        return ric.get_birth_date(f"000000{digits}0000")
    except StdnumError:
        return None


def normalise(value: object) -> str:
    """Text as typed, upper-cased, without spaces; a number (from an Excel number cell) is refused."""
    if isinstance(value, str) and len(value) == 18 and value.isalnum():
        return value.upper()
    if isinstance(value, bool) or isinstance(value, int | float):
        raise IdNumberError(ERR_ID_NUMERIC)
    number = "".join(str(value or "").split()).upper()
    if _SCIENTIFIC.match(number):
        raise IdNumberError(ERR_ID_NUMERIC)
    return number


def parse_id_number(value: object, *, today: date | None = None) -> IdNumber:
    """Validate an ID number and derive the birth date and gender from it."""
    number = normalise(value)
    if len(number) != 18:
        raise IdNumberError(ERR_ID_LENGTH)
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError(ERR_ID_FORMAT)
    if number[17] != ric.calc_check_digit(number):
        raise IdNumberError(ERR_ID_CHECKSUM)
    birth = _birth_date(number[6:14])
    if birth is None:
        raise IdNumberError(ERR_ID_BIRTH)
    if birth.year < 1940 or birth > (today or date.today()):
        raise IdNumberError(ERR_ID_BIRTH_RANGE)
    if not address_code_ever_existed(number[:6]):
        raise IdNumberError(ERR_ID_REGION)
    return IdNumber(number=number, birth_date=birth, gender="M" if int(number[16]) % 2 else "F")


def make_id_number(address_code: str, birth: date, sequence: int) -> str:
    """Build a checksum-valid number (demo data and tests): `sequence` 0-999, odd for men, even for women."""
    body = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
