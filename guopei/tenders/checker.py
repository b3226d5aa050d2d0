"""The course-plan checker (COURSE-1 … COURSE-4, PLAN-5): a pure function listing, in Chinese, everything a plan
still misses. It runs live while the institution edits (on unsaved form data) and again before submission.

The checker reads only plain values — the project's hours per component, whether it is an IT 2.0 project, the
topic catalogue and the modules — so it can be called on a half-filled form as well as on a saved plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from guopei.plans.models import IT20_MIN_HOURS, IT20_MIN_PRACTICE_HOURS, ProjectComponent

COMPONENT_LABELS = dict(ProjectComponent.Kind.choices)
GROUP_LABELS = {
    "mandatory": ("必修内容", "COURSE-3"),
    "pandemic": ("疫情相关专题", "COURSE-4"),
    "focus": ("重点内容", "COURSE-1"),
}
TASK_DRIVEN = "task_driven"

MSG_NO_MODULES = "尚未添加任何课程模块。"
MSG_MODULE_TITLE = "第{n}个模块未填写模块名称。"
MSG_MODULE_HOURS = "模块“{title}”的学时为0。"
MSG_MODULE_METHOD = "模块“{title}”未选择教学方式（COURSE-2）。"
MSG_MODULE_OUTPUTS = "模块“{title}”未填写预期成果（COURSE-2）。"
MSG_MODULE_COMPONENT = "模块“{title}”所属环节“{component}”不是本项目的环节。"
MSG_MISSING_TOPIC = "缺少{group}（{rule}）：{name}。"
MSG_COMPONENT_HOURS = "{component}环节：模块学时合计{total}学时，项目要求{hours}学时。"
MSG_TOTAL_HOURS = "模块学时合计{total}学时，项目总学时为{hours}学时。"
MSG_NO_TASK_DRIVEN = "方案中没有采用任务驱动方式的模块（COURSE-2）。"
MSG_NO_PRACTICE = "方案中没有实践学时，教师须参与实践（COURSE-2）。"
MSG_IT20_TOTAL = f"信息技术2.0项目总学时{{total}}学时，不得少于{IT20_MIN_HOURS}学时（PLAN-5）。"
MSG_IT20_PRACTICE = f"信息技术2.0项目实践应用学时{{practice}}学时，不得少于{IT20_MIN_PRACTICE_HOURS}学时（PLAN-5）。"


@dataclass(frozen=True)
class ModuleData:
    """One module as the checker and the save service read it."""

    title: str
    component: str
    theory_hours: int = 0
    practice_hours: int = 0
    methods: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    expected_outputs: str = ""

    @property
    def hours(self) -> int:
        return self.theory_hours + self.practice_hours

    def as_dict(self) -> dict[str, object]:
        return {"title": self.title, "component": self.component, "theory_hours": self.theory_hours,
                "practice_hours": self.practice_hours, "methods": list(self.methods), "topics": list(self.topics),
                "expected_outputs": self.expected_outputs}


@dataclass(frozen=True)
class Tag:
    code: str
    name: str
    group: str


@dataclass(frozen=True)
class ProjectFrame:
    """What the checker needs of the project: total hours, hours per component, IT 2.0 or not."""

    hours: int
    component_hours: Mapping[str, int] = field(default_factory=dict)
    is_it20: bool = False


def check_course_plan(frame: ProjectFrame, modules: Sequence[ModuleData], tags: Sequence[Tag]) -> list[str]:
    """Return every missing item of the plan as a Chinese sentence; an empty list means it may be submitted."""
    problems: list[str] = []
    if not modules:
        problems.append(MSG_NO_MODULES)
    for n, module in enumerate(modules, start=1):
        title = module.title.strip()
        if not title:
            problems.append(MSG_MODULE_TITLE.format(n=n))
            title = f"第{n}个模块"
        if module.hours <= 0:
            problems.append(MSG_MODULE_HOURS.format(title=title))
        if not module.methods:
            problems.append(MSG_MODULE_METHOD.format(title=title))
        if not module.expected_outputs.strip():
            problems.append(MSG_MODULE_OUTPUTS.format(title=title))
        if frame.component_hours and module.component not in frame.component_hours:
            problems.append(MSG_MODULE_COMPONENT.format(
                title=title, component=COMPONENT_LABELS.get(module.component, module.component or "未选择")))

    # COURSE-1, COURSE-3, COURSE-4: each catalogue topic must be covered by at least one module.
    covered = {code for module in modules for code in module.topics}
    for tag in tags:
        if tag.code not in covered:
            label, rule = GROUP_LABELS.get(tag.group, ("专题", ""))
            problems.append(MSG_MISSING_TOPIC.format(group=label, rule=rule, name=tag.name))

    # Hours: the modules of each component add up to the component's hours in the project.
    if frame.component_hours:
        per_component: dict[str, int] = defaultdict(int)
        for module in modules:
            per_component[module.component] += module.hours
        for kind, hours in frame.component_hours.items():
            total = per_component.get(kind, 0)
            if total != hours:
                problems.append(MSG_COMPONENT_HOURS.format(component=COMPONENT_LABELS.get(kind, kind), total=total,
                                                           hours=hours))
    else:
        total = sum(m.hours for m in modules)
        if total != frame.hours:
            problems.append(MSG_TOTAL_HOURS.format(total=total, hours=frame.hours))

    # COURSE-2: task-driven teaching and teachers' own practice.
    if modules and not any(TASK_DRIVEN in m.methods for m in modules):
        problems.append(MSG_NO_TASK_DRIVEN)
    practice = sum(m.practice_hours for m in modules)
    if modules and practice <= 0:
        problems.append(MSG_NO_PRACTICE)

    # PLAN-5: an IT 2.0 plan gives every teacher at least 50 hours, at least 25 of them practice.
    if frame.is_it20:
        total = sum(m.hours for m in modules)
        if total < IT20_MIN_HOURS:
            problems.append(MSG_IT20_TOTAL.format(total=total))
        if practice < IT20_MIN_PRACTICE_HOURS:
            problems.append(MSG_IT20_PRACTICE.format(practice=practice))
    return problems
