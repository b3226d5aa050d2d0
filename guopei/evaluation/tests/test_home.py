"""Navigation and home panels of the evaluation: each role sees its entries, with counts from the database."""

from __future__ import annotations

from datetime import date

import pytest

from guopei.evaluation import home, nav, services

from .factories import answer_all

pytestmark = pytest.mark.django_db


def stats(panels) -> dict[str, object]:
    return {label: value for panel in panels for label, value, _ in panel.stats}


def test_nav_items_per_role(province_admin, city_admin, institution_staff, expert_user, teacher_user, school_admin):
    labels = lambda user: [item.label for item in nav.nav_items(user)]  # noqa: E731
    assert labels(province_admin) == ["绩效评估"]
    assert labels(city_admin) == ["绩效评估"]
    assert labels(institution_staff) == ["绩效评估"]
    assert labels(expert_user) == ["实地调研"]
    assert labels(teacher_user) == ["我的评教"]
    assert labels(school_admin) == []


def test_home_panels_count_from_the_database(province_admin, survey, expert, project, klass, rubric, expert_user,
                                             teacher_in_class, teacher_user, institution_staff):
    services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                          planned_on=date(2020, 9, 10))
    province = stats(home.home_panels(province_admin))
    assert province["发起评教的班次"] == 1 and province["待提交的实地调研"] == 1 and province["通报草稿"] == 0
    assert stats(home.home_panels(expert_user)) == {"待调研": 1, "已提交": 0}
    services.survey_tokens_issue(survey=survey, actor=institution_staff)
    assert stats(home.home_panels(teacher_user)) == {"待评教": 1, "已评教": 0}
    answer_all(survey, [4] * 7)
    assert stats(home.home_panels(teacher_user)) == {"待评教": 0, "已评教": 1}
    institution = stats(home.home_panels(institution_staff))
    assert institution["学员评教"] == 1 and institution["已完成的专家调研"] == 0
