"""Fixtures of the evaluation's tests; the personas come from guopei/conftest.py.

The world: 2020 project P01 delivered by `institution` (the staff persona's) in an ended class of six trainees,
one of whom is the teacher persona; the expert persona has an entry in the expert pool.
"""

from __future__ import annotations

import pytest

from guopei.evaluation import services
from guopei.teachers.tests.factories import TeacherFactory

from .factories import make_class, make_expert, make_questionnaire, make_rubric, project_for


@pytest.fixture(autouse=True)
def _evaluation_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SURVEY_MIN_ANSWERS = 5


@pytest.fixture
def project(province_admin):
    return project_for(province_admin, 2020)


@pytest.fixture
def klass(project, institution, province_admin, school):
    return make_class(project=project, institution=institution, actor=province_admin, school=school)


@pytest.fixture
def questionnaire(province_admin):
    return make_questionnaire(province_admin)


@pytest.fixture
def survey(klass, questionnaire, institution_staff):
    return services.survey_open(klass=klass, questionnaire=questionnaire, actor=institution_staff)


@pytest.fixture
def teacher_in_class(klass, teacher_user, school):
    """The teacher persona as a trainee of the class (enrolled before the survey is opened)."""
    from guopei.delivery.models import Enrolment

    teacher = TeacherFactory(school=school, name="梁雅婷", user=teacher_user)
    return Enrolment.objects.create(klass=klass, teacher=teacher, school=school, region_code=school.region_code,
                                    source=Enrolment.Source.NOMINATION)


@pytest.fixture
def expert(expert_user):
    return make_expert(expert_user)


@pytest.fixture
def rubric(province_admin):
    return make_rubric(province_admin)
