"""Build plans and projects through the real services, so tests exercise the rules they depend on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from guopei.plans import services
from guopei.plans.models import AnnualPlan, Category, Project
from guopei.plans.services import ProjectInput

CW_RURAL = "乡村中小学教师专业能力建设"
CW_IT = "中小学教师信息技术应用能力研修"
KG_NEW = "幼儿园新入职教师规范化培训"


def project_input(code: str = "P01", *, category: str = CW_RURAL, components: dict[str, int] | None = None,
                  counties: list[str] | None = None, **fields: Any) -> ProjectInput:
    values: dict[str, Any] = {
        "code": code,
        "name": f"{category}（{code}）",
        "category": Category.objects.get(name=category),
        "training_form": Project.Form.FACE_TO_FACE,
        "days": 10,
        "hours": 80,
        "quota": 100,
        "cost_standard": Decimal("400.00"),
        "target_segments": ["primary", "junior"],
        "target_posts": ["teacher"],
    }
    values.update(fields)
    if components is None:
        components = {"face_to_face": values["hours"]} if values["hours"] else {}
    return ProjectInput(fields=values, components=components, county_codes=counties or [])


def make_plan(actor: Any, year: int = 2020, **kwargs: Any) -> AnnualPlan:
    return services.plan_create(actor=actor, year=year, title=kwargs.pop("title", f"{year}年国培计划项目规划"),
                                doc_number=kwargs.pop("doc_number", f"晋教师〔{year}〕12号"), **kwargs)


def make_project(plan: AnnualPlan, actor: Any, code: str = "P01", **kwargs: Any) -> Project:
    return services.project_create(plan=plan, actor=actor, data=project_input(code, **kwargs))


def publish(plan: AnnualPlan, education: Any, finance: Any) -> AnnualPlan:
    services.plan_submit(plan=plan, actor=education)
    services.plan_sign_education(plan=plan, actor=education)
    services.plan_sign_finance(plan=plan, actor=finance)
    return services.plan_publish(plan=plan, actor=education)
