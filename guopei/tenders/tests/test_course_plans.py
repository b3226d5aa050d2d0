"""Course plans: the checker on each missing item, submission, review and versions (COURSE-1 … COURSE-5,
PLAN-5)."""

from __future__ import annotations

import dataclasses

import pytest

from guopei.tenders import selectors, services
from guopei.tenders.checker import ModuleData, ProjectFrame, Tag, check_course_plan
from guopei.tenders.models import CoursePlan, CoursePlanVersion, TopicTag
from guopei.tenders.versions import snapshot_diff

from .factories import SIGNING, full_modules

pytestmark = pytest.mark.django_db

TAGS = [Tag("xi", "习近平总书记关于教育的重要论述", "mandatory"), Tag("eyes", "学生视力保护", "pandemic"),
        Tag("moral", "学科育德", "focus")]
FRAME = ProjectFrame(hours=40, component_hours={"face_to_face": 30, "practice": 10})


def good_modules() -> list[ModuleData]:
    return [
        ModuleData("师德与育人", "face_to_face", 20, 10, ("lecture", "task_driven"), ("xi", "moral"), "教学设计"),
        ModuleData("返岗实践", "practice", 0, 10, ("field_practice",), ("eyes",), "课例视频"),
    ]


def test_checker_accepts_a_complete_plan():
    assert check_course_plan(FRAME, good_modules(), TAGS) == []


def test_checker_with_no_modules():
    problems = check_course_plan(FRAME, [], TAGS)
    assert "尚未添加任何课程模块。" in problems
    assert len([p for p in problems if p.startswith("缺少")]) == 3


@pytest.mark.parametrize(("code", "expected"), [
    ("xi", "缺少必修内容（COURSE-3）：习近平总书记关于教育的重要论述。"),
    ("eyes", "缺少疫情相关专题（COURSE-4）：学生视力保护。"),
    ("moral", "缺少重点内容（COURSE-1）：学科育德。"),
])
def test_course134_checker_names_each_missing_topic(code, expected):
    modules = [dataclasses.replace(m, topics=tuple(t for t in m.topics if t != code)) for m in good_modules()]
    assert check_course_plan(FRAME, modules, TAGS) == [expected]


def test_checker_component_hours_must_add_up():
    modules = good_modules()
    modules[0] = dataclasses.replace(modules[0], theory_hours=15)
    assert check_course_plan(FRAME, modules, TAGS) == ["集中研修环节：模块学时合计25学时，项目要求30学时。"]


def test_checker_module_outside_the_projects_components():
    modules = [*good_modules(), ModuleData("工作坊", "workshop", 2, 0, ("workshop",), (), "研修日志")]
    problems = check_course_plan(FRAME, modules, TAGS)
    assert "模块“工作坊”所属环节“工作坊研修”不是本项目的环节。" in problems
    assert "工作坊研修环节" not in " ".join(p for p in problems if "合计" in p)


def test_checker_total_hours_when_project_has_no_components():
    frame = ProjectFrame(hours=50)
    assert check_course_plan(frame, good_modules(), TAGS) == ["模块学时合计40学时，项目总学时为50学时。"]


def test_course2_module_needs_title_method_outputs_and_hours():
    modules = [*good_modules(), ModuleData("", "face_to_face", 0, 0, (), (), "")]
    problems = check_course_plan(ProjectFrame(hours=40), modules, TAGS)
    assert "第3个模块未填写模块名称。" in problems
    assert "模块“第3个模块”的学时为0。" in problems
    assert "模块“第3个模块”未选择教学方式（COURSE-2）。" in problems
    assert "模块“第3个模块”未填写预期成果（COURSE-2）。" in problems


def test_course2_plan_needs_task_driven_teaching_and_practice():
    modules = [dataclasses.replace(m, methods=("lecture",), practice_hours=0, theory_hours=m.hours)
               for m in good_modules()]
    problems = check_course_plan(FRAME, modules, TAGS)
    assert "方案中没有采用任务驱动方式的模块（COURSE-2）。" in problems
    assert "方案中没有实践学时，教师须参与实践（COURSE-2）。" in problems


def test_plan5_it20_needs_50_hours_with_25_practice():
    frame = ProjectFrame(hours=50, component_hours={"face_to_face": 25, "practice": 25}, is_it20=True)
    ok = [ModuleData("应用能力", "face_to_face", 25, 0, ("task_driven",), ("xi", "eyes", "moral"), "微能力认证"),
          ModuleData("实践应用", "practice", 0, 25, ("field_practice",), (), "课例")]
    assert check_course_plan(frame, ok, TAGS) == []
    short = [ok[0], dataclasses.replace(ok[1], theory_hours=1, practice_hours=24)]
    assert check_course_plan(frame, short, TAGS) == ["信息技术2.0项目实践应用学时24学时，不得少于25学时（PLAN-5）。"]
    frame40 = ProjectFrame(hours=40, component_hours={"face_to_face": 20, "practice": 20}, is_it20=True)
    small = [dataclasses.replace(ok[0], theory_hours=20), dataclasses.replace(ok[1], practice_hours=20)]
    problems = check_course_plan(frame40, small, TAGS)
    assert "信息技术2.0项目总学时40学时，不得少于50学时（PLAN-5）。" in problems
    assert "信息技术2.0项目实践应用学时20学时，不得少于25学时（PLAN-5）。" in problems


def test_catalogue_is_seeded_with_fifteen_topics():
    groups = {g: TopicTag.objects.filter(group=g).count() for g in ("mandatory", "pandemic", "focus")}
    assert groups == {"mandatory": 5, "pandemic": 5, "focus": 5}
    assert TopicTag.objects.get(code="finance_integrity").name == "金融与诚信"
    assert TopicTag.objects.get(code="eyesight_protection").rule == "COURSE-4"


# --- services -------------------------------------------------------------------------------------------
@pytest.fixture
def course_plan(continuing, province_admin):
    award = services.award_continuation(project=continuing, actor=province_admin, amount="380000", now=SIGNING)
    return award.course_plan


@pytest.fixture
def owner(course_plan):
    from .factories import staff_for

    return staff_for(course_plan.institution, username="ty_staff")


def test_course_plan_cannot_be_submitted_while_the_checker_reports(course_plan, owner):
    modules = full_modules(course_plan.project)
    modules[0] = dataclasses.replace(modules[0], topics=tuple(t for t in modules[0].topics
                                                          if t != "xi_on_education"))
    services.course_plan_save(plan=course_plan, actor=owner, modules=modules)
    with pytest.raises(services.CoursePlanIncomplete) as refused:
        services.course_plan_submit(plan=course_plan, actor=owner)
    assert refused.value.problems == ["缺少必修内容（COURSE-3）：习近平总书记关于教育的重要论述。"]
    course_plan.refresh_from_db()
    assert course_plan.status == CoursePlan.Status.DRAFT and course_plan.version == 0


def test_course_plan_submit_review_return_and_approve_with_versions(course_plan, owner, province_admin):
    modules = full_modules(course_plan.project)
    services.course_plan_save(plan=course_plan, actor=owner, modules=modules, title="乡村教师能力提升课程方案")
    services.course_plan_submit(plan=course_plan, actor=owner)
    with pytest.raises(services.TenderError, match="已提交"):
        services.course_plan_save(plan=course_plan, actor=owner, modules=modules)
    with pytest.raises(services.TenderError, match="审核意见"):
        services.course_plan_review(plan=course_plan, actor=province_admin, approve=False)
    services.course_plan_review(plan=course_plan, actor=province_admin, approve=False, comment="请增加实践环节")
    course_plan.refresh_from_db()
    assert course_plan.status == CoursePlan.Status.RETURNED and course_plan.review_comment == "请增加实践环节"
    changed = [dataclasses.replace(modules[0], title="师德修养与实践")]
    services.course_plan_save(plan=course_plan, actor=owner, modules=changed)
    services.course_plan_submit(plan=course_plan, actor=owner)
    services.course_plan_review(plan=course_plan, actor=province_admin, approve=True)
    course_plan.refresh_from_db()
    assert course_plan.status == CoursePlan.Status.APPROVED and course_plan.version == 2
    versions = list(CoursePlanVersion.objects.filter(plan=course_plan))
    assert [v.decision for v in versions] == ["returned", "approved"]
    diff = snapshot_diff(versions[0].snapshot, versions[1].snapshot)
    assert any("师德修养与实践" in line.new for line in diff)


def test_course5_approved_plan_and_modules_are_exposed_for_delivery(course_plan, owner, province_admin):
    project = course_plan.project
    assert selectors.approved_course_plan(project) is None
    services.course_plan_save(plan=course_plan, actor=owner, modules=full_modules(project))
    services.course_plan_submit(plan=course_plan, actor=owner)
    assert selectors.approved_course_plan(project) is None
    services.course_plan_review(plan=course_plan, actor=province_admin, approve=True)
    plan = selectors.approved_course_plan(project)
    assert plan == course_plan
    modules = list(selectors.approved_modules(plan))
    assert [m.title for m in modules] == [m.title for m in full_modules(project)]
    assert sum(m.hours for m in modules) == project.hours


def test_only_the_lead_institution_edits_its_plan(course_plan, staff, province_admin):
    with pytest.raises(services.TenderError, match="牵头单位"):
        services.course_plan_save(plan=course_plan, actor=staff, modules=[])
    with pytest.raises(services.TenderError, match="省教育厅管理员"):
        services.course_plan_review(plan=course_plan, actor=staff, approve=True)


def test_save_refuses_unknown_component_method_or_topic(course_plan, owner):
    base = full_modules(course_plan.project)[0]
    for bad, message in ((dataclasses.replace(base, component="workshop"), "环节"),
                         (dataclasses.replace(base, methods=("dance",)), "教学方式"),
                         (dataclasses.replace(base, topics=("nope",)), "专题标签")):
        with pytest.raises(services.TenderError, match=message):
            services.course_plan_save(plan=course_plan, actor=owner, modules=[bad])
