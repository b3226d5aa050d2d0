"""Nominations: up to the allocation with alternates, intake by the institution, dismissal and substitution."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from guopei.core.models import AuditEvent
from guopei.orgs.tests.factories import InstitutionFactory, SchoolFactory, make_user
from guopei.plans.models import Allocation
from guopei.teachers import services
from guopei.teachers.models import IntegrityEntry, Nomination
from guopei.teachers.selection import selection_for

from .factories import IntegrityEntryFactory, TeacherFactory
from .test_selection import make_project

COUNTY = "140105"


@pytest.fixture
def project(db, province_admin, institution):
    project = make_project()
    Allocation.objects.create(project=project, region_id=COUNTY, quota=2)
    services.intake_assign(actor=province_admin, project=project, institution=institution)
    return project


@pytest.fixture
def teachers(db):
    school = SchoolFactory(county_id=COUNTY, location="rural")
    return [TeacherFactory(school=school) for _ in range(5)]


def propose(actor, project, principals, alternates=()):
    return services.nomination_propose(actor=actor, project=project, county_code=COUNTY,
                                       teacher_ids=[t.pk for t in principals],
                                       alternate_ids=[t.pk for t in alternates])


def test_mgmt4_county_proposes_up_to_its_allocation_with_alternates(county_admin, project, teachers):
    created = propose(county_admin, project, teachers[:2], teachers[2:4])
    assert [n.is_alternate for n in created] == [False, False, True, True]
    assert all(n.rank for n in created)
    with pytest.raises(ValidationError, match="超出名额"):
        propose(county_admin, project, teachers[4:5])
    assert AuditEvent.objects.filter(action="teachers.nomination_propose", detail__principals=2).exists()


def test_mgmt4_ineligible_teacher_cannot_be_proposed(county_admin, project, teachers):
    IntegrityEntryFactory(teacher=teachers[0], event_date=date(2019, 1, 1))
    with pytest.raises(ValidationError, match="不符合"):
        propose(county_admin, project, teachers[:1])
    assert not Nomination.objects.exists()


def test_other_county_and_wrong_role_cannot_propose(other_county_admin, school_admin, project, teachers):
    for user in (other_county_admin, school_admin):
        with pytest.raises(PermissionDenied):
            propose(user, project, teachers[:1])


def test_mgmt5_institution_confirms_or_returns_with_a_reason(county_admin, institution_staff, project, teachers):
    first, second = propose(county_admin, project, teachers[:2])
    services.nomination_confirm(actor=institution_staff, nomination=first)
    with pytest.raises(ValidationError):
        services.nomination_return(actor=institution_staff, nomination=second, reason="")
    services.nomination_return(actor=institution_staff, nomination=second, reason="非本学段教师")
    second.refresh_from_db()
    assert second.status == "returned" and second.reason == "非本学段教师"


def test_mgmt5_other_institution_cannot_decide(county_admin, project, teachers):
    stranger = make_user("institution_staff", "140100", institution=InstitutionFactory())
    (nomination,) = propose(county_admin, project, teachers[:1])
    with pytest.raises(PermissionDenied):
        services.nomination_confirm(actor=stranger, nomination=nomination)


def test_mgmt5_mgmt6_dismissal_at_intake_records_an_integrity_entry(county_admin, institution_staff, project,
                                                                     teachers):
    (nomination,) = propose(county_admin, project, teachers[:1])
    services.nomination_confirm(actor=institution_staff, nomination=nomination)
    services.nomination_dismiss(actor=institution_staff, nomination=nomination, reason="实际为初中教师，不符合条件",
                                event_date=date(2020, 7, 1))
    entry = IntegrityEntry.objects.get(teacher=teachers[0])
    assert entry.kind == "dismissed" and entry.ban_until == date(2023, 7, 1)
    assert "不符合条件" in entry.source
    assert "banned" in {r.code for r in selection_for(make_project("T05"), COUNTY).reasons_of(
        selection_for(make_project("T06"), COUNTY).ineligible().get(pk=teachers[0].pk))}


def test_substitution_keeps_the_history(county_admin, institution_staff, project, teachers):
    first, second, alternate = propose(county_admin, project, teachers[:2], teachers[2:3])
    services.nomination_return(actor=institution_staff, nomination=first, reason="联系不上")
    new = services.nomination_substitute(actor=county_admin, nomination=first, alternate=alternate)
    first.refresh_from_db()
    assert first.status == "substituted" and new.pk == alternate.pk and not new.is_alternate
    assert new.substitute_for == first
    # A county may also replace with another eligible teacher directly.
    services.nomination_return(actor=institution_staff, nomination=second, reason="已退休")
    other = services.nomination_substitute(actor=county_admin, nomination=second, teacher_id=teachers[4].pk)
    assert other.substitute_for_id == second.pk and other.status == "proposed"
    assert Nomination.objects.filter(project=project, is_alternate=False,
                                     status__in=["proposed", "confirmed"]).count() == 2
    with pytest.raises(ValidationError):
        services.nomination_substitute(actor=county_admin, nomination=first, teacher_id=teachers[3].pk)
