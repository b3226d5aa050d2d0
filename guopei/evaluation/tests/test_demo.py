"""The evaluation's demo world: built through the services, labelled 示例, with 2019 and 2020 composites, a
published bulletin, and a second run that changes nothing."""

from __future__ import annotations

import io

import pytest

from guopei.delivery.models import Enrolment, TrainingClass
from guopei.evaluation import demo, performance
from guopei.evaluation.models import (
    Answer,
    Bulletin,
    BulletinRecipient,
    CompositeWeights,
    FieldVisit,
    Forum,
    Response,
    Survey,
    SurveyToken,
    ThirdPartyScore,
)
from guopei.evaluation.selectors import institution_past_performance
from guopei.orgs import demo as orgs_demo
from guopei.orgs.models import Institution, School, User
from guopei.plans import demo as plans_demo
from guopei.plans.models import Project
from guopei.teachers.tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    orgs_demo.build(out)
    plans_demo.build(out)
    admin = User.objects.get(username="sheng_admin")
    school = School.objects.get(code=orgs_demo.DEMO_SCHOOL_CODE)
    institution = Institution.objects.get(name="山西师范大学")
    project = Project.objects.filter(plan__year=2020).order_by("code").first()
    # Two ended classes of the delivery's demo; the demo teacher (jiaoshi) is a trainee of the first.
    for n, with_teacher in ((1, True), (2, False)):
        from .factories import make_class

        klass = make_class(project=project, institution=institution, actor=admin, school=school, trainees=6,
                           region_code="140000", name=f"{project.name}第{n}班（示例）")
        TrainingClass.objects.filter(pk=klass.pk).update(is_demo=True)
        if with_teacher:
            teacher = TeacherFactory(school=school, name="梁雅婷", user=User.objects.get(username="jiaoshi"))
            Enrolment.objects.create(klass=klass, teacher=teacher, school=school, region_code=school.region_code,
                                     source=Enrolment.Source.NOMINATION)
    return admin


def snapshot() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Survey, SurveyToken, Response, Answer, FieldVisit, Forum, ThirdPartyScore, CompositeWeights, Bulletin,
        BulletinRecipient)}


def test_mgmt7_demo_builds_the_evaluation_once(world):
    out = io.StringIO()
    demo.build(out)
    assert "绩效评估示例" in out.getvalue()
    first = snapshot()
    # Class 1 has 6 trainees and the demo teacher, class 2 has 6: everyone answered but the demo teacher.
    assert first["Survey"] == 2 and first["Response"] == 6 + 6 and first["SurveyToken"] == 13
    jiaoshi_token = SurveyToken.objects.get(enrolment__teacher__user__username="jiaoshi")
    assert jiaoshi_token.used_on is None
    assert set(CompositeWeights.objects.values_list("year", flat=True)) == {2019, 2020}
    assert FieldVisit.objects.filter(expert__user__username="zhuanjia", state="submitted").exists()
    assert ThirdPartyScore.objects.filter(year=2019).exists() and ThirdPartyScore.objects.filter(year=2020).exists()
    assert performance.table(2019, "institution") and performance.table(2019, "city")
    rows = performance.table(2020, "institution")
    assert rows and rows[0].previous is not None  # the year comparison has something to compare with
    shanshi = Institution.objects.get(name="山西师范大学")
    assert institution_past_performance(shanshi, 2020) is not None
    bulletin = Bulletin.objects.get(year=2020)
    assert bulletin.is_published and bulletin.title.endswith("（示例）")
    assert bulletin.recipients.filter(institution=shanshi).exists()
    for forum in Forum.objects.all():
        assert forum.place.endswith("（示例）") and forum.participant_names == ""
    demo.build(io.StringIO())
    assert snapshot() == first
