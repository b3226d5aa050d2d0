"""A signed contract names its lead as the institution that receives the project's nominees (MGMT-5).

The tender stage announces the signing (`tenders.signals.contract_signed`); the teacher database answers it in
the same transaction. The province's manual assignment keeps working beside it.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from guopei.core.models import AuditEvent
from guopei.orgs.tests.factories import InstitutionFactory
from guopei.teachers import services as teacher_services
from guopei.teachers.models import IntakeAssignment
from guopei.tenders import services
from guopei.tenders.models import Award, Contract

from .factories import SIGNING, make_tender, run_to_award, staff_for, submit_bid


@pytest.fixture
def consortium_award(lot, province_admin, institution, staff, remote, experts):
    """A consortium (lead + the remote-listed partner that runs the workshop) wins the blended lot."""
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    submit_bid(tender, institution, staff=staff, partners=(remote,))
    return run_to_award(tender, province_admin, experts)


def intake_events():
    return AuditEvent.objects.filter(action="teachers.intake_assign")


def test_mgmt5_signed_contract_makes_its_lead_the_intake_not_the_partners(consortium_award, lot, province_admin,
                                                                          institution, staff, remote):
    contract = services.contract_sign(award=consortium_award, actor=province_admin, now=SIGNING)
    assert set(contract.members.values_list("institution", flat=True)) == {institution.pk, remote.pk}
    assignment = IntakeAssignment.objects.get(project=lot)
    assert assignment.institution == institution and assignment.assigned_by == province_admin
    (event,) = intake_events()
    assert event.actor == province_admin and event.object_id == str(assignment.pk)
    assert event.detail == {"project": lot.pk, "institution": institution.pk, "county": None,
                            "source": "contract", "contract": contract.code}
    # The lead's staff may now confirm or return the county's nominees; the partner's may not.
    assert teacher_services.can_receive(staff, lot)
    assert not teacher_services.can_receive(staff_for(remote), lot)


def test_mgmt5_finance_officer_signing_also_names_the_intake(lot, province_admin, finance_officer, institution,
                                                             staff, remote, experts):
    """The finance officer may sign (with an overspend override); the manual path's province-only rule does not
    stand in the way of the automatic one."""
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    submit_bid(tender, institution, staff=staff, partners=(remote,), price="450000")
    award = run_to_award(tender, province_admin, experts)
    services.contract_sign(award=award, actor=finance_officer, override_reason="省级追加经费已批复", now=SIGNING)
    assignment = IntakeAssignment.objects.get(project=lot)
    assert assignment.institution == institution and assignment.assigned_by == finance_officer


def test_mgmt5_intake_from_contract_is_idempotent_and_keeps_the_manual_assignment(consortium_award, lot,
                                                                                  province_admin, institution):
    manual = teacher_services.intake_assign(actor=province_admin, project=lot, institution=institution)
    other = teacher_services.intake_assign(actor=province_admin, project=lot, institution=InstitutionFactory())
    contract = services.contract_sign(award=consortium_award, actor=province_admin, now=SIGNING)
    assert set(IntakeAssignment.objects.filter(project=lot)) == {manual, other}
    assert intake_events().count() == 2  # the two manual ones; the contract found its lead already there
    assert teacher_services.intake_assign_from_contract(contract=contract, actor=province_admin) == manual
    assert intake_events().count() == 2
    # The province can still remove and re-add by hand.
    teacher_services.intake_unassign(actor=province_admin, assignment=other)
    assert list(IntakeAssignment.objects.filter(project=lot)) == [manual]


def test_mgmt5_continuation_contract_names_the_2019_institution(continuing, province_admin):
    """TENDER-1: a project continuing from 2019 is contracted to its 2019 institution at once."""
    award = services.award_continuation(project=continuing, actor=province_admin, amount="100000", now=SIGNING)
    assignment = IntakeAssignment.objects.get(project=continuing)
    assert assignment.institution.name == "太原师范学院"
    assert intake_events().get().detail["contract"] == award.contract.code


def test_mgmt5_a_failing_intake_undoes_the_signing(consortium_award, lot, province_admin, monkeypatch):
    """The intake is written in the signing transaction: if it fails, no contract, commitment or intake stays."""
    def broken(**kwargs):
        raise RuntimeError("intake unavailable")

    monkeypatch.setattr(teacher_services, "intake_assign_from_contract", broken)
    with pytest.raises(RuntimeError):
        services.contract_sign(award=consortium_award, actor=province_admin, now=SIGNING)
    consortium_award.refresh_from_db()
    assert consortium_award.status == Award.Status.STANDSTILL
    assert not Contract.objects.exists() and not lot.commitments.exists()
    assert not IntakeAssignment.objects.exists()
    assert not AuditEvent.objects.filter(action="tenders.contract_sign").exists()


def test_mgmt5_it20_contract_receives_only_its_own_countys_nominees(it20, province_admin, experts, county_admin):
    """TENDER-1/2: each IT 2.0 project county is its own lot; its institution receives that county's nominees
    and neither sees nor decides another county's."""
    from guopei.orgs.tests.factories import SchoolFactory
    from guopei.teachers.models import Nomination
    from guopei.teachers.selectors import nominations_for_user
    from guopei.teachers.tests.factories import TeacherFactory

    from .test_awards import _it20_award

    xiaodian, yingze = InstitutionFactory(name="小店区承训机构"), InstitutionFactory(name="迎泽区承训机构")
    for n, (code, winner) in enumerate((("140105", xiaodian), ("140106", yingze))):
        award = _it20_award(it20, province_admin, code, winner, experts, n)
        services.contract_sign(award=award, actor=province_admin, now=SIGNING)
    assert {(a.institution, a.county_id) for a in IntakeAssignment.objects.filter(project=it20)} == {
        (xiaodian, "140105"), (yingze, "140106")}
    nominations = {
        code: Nomination.objects.create(project=it20, teacher=TeacherFactory(school=SchoolFactory(county_id=code)),
                                        county_id=code, proposed_by=county_admin)
        for code in ("140105", "140106")}
    xiaodian_staff, yingze_staff = staff_for(xiaodian), staff_for(yingze)
    assert list(nominations_for_user(xiaodian_staff)) == [nominations["140105"]]
    assert list(nominations_for_user(yingze_staff)) == [nominations["140106"]]
    assert teacher_services.can_receive(xiaodian_staff, it20, "140105")
    assert not teacher_services.can_receive(xiaodian_staff, it20, "140106")
    with pytest.raises(PermissionDenied):
        teacher_services.nomination_confirm(actor=xiaodian_staff, nomination=nominations["140106"])
    confirmed = teacher_services.nomination_confirm(actor=yingze_staff, nomination=nominations["140106"])
    assert confirmed.status == Nomination.Status.CONFIRMED
    # A project-wide assignment by the province (no county) covers every county again.
    teacher_services.intake_assign(actor=province_admin, project=it20, institution=xiaodian)
    assert set(nominations_for_user(xiaodian_staff)) == set(nominations.values())
