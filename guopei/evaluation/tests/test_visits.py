"""Expert field visits (专家实地调研, MGMT-7): assignment, the phone rubric, photos, and read-only once submitted."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from guopei.core.uploads import UploadError
from guopei.evaluation import services
from guopei.evaluation.models import FieldVisit, VisitPhoto
from guopei.orgs.tests.factories import InstitutionFactory, make_user

from .factories import make_expert, submitted_visit

pytestmark = pytest.mark.django_db


def jpeg(name: str = "现场.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def visit(province_admin, expert, project, klass, rubric):
    return services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                                 planned_on=date(2020, 9, 10))


def test_mgmt7_visit_to_a_class_takes_its_institution_and_place(visit, klass):
    assert visit.institution == klass.institution
    assert visit.region_code == klass.region_code
    assert visit.year == 2020 and visit.state == FieldVisit.State.ASSIGNED


def test_mgmt7_visit_refused_for_an_institution_not_on_the_project(province_admin, expert, project, rubric, klass):
    stranger = InstitutionFactory(name="无关机构")
    with pytest.raises(ValidationError) as exc:
        services.visit_assign(actor=province_admin, expert=expert, project=project, institution=stranger,
                              rubric=rubric, planned_on=date(2020, 9, 10))
    assert services.ERR_VISIT_INSTITUTION in exc.value.messages


def test_mgmt7_expert_with_a_conflict_of_interest_is_not_sent(province_admin, expert, project, klass, rubric):
    expert.institutions.add(klass.institution)
    with pytest.raises(ValidationError) as exc:
        services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                              planned_on=date(2020, 9, 10))
    assert services.ERR_VISIT_CONFLICT in exc.value.messages


def test_mgmt7_expert_fills_the_rubric_and_submits(visit, expert, rubric):
    criteria = list(rubric.criteria.all())
    services.visit_save(visit=visit, actor=expert.user, visited_on=date(2020, 9, 10), notes="听课两节",
                        scores={criteria[0].pk: Decimal("27"), criteria[1].pk: Decimal("36")})
    with pytest.raises(ValidationError) as exc:
        services.visit_submit(visit=visit, actor=expert.user)
    assert services.ERR_VISIT_INCOMPLETE in exc.value.messages
    services.visit_save(visit=visit, actor=expert.user, visited_on=date(2020, 9, 10), notes="听课两节",
                        scores={criteria[2].pk: Decimal("25.5")})
    visit = services.visit_submit(visit=visit, actor=expert.user)
    # (27 + 36 + 25.5) / (30 + 40 + 30) × 100 = 88.50
    assert visit.score == Decimal("88.50")
    assert visit.is_submitted and visit.submitted_at is not None


def test_mgmt7_score_above_the_criterion_maximum_is_refused(visit, expert, rubric):
    first = rubric.criteria.first()
    with pytest.raises(ValidationError) as exc:
        services.visit_save(visit=visit, actor=expert.user, visited_on=date(2020, 9, 10), notes="",
                            scores={first.pk: Decimal("31")})
    assert exc.value.message_dict == {f"c{first.pk}": [services.ERR_VISIT_SCORE_RANGE.format(max=30)]}


def test_mgmt7_only_the_assigned_expert_fills_the_visit(visit, rubric, province_admin):
    other = make_expert(make_user("expert", username="expert2"), name="郝振华")
    with pytest.raises(ValidationError) as exc:
        services.visit_save(visit=visit, actor=other.user, visited_on=None, notes="", scores={})
    assert services.ERR_VISIT_NOT_YOURS in exc.value.messages


def test_mgmt7_submitted_visit_is_read_only(province_admin, expert, project, klass, rubric):
    visit = submitted_visit(actor=province_admin, expert=expert, project=project, institution=klass.institution,
                            rubric=rubric, scores=[Decimal(20), Decimal(30), Decimal(20)], klass=klass)
    first = rubric.criteria.first()
    for attempt in (
        lambda: services.visit_save(visit=visit, actor=expert.user, visited_on=date(2020, 9, 11), notes="改动",
                                    scores={first.pk: Decimal(30)}),
        lambda: services.visit_submit(visit=visit, actor=expert.user),
        lambda: services.visit_photo_add(visit=visit, actor=expert.user, upload=jpeg()),
        lambda: services.visit_withdraw(visit=visit, actor=province_admin),
    ):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert services.ERR_VISIT_SUBMITTED in exc.value.messages
    visit.refresh_from_db()
    assert visit.score == Decimal("70.00") and visit.notes == "现场听课两节，访谈学员。"
    assert visit.scores.get(criterion=first).score == Decimal(20)


def test_mgmt7_visit_photos_are_checked_by_content(visit, expert):
    photo = services.visit_photo_add(visit=visit, actor=expert.user, upload=jpeg(), caption="课堂观察")
    assert photo.content_type == "image/jpeg" and photo.display_name == "现场.jpg"
    assert photo.file.name.startswith("evaluation/visits/") and "现场" not in photo.file.name
    program = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 100, content_type="image/jpeg")
    with pytest.raises(UploadError) as exc:
        services.visit_photo_add(visit=visit, actor=expert.user, upload=program)
    assert exc.value.code == "executable"
    assert VisitPhoto.objects.count() == 1
