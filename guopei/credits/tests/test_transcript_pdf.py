"""The transcript PDF (学时证明/学分档案): its Chinese text is real text that extracts (MGMT-3)."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader

from guopei.credits.exports import transcript_pdf
from guopei.credits.selectors import transcript_for

from .factories import HourRecordFactory, recognised


def test_mgmt3_transcript_pdf_chinese_text_extracts(teacher, county_admin):
    recognised(HourRecordFactory(teacher=teacher, year=2020, title="乡村小学语文教师专业能力提升培训",
                                 theory_hours=Decimal("40"), practice_hours=Decimal("32")), county_admin)
    recognised(HourRecordFactory(teacher=teacher, year=2018, title="校本研修：整本书阅读",
                                 theory_hours=Decimal("20"), practice_hours=Decimal("0")), county_admin)
    HourRecordFactory(teacher=teacher, year=2020, title="待审核的培训", theory_hours=Decimal("8"))
    content = transcript_pdf(transcript_for(teacher, 2020))
    assert content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    compact = "".join(text.split())
    assert "教师培训学时证明（学分档案）" in compact
    assert "张晓明" in compact and "小店区示范小学" in compact
    assert "乡村小学语文教师专业能力提升培训" in compact and "校本研修：整本书阅读" in compact
    assert "2016—2020年继续教育周期" in compact
    assert "92/360学时" in compact  # 72 + 20 recognised in the cycle
    assert "待审核的培训" not in compact
    assert teacher.id_number_plain not in compact  # the ID number is masked
