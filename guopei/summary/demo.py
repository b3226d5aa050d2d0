"""The ten-year summary's part of the demo world (示例), built through the services as a city would.

太原市 collected pictures and a report, wrote two typical cases and recorded two trainees' outcomes, submitted
in July and was accepted; the province featured some of it on the public column and started a package for
the Ministry. 大同市 is still drafting and, the deadline being past, has an extension. Every title carries
"（示例）". Running the build again changes nothing.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from guopei.orgs.models import School, User

from . import services
from .deadlines import base_deadline, summary_year
from .forms import end_of_day
from .models import Material, RecommendationPackage, Submission, TraineeOutcome, TypicalCase

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FONT_SC_INDEX = 2  # the collection's Simplified Chinese face
TAG = "（示例）"

PICTURES = {
    "140100": [
        ("小店区送教下乡现场", "2016年小店区乡村教师送教下乡，示范课后的集体研课。", 2016, "140105",
         "国培计划送教下乡培训项目", (46, 110, 170)),
        ("迎泽区名师工作室研修", "2018年迎泽区名师工作室组织的主题研修活动。", 2018, "140106",
         "国培计划名师工作室研修项目", (64, 140, 90)),
        ("乡村幼儿园教师跟岗实践", "2019年乡村幼儿园教师到城区示范园跟岗学习。", 2019, "140105",
         "幼师国培乡村幼儿园教师保教能力提升培训", (180, 100, 60)),
    ],
    "140200": [
        ("平城区信息技术应用能力研修", "2020年平城区整校推进信息技术应用能力提升工程2.0。", 2020, "140213",
         "中小学教师信息技术应用能力研修", (120, 80, 160)),
        ("云冈区乡村校长论坛", "2017年乡村校长领导力培训的校长论坛。", 2017, "140214",
         "乡村中小学校长领导力培训", (150, 60, 80)),
    ],
}
CASES: dict[str, list[dict[str, Any]]] = {
    "140100": [
        dict(title="送教下乡的“小店模式”", county_code="140105", project_name="国培计划送教下乡培训项目",
             background="小店区乡村学校分散，青年教师多、外出培训机会少，课堂教学方式较为单一。",
             highlights="以县为单位组建由教研员、名师和高校专家构成的送教团队，形成“诊断—示范—研课—展示”四环节；"
                        "把培训送到乡村学校，把问题带回研修现场。",
             effects="五年间覆盖全区乡村学校教师一千二百余人次，三十余节研究课获市级以上奖励，形成校本研修资源包十二个。"),
        dict(title="名师工作室引领乡村教师专业成长", county_code="140106", project_name="国培计划名师工作室研修项目",
             background="乡村教师缺少持续的专业引领，培训结束后难以在课堂中落实。",
             highlights="工作室与乡村学校结对，线上线下结合，每月一次主题研修，培训成果进入课堂并跟踪评价。",
             effects="结对学校教师课堂教学评价优良率由六成提高到八成以上。"),
    ],
    "140200": [
        dict(title="信息技术2.0整校推进的平城实践", county_code="140213", project_name="中小学教师信息技术应用能力研修",
             background="学校信息化设备齐全，但教师应用能力参差不齐，研修容易流于形式。",
             highlights="以学校为单位制定研修计划，校长任第一责任人，按“学用评”一体推进。",
             effects="全区教师完成50学时研修，实践应用学时均超过25学时。"),
    ],
}
OUTCOMES: dict[str, list[dict[str, Any]]] = {
    "140100": [
        dict(stage="generative", form="lesson_design", title="《秋天》单元教学设计", year=2019,
             summary="围绕单元任务设计的三课时教学方案，突出朗读与观察。", consent=True,
             consent_note="2020年7月1日签署书面同意书", teacher_name="李红", teacher_school="迎泽区实验小学"),
        dict(stage="summative", form="reflection", title="从模仿到创造：一名乡村教师的研修反思", year=2020,
             summary="记录参加国培计划送教下乡项目后课堂教学的变化。", consent=False),
    ],
    "140200": [],
}


def _font(size: int) -> Any:
    if CJK_FONT.exists():
        return ImageFont.truetype(str(CJK_FONT), size, index=CJK_FONT_SC_INDEX)
    return None


def picture(title: str, color: tuple[int, int, int]) -> bytes:
    """A drawn picture: a coloured field, simple shapes and, with a CJK font, the caption in Chinese."""
    image = Image.new("RGB", (960, 640), color)
    draw = ImageDraw.Draw(image)
    for i in range(8):
        shade = tuple(min(255, c + 12 * i) for c in color)
        draw.rectangle([0, 640 - 60 * (i + 1), 960, 640 - 60 * i], fill=shade)
    draw.ellipse([700, 60, 860, 220], fill=(250, 220, 120))
    draw.polygon([(80, 520), (300, 260), (520, 520)], fill=(255, 255, 255))
    draw.rectangle([560, 360, 880, 560], fill=(245, 245, 245), outline=(80, 80, 80), width=4)
    font = _font(44)
    if font is not None:
        draw.text((60, 40), title, font=font, fill=(255, 255, 255))
        draw.text((60, 100), "国培计划十年成果（示例）", font=_font(28), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def report_pdf(city: str) -> bytes:
    """A short report rendered by WeasyPrint with the CJK font."""
    from weasyprint import HTML

    html = f"""<html lang="zh-CN"><head><meta charset="utf-8"><style>
    body {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 12pt; }} h1 {{ font-size: 18pt; }}
    </style></head><body><h1>{city}国培计划十年工作总结{TAG}</h1>
    <p>2010年以来，{city}组织实施国培计划各类项目，培训中小学幼儿园教师和校园长数万人次。</p>
    <p>本报告为示例数据，用于演示平台功能。</p></body></html>"""
    return HTML(string=html).write_pdf()


def _upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _city_items(user: User, code: str, when: datetime) -> dict[str, Any]:
    """Create whatever of the city's materials, cases and outcomes is missing."""
    city = "太原市" if code == "140100" else "大同市"
    made = {"materials": 0, "cases": 0, "outcomes": 0}
    pictures: list[Material] = []
    for title, caption, year, county, project, color in PICTURES[code]:
        full = title + TAG
        material = Material.objects.filter(city_id=code, title=full).first()
        if material is None:
            school = School.objects.filter(county_id=county).order_by("code").first()
            material = services.material_upload(
                actor=user, city_code=code, upload=_upload(picture(title, color), f"{title}.jpg"),
                filename=f"{title}.jpg", title=full, caption=caption, year=year, county_code=county,
                school_id=school.pk if school else None, project_name=project, now=when,
            )
            made["materials"] += 1
        pictures.append(material)
    report_title = f"{city}国培计划十年工作总结报告{TAG}"
    if code == "140100" and not Material.objects.filter(city_id=code, title=report_title).exists():
        services.material_upload(actor=user, city_code=code, upload=_upload(report_pdf(city), "总结报告.pdf"),
                                 filename="总结报告.pdf", title=report_title, caption="市级十年工作总结。",
                                 year=2020, now=when)
        made["materials"] += 1
    for n, spec in enumerate(CASES[code]):
        title = spec["title"] + TAG
        if not TypicalCase.objects.filter(city_id=code, title=title).exists():
            services.case_create(actor=user, city_code=code, **{**spec, "title": title},
                                 material_ids=[pictures[n].pk] if n < len(pictures) else [], now=when)
            made["cases"] += 1
    for spec in OUTCOMES[code]:
        title = spec["title"] + TAG
        if not TraineeOutcome.objects.filter(city_id=code, title=title).exists():
            services.outcome_create(actor=user, city_code=code, **{**spec, "title": title}, now=when)
            made["outcomes"] += 1
    return made


def build(stdout: Any) -> None:
    """Create the summary's demo data that is missing; print one line saying what there is."""
    users = {u.username: u for u in User.objects.filter(username__in=["sheng_admin", "taiyuan_admin",
                                                                        "datong_admin"])}
    if len(users) < 3:
        stdout.write("十年总结示例：缺少示例账号（sheng_admin、taiyuan_admin、datong_admin），已跳过。")
        return
    province, taiyuan, datong = users["sheng_admin"], users["taiyuan_admin"], users["datong_admin"]
    year = summary_year()
    now = timezone.now()
    # 太原市's story happens before the deadline: it worked in July and the province reviewed in August. If
    # the deadline is still ahead (SUMMARY_YEAR set to this year), it simply happens now.
    closed = now >= base_deadline(year)
    july = base_deadline(year) - timedelta(days=35) if closed else now
    made = _city_items(taiyuan, "140100", july)
    submission = Submission.objects.get(city_id="140100", year=year)
    if submission.state in {Submission.State.DRAFT, Submission.State.RETURNED}:
        submission = services.submission_submit(actor=taiyuan, submission=submission,
                                                now=july + timedelta(days=5) if closed else now)
    if submission.state == Submission.State.SUBMITTED:
        services.submission_review(actor=province, submission=submission, accept=True,
                                   comment=f"材料齐全，案例典型，同意报送。{TAG}",
                                   now=base_deadline(year) - timedelta(days=12) if closed else now)
    to_feature: list[Any] = [
        *Material.objects.filter(city_id="140100", kind=Material.Kind.IMAGE).order_by("pk")[:2],
        *TypicalCase.objects.filter(city_id="140100").order_by("pk")[:1],
        *TraineeOutcome.objects.filter(city_id="140100", consent=True).order_by("pk")[:1],
    ]
    for item in to_feature:
        if not item.is_featured:
            services.item_feature(actor=province, item=item, featured=True)

    # 大同市 is still drafting; past the deadline it needs (and has) an extension.
    if closed and not Submission.objects.filter(city_id="140200", year=year, extended_until__isnull=False).exists():
        services.submission_extend(actor=province, city_code="140200",
                                   until=end_of_day(timezone.localdate() + timedelta(days=30)),
                                   reason=f"部分县区资料整理延误，经申请同意延期。{TAG}")
    made_datong = _city_items(datong, "140200", now)

    if not RecommendationPackage.objects.exists():
        accepted = Submission.State.ACCEPTED
        services.package_create(
            actor=province, title=f"山西省国培计划十年典型案例与优秀成果推荐材料{TAG}",
            case_ids=TypicalCase.objects.filter(submission__state=accepted).values_list("pk", flat=True),
            outcome_ids=TraineeOutcome.objects.filter(submission__state=accepted).values_list("pk", flat=True),
        )
    new = sum(made.values()) + sum(made_datong.values())
    stdout.write(
        f"十年总结示例：素材 {Material.objects.count()} 项，典型案例 {TypicalCase.objects.count()} 个，"
        f"学员成果 {TraineeOutcome.objects.count()} 项，展示栏目精选 "
        f"{Material.objects.filter(is_featured=True).count() + TypicalCase.objects.filter(is_featured=True).count()}"
        f" 项（本次新建 {new} 项）。"
    )
