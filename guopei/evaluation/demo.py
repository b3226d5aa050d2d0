"""The evaluation's part of the demo world (示例), built through the services as the province, the institutions,
the expert and the trainees would.

* A satisfaction questionnaire and a field-visit rubric; the composite's weights for 2019 and 2020.
* 2019, the year before: a small published 2019 plan (示例) whose projects an evaluation agency scored, and two
  forums — so 2019 has composites, the 2020 dashboards compare with it and the tenders read past performance.
* 2020: each ended demo class gets the anonymous survey and generated answers from all its trainees but one (the
  `jiaoshi` teacher's own link stays open when she is in the class); the `zhuanjia` expert visited awarded projects
  (two visits submitted with photos, one still to fill in on the phone); two forums; the agency's 2020 scores of
  the awarded lots; and the 2020 bulletin, published to the cities, counties and institutions concerned.

Everything is found again by a natural key (titles, names, the file hash of an import, the class of a survey),
so running the build twice changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from guopei.orgs.models import Expert, Institution, Region, User
from guopei.plans.models import AnnualPlan, Category, Project

from . import services, tokens
from .models import Bulletin, CompositeWeights, FieldVisit, Forum, Questionnaire, Rubric, Survey

TAG = "（示例）"
QUESTIONNAIRE = "国培计划学员培训满意度调查问卷（示例）"
RUBRIC = "国培计划项目实施实地调研评分表（示例）"
AGENCY = "山西省教育评估中心（示例）"
WEIGHTS = {2019: (30, 30, 20, 20), 2020: (40, 30, 10, 20)}
QUESTIONS = [
    services.QuestionSpec("likert", "培训内容贴近教学实际，对您的工作有帮助"),
    services.QuestionSpec("likert", "授课专家的专业水平和授课效果"),
    services.QuestionSpec("likert", "研修活动形式（跟岗、研课、工作坊等）的效果"),
    services.QuestionSpec("likert", "班级管理与后勤服务"),
    services.QuestionSpec("single", "培训时间安排是否合适", ("合适", "偏紧", "偏松")),
    services.QuestionSpec("multiple", "收获最大的环节", ("专家讲座", "跟岗实践", "研课磨课", "成果展示", "线上研修")),
    services.QuestionSpec("text", "意见和建议", required=False),
]
SUGGESTIONS = ["希望增加到优质学校跟岗的时间。", "专家讲座很受启发，建议提供课件。", "住宿条件可以再改善。",
               "希望返岗后有线上跟踪指导。", "课程安排紧凑，收获很大。", ""]
CRITERIA = [
    ("组织管理", "方案落实、班级管理、学员服务与安全保障", 25),
    ("课程实施", "课程内容针对性、授课质量、研修方式", 35),
    ("学员参与", "学员出勤、课堂参与、研修成果", 20),
    ("培训成效", "学员满意度、返岗实践与成果转化", 20),
]
# The 2019 plan of the demo: (code, name, category) — evaluated by the agency and in forums.
PROJECTS_2019 = [
    ("2019-01", "乡村初中数学骨干教师能力提升培训（2019）", "乡村中小学教师专业能力建设"),
    ("2019-02", "乡村校长助力工程（2019）", "乡村中小学校长领导力培训"),
    ("2019-03", "幼儿园新入职教师规范化培训（2019）", "幼儿园新入职教师规范化培训"),
]
INSTITUTIONS_2019 = ["山西师范大学", "太原师范学院", "山西大学", "忻州师范学院", "山西大同大学", "长治学院"]
COUNTIES_2019 = ["140105", "140213", "", "140902", "140212", "140403"]


@dataclass
class Counts:
    surveys: int = 0
    answers: int = 0
    visits: int = 0
    forums: int = 0
    scores: int = 0
    bulletins: int = 0

    def total(self) -> int:
        return sum(vars(self).values())


def _rng(*parts: Any) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return random.Random(int(seed[:12], 16))


def _photo(title: str) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    from .bulletins import FONT_FILE, FONT_SC_INDEX

    image = Image.new("RGB", (640, 420), (222, 232, 242))
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 60, 600, 330], outline=(47, 109, 181), width=4)
    if FONT_FILE.exists():
        from PIL import ImageFont

        font = ImageFont.truetype(str(FONT_FILE), 28, index=FONT_SC_INDEX)
        draw.text((320, 195), f"{title}（示例照片）", fill=(30, 30, 30), font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile("现场照片.jpg", buffer.getvalue(), content_type="image/jpeg")


def _questionnaire(admin: User) -> Questionnaire:
    found = Questionnaire.objects.filter(title=QUESTIONNAIRE).first()
    return found or services.questionnaire_create(actor=admin, title=QUESTIONNAIRE, questions=QUESTIONS,
                                                  description="班次结束时由学员匿名填写。", is_demo=True)


def _rubric(admin: User) -> Rubric:
    found = Rubric.objects.filter(name=RUBRIC).first()
    return found or services.rubric_create(actor=admin, name=RUBRIC, criteria=CRITERIA, is_demo=True,
                                           description="专家实地调研时在手机上逐项打分。")


def _weights(admin: User, counts: Counts) -> None:
    for year, (survey, visit, forum, third_party) in WEIGHTS.items():
        if not CompositeWeights.objects.filter(year=year).exists():
            services.weights_set(actor=admin, year=year, survey=survey, visit=visit, forum=forum,
                                 third_party=third_party, is_demo=True)


def _plan_2019(admin: User, finance: User | None) -> list[Project]:
    """The 2019 plan the demo's previous year is evaluated on (found again by year)."""
    from guopei.plans import services as plan_services
    from guopei.plans.services import ProjectInput

    plan = AnnualPlan.objects.filter(province="140000", year=2019).first()
    if plan is None:
        plan = plan_services.plan_create(actor=admin, year=2019, title=f"2019年国培计划项目规划{TAG}",
                                         doc_number="晋教师〔2019〕9号", issued_on=date(2019, 6, 20), is_demo=True)
    have = set(Project.objects.filter(plan=plan).values_list("code", flat=True))
    if plan.is_editable:
        for code, name, category in PROJECTS_2019:
            if code in have:
                continue
            fields = {"code": code, "name": name, "category": Category.objects.get(name=category),
                      "training_form": Project.Form.FACE_TO_FACE, "days": 10, "hours": 80, "quota": 100,
                      "cost_standard": Decimal("400.00"), "is_demo": True}
            plan_services.project_create(plan=plan, actor=admin,
                                         data=ProjectInput(fields=fields, components={"face_to_face": 80},
                                                           county_codes=[]))
    if finance is not None:
        # Both sign-offs and publication, from wherever the plan stands (PLAN-1).
        plan.refresh_from_db()
        if plan.status == AnnualPlan.Status.DRAFT:
            plan = plan_services.plan_submit(plan=plan, actor=admin)
        if plan.status == AnnualPlan.Status.EDUCATION_REVIEW:
            plan = plan_services.plan_sign_education(plan=plan, actor=admin)
        if plan.status == AnnualPlan.Status.FINANCE_REVIEW and plan.finance_signed_by_id is None:
            plan = plan_services.plan_sign_finance(plan=plan, actor=finance)
        plan.refresh_from_db()
        if plan.status == AnnualPlan.Status.FINANCE_REVIEW:
            plan_services.plan_publish(plan=plan, actor=admin)
    return list(Project.objects.filter(plan=plan).order_by("code"))


def _import(admin: User, year: int, rows: list[services.ThirdPartyRow], counts: Counts) -> None:
    """The agency's scores of the year, imported like a file: the same rows twice are one file, imported once."""
    if not rows:
        return
    content = json.dumps([[r.institution_id, r.project_id, r.region_code, str(r.score)] for r in rows]).encode()
    result = services.third_party_import(actor=admin, year=year, agency=AGENCY, content=content, rows=rows,
                                         file_name=f"{year}年第三方评估得分.xlsx", is_demo=True)
    counts.scores += result["created"]


def _forum(admin: User, counts: Counts, *, held_on: date, place: str, region: str, rating: int, findings: str,
           klass: Any = None, project: Project | None = None, institution: Institution | None = None) -> None:
    if Forum.objects.filter(held_on=held_on, place=place).exists():
        return
    services.forum_record(actor=admin, is_demo=True, data={
        "held_on": held_on, "place": place, "region": Region.objects.get(code=region), "klass": klass,
        "project": project, "institution": institution, "participants": 12 + rating, "names_consented": False,
        "participant_names": "", "rating": rating, "findings": findings,
        "minutes": "座谈由省教育厅教师工作处主持，学员代表逐一发言，围绕课程设置、专家授课、实践环节和返岗应用"
                   "交流意见。" + findings,
    })
    counts.forums += 1


def _year_2019(admin: User, finance: User | None, counts: Counts) -> None:
    projects = _plan_2019(admin, finance)
    if not projects:
        return
    institutions = {i.name: i for i in Institution.objects.filter(name__in=INSTITUTIONS_2019)}
    rows = []
    for index, name in enumerate(INSTITUTIONS_2019):
        institution = institutions.get(name)
        if institution is None:
            continue
        project = projects[index % len(projects)]
        rng = _rng(2019, name)
        rows.append(services.ThirdPartyRow(index + 2, institution.pk, project.pk, COUNTIES_2019[index] or "140000",
                                           Decimal(rng.randint(70, 93)), Decimal(100), "组织规范，学员反映较好。"))
    _import(admin, 2019, rows, counts)
    first = institutions.get("山西师范大学")
    _forum(admin, counts, held_on=date(2019, 11, 6), place=f"小店区教师发展中心{TAG}", region="140105", rating=4,
           project=projects[0], institution=first, findings="学员认为实践环节充分，希望增加返岗跟踪指导。")
    _forum(admin, counts, held_on=date(2019, 11, 20), place=f"平城区教师进修学校{TAG}", region="140213", rating=3,
           project=projects[1], institution=institutions.get("太原师范学院"),
           findings="部分课程与乡村学校实际联系不够紧密，住宿安排有待改善。")


def _ended_classes() -> list[Any]:
    from django.db.models import Count, Q

    from guopei.delivery.models import Enrolment, TrainingClass

    return list(TrainingClass.objects.filter(is_demo=True, status=TrainingClass.Status.ENDED)
                .annotate(n=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ENROLLED)))
                .filter(n__gte=5).select_related("project__plan", "institution").order_by("end_date", "pk"))


def _class_opener(klass: Any, admin: User) -> User:
    staff = User.objects.filter(memberships__institution_id=klass.institution_id,
                                memberships__role="institution_staff").order_by("pk").first()
    return staff or admin


def _surveys(admin: User, counts: Counts) -> list[Any]:
    questionnaire = _questionnaire(admin)
    classes = _ended_classes()
    for klass in classes:
        survey = Survey.objects.filter(klass=klass).first()
        if survey is None:
            survey = services.survey_open(klass=klass, questionnaire=questionnaire,
                                          actor=_class_opener(klass, admin), is_demo=True)
            counts.surveys += 1
        if survey.questionnaire_id != questionnaire.pk or survey.responses.exists():
            continue
        keep_open = set(survey.tokens.filter(enrolment__teacher__user__username="jiaoshi").values_list("pk",
                                                                                                       flat=True))
        rng = _rng("survey", klass.pk)
        questions = list(survey.questionnaire.questions.all())
        for token in survey.tokens.filter(used_on__isnull=True).order_by("pk"):
            if token.pk in keep_open:
                continue
            leaning = rng.choice([5, 5, 4, 4, 4, 3])
            answers: dict[int, Any] = {}
            for q in questions:
                if q.kind == "likert":
                    answers[q.pk] = max(1, min(5, leaning + rng.choice([-1, 0, 0, 0, 1])))
                elif q.kind == "single":
                    answers[q.pk] = rng.choice(["合适", "合适", "合适", "偏紧", "偏松"])
                elif q.kind == "multiple":
                    answers[q.pk] = rng.sample(q.choices, rng.randint(1, 3))
                else:
                    answers[q.pk] = rng.choice(SUGGESTIONS)
            services.survey_answer(survey=survey, token=tokens.token_for(survey.pk, token.nonce), answers=answers,
                                   today=klass.end_date)
            counts.answers += 1
    return classes


def _lots_2020() -> list[tuple[Project, Institution, str]]:
    """The 2020 lots that have a delivering institution: live awards, else the demo classes' projects."""
    from guopei.delivery.models import TrainingClass
    from guopei.tenders.models import Award

    lots: dict[tuple[int, int, str], tuple[Project, Institution, str]] = {}
    for award in (Award.objects.filter(project__plan__year=2020, status__in=Award.LIVE_STATUSES)
                  .select_related("project", "institution").order_by("project__code", "county_id", "pk")):
        code = award.county_id or "140000"
        lots.setdefault((award.project_id, award.institution_id, code), (award.project, award.institution, code))
    for klass in (TrainingClass.objects.filter(project__plan__year=2020, is_demo=True)
                  .select_related("project", "institution").order_by("pk")):
        lots.setdefault((klass.project_id, klass.institution_id, klass.region_code),
                        (klass.project, klass.institution, klass.region_code))
    return list(lots.values())


def _visits(admin: User, counts: Counts, lots: list[tuple[Project, Institution, str]]) -> None:
    expert = Expert.objects.filter(user__username="zhuanjia").select_related("user").first()
    if expert is None or expert.user is None:
        return
    rubric = _rubric(admin)
    conflicts = set(expert.institutions.values_list("pk", flat=True))
    chosen = [lot for lot in lots if lot[1].pk not in conflicts][:3]
    for index, (project, institution, code) in enumerate(chosen):
        planned = date(2020, 9, 8) + timedelta(days=7 * index)
        if FieldVisit.objects.filter(expert=expert, project=project, institution=institution,
                                     planned_on=planned).exists():
            continue
        # A county lot is visited in its county; a province-wide one where the institution trains.
        region = Region.objects.get(code=code if code != "140000" else (institution.region_id or code))
        visit = services.visit_assign(actor=admin, expert=expert, project=project, institution=institution,
                                      rubric=rubric, planned_on=planned, region=region, is_demo=True)
        counts.visits += 1
        if index == len(chosen) - 1 and index > 0:
            continue  # one visit left for the expert to fill in on the phone
        rng = _rng("visit", project.code, institution.name)
        scores = {c.pk: Decimal(max(0, c.max_score - rng.randint(1, max(2, c.max_score // 4))))
                  for c in rubric.criteria.all()}
        services.visit_photo_add(visit=visit, actor=expert.user, upload=_photo(institution.name), caption="课堂观察")
        services.visit_save(visit=visit, actor=expert.user, visited_on=planned, scores=scores,
                            notes=f"现场听课两节，查阅{institution.name}的培训方案与学员档案，访谈学员代表八人。"
                                  "课程安排合理，实践环节落实较好；建议加强返岗后的跟踪指导。")
        services.visit_submit(visit=visit, actor=expert.user)


def _year_2020(admin: User, counts: Counts) -> None:
    classes = _surveys(admin, counts)
    lots = _lots_2020()
    _visits(admin, counts, lots)
    first_class = classes[0] if classes else None
    if first_class is not None:
        _forum(admin, counts, held_on=first_class.end_date, place=f"{first_class.venue}{TAG}",
               region="140105", rating=4, klass=first_class,
               findings="学员普遍认为跟岗实践收获大，建议把优秀课例整理成资源包供返岗使用。")
    elif lots:
        project, institution, _ = lots[0]
        _forum(admin, counts, held_on=date(2020, 9, 25), place=f"小店区教师发展中心{TAG}", region="140105", rating=4,
               project=project, institution=institution, findings="学员认为课程实用，希望增加线上跟踪指导。")
    if len(lots) > 1:
        project, institution, _ = lots[1]
        _forum(admin, counts, held_on=date(2020, 10, 14), place=f"平城区教师进修学校{TAG}", region="140213",
               rating=3, project=project, institution=institution,
               findings="部分专题与幼儿园一线实际结合不够，建议增加名园跟岗时长。")
    rows = []
    for index, (project, institution, code) in enumerate(lots):
        rng = _rng(2020, project.code, institution.name, code)
        rows.append(services.ThirdPartyRow(index + 2, institution.pk, project.pk, code,
                                           Decimal(rng.randint(72, 95)), Decimal(100), "按合同完成培训任务。"))
    _import(admin, 2020, rows, counts)


def _bulletin(admin: User, counts: Counts) -> str:
    if Bulletin.objects.filter(year=2020, is_demo=True).exists():
        return "已有"
    try:
        bulletin = services.bulletin_create(actor=admin, year=2020, doc_number="晋教师〔2021〕3号", is_demo=True,
                                            title=f"关于2020年国培计划绩效评估结果的通报{TAG}")
    except ValidationError as exc:  # no results yet: say so instead of publishing an empty bulletin
        return f"未生成（{'；'.join(exc.messages)}）"
    services.bulletin_publish(bulletin=bulletin, actor=admin)
    counts.bulletins += 1
    return "已发布"


def build(stdout: Any) -> None:
    """Create whatever of the evaluation's demo world is missing; print one line saying what there is."""
    users = {u.username: u for u in User.objects.filter(username__in=["sheng_admin", "sheng_caizheng"])}
    admin = users.get("sheng_admin")
    if admin is None:
        stdout.write("绩效评估示例：未找到示例账号 sheng_admin，未生成绩效评估示例数据。")
        return
    counts = Counts()
    _questionnaire(admin)
    _rubric(admin)
    _weights(admin, counts)
    _year_2019(admin, users.get("sheng_caizheng"), counts)
    _year_2020(admin, counts)
    state = _bulletin(admin, counts)
    ended = len(_ended_classes())
    stdout.write(
        f"绩效评估示例：评教 {Survey.objects.filter(is_demo=True).count()} 个班次"
        f"（已结班示例班次 {ended} 个），实地调研 {FieldVisit.objects.filter(is_demo=True).count()} 次，"
        f"学员座谈 {Forum.objects.filter(is_demo=True).count()} 场，权重年度 {CompositeWeights.objects.count()} 个，"
        f"2020年通报{state}（本次新建 {counts.total()} 项）。"
    )
