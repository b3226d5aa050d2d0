"""Build what the evaluation reads: plans and projects through the plans services, classes with trainees, experts
with accounts, and surveys, visits, forums and scores through this app's services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from guopei.delivery.models import Enrolment, TrainingClass
from guopei.evaluation import services
from guopei.evaluation.models import Questionnaire, Rubric
from guopei.orgs.models import Expert, Institution, School
from guopei.orgs.tests.factories import SchoolFactory
from guopei.plans.models import AnnualPlan, Project
from guopei.plans.tests.factories import make_plan, make_project
from guopei.teachers.tests.factories import TeacherFactory

SPECS = [
    services.QuestionSpec("likert", "课程内容对您的教学有帮助"),
    services.QuestionSpec("likert", "授课专家的水平"),
    services.QuestionSpec("single", "培训时间安排是否合适", ("合适", "偏紧", "偏松")),
    services.QuestionSpec("multiple", "收获最大的环节", ("专家讲座", "跟岗实践", "研课磨课", "成果展示")),
    services.QuestionSpec("text", "意见和建议", required=False),
]


def plan_for(actor: Any, year: int) -> AnnualPlan:
    return AnnualPlan.objects.filter(year=year).first() or make_plan(actor, year)


def project_for(actor: Any, year: int = 2020, code: str = "P01", **kwargs: Any) -> Project:
    plan = plan_for(actor, year)
    return Project.objects.filter(plan=plan, code=code).first() or make_project(plan, actor, code, **kwargs)


def make_class(*, project: Project, institution: Institution, actor: Any, trainees: int = 6, school: Any = None,
               ended: bool = True, region_code: str = "140000", name: str = "") -> TrainingClass:
    today = date.today()
    start, end = (today - timedelta(days=20), today - timedelta(days=10)) if ended else (
        today - timedelta(days=2), today + timedelta(days=8))
    klass = TrainingClass.objects.create(
        project=project, institution=institution, region_code=region_code, name=name or f"{project.name}第1班",
        start_date=start, end_date=end, venue="太原", capacity=50, created_by=actor,
        status=TrainingClass.Status.ENDED if ended else TrainingClass.Status.RUNNING)
    if school is None and trainees:
        school = School.objects.filter(region_code="140105").first() or SchoolFactory(county_id="140105")
    for _ in range(trainees):
        teacher = TeacherFactory(school=school)
        Enrolment.objects.create(klass=klass, teacher=teacher, school=teacher.school, region_code=teacher.region_code,
                                 source=Enrolment.Source.NOMINATION)
    return klass


def make_questionnaire(actor: Any, title: str = "培训满意度问卷") -> Questionnaire:
    return services.questionnaire_create(actor=actor, title=title, questions=SPECS)


def make_expert(user: Any, name: str = "贾文斌") -> Expert:
    return Expert.objects.create(name=name, employer="太原师范学院", field="教师教育", user=user)


def make_rubric(actor: Any) -> Rubric:
    return services.rubric_create(actor=actor, name="项目实施评分表", criteria=[
        ("组织管理", "方案落实、班级管理、学员服务", 30),
        ("课程实施", "课程内容、授课质量、研修方式", 40),
        ("培训成效", "学员收获、成果产出", 30),
    ])


def jpeg_upload(name: str = "现场.jpg") -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def answers_for(survey: Any, likert: int = 4, choice: str = "合适") -> dict[int, Any]:
    answers: dict[int, Any] = {}
    for q in survey.questionnaire.questions.all():
        if q.kind == "likert":
            answers[q.pk] = likert
        elif q.kind == "single":
            answers[q.pk] = choice
        elif q.kind == "multiple":
            answers[q.pk] = ["专家讲座", "跟岗实践"]
        else:
            answers[q.pk] = "希望增加实践环节"
    return answers


def answer_all(survey: Any, likert_values: list[int]) -> None:
    """Use one unused token per value to answer the survey with that scale value."""
    from guopei.evaluation import tokens

    unused = list(survey.tokens.filter(used_on__isnull=True).order_by("pk"))
    for token, value in zip(unused, likert_values, strict=False):
        services.survey_answer(survey=survey, token=tokens.token_for(survey.pk, token.nonce),
                               answers=answers_for(survey, likert=value))


def submitted_visit(*, actor: Any, expert: Expert, project: Project, institution: Institution, rubric: Rubric,
                    scores: list[Decimal], region: Any = None, klass: Any = None) -> Any:
    visit = services.visit_assign(actor=actor, expert=expert, project=project, institution=institution,
                                  rubric=rubric, planned_on=date.today(), region=region, klass=klass)
    criteria = list(rubric.criteria.all())
    services.visit_save(visit=visit, actor=expert.user, visited_on=date.today(), notes="现场听课两节，访谈学员。",
                        scores={c.pk: s for c, s in zip(criteria, scores, strict=True)})
    return services.visit_submit(visit=visit, actor=expert.user)
