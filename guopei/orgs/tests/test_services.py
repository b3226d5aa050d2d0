"""Services for organisations, accounts and memberships: every rule, MGMT-1 and MGMT-2 by name."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from guopei.core.models import AuditEvent
from guopei.orgs import services
from guopei.orgs.models import DevelopmentCentre, Expert, Institution, Membership, Region, School, User
from guopei.orgs.services import OrgsError
from guopei.orgs.tests.factories import ExpertFactory, InstitutionFactory, SchoolFactory, make_user

pytestmark = pytest.mark.django_db

Role = Membership.Role
GOOD_PASSWORD = "Jinzhong-Teach-2020"


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


@contextmanager
def refused(code: str):
    """Expect the service to refuse with the coded error `code`."""
    with pytest.raises(OrgsError) as info:
        yield info
    assert info.value.code == code, f"expected {code}, got {info.value.code}"


def school_kwargs(**overrides):
    values = {"name": "小店区第三小学", "code": "1401050301", "county": region("140105"), "kind": School.Kind.PRIMARY,
              "location": School.Location.URBAN, "is_public": True}
    values.update(overrides)
    return values


# --- Schools -----------------------------------------------------------------------------------------------


def test_mgmt2_county_admin_creates_school_in_own_county_audited(county_admin):
    school = services.school_create(actor=county_admin, **school_kwargs())
    assert school.region_code == "140105"
    [event] = events("orgs.school_create")
    assert event.actor == county_admin
    assert event.role == Role.COUNTY_ADMIN
    assert event.region_code == "140105"
    assert event.object_id == str(school.pk)
    assert event.detail["code"] == "1401050301"


def test_county_admin_cannot_create_school_in_other_county(county_admin):
    with refused(services.REGION_OUT_OF_REACH):
        services.school_create(actor=county_admin, **school_kwargs(county=region("140213"), code="1402130301"))
    assert not School.objects.exists()
    assert not events("orgs.school_create")


def test_city_admin_creates_school_in_any_county_of_its_city(city_admin):
    school = services.school_create(actor=city_admin, **school_kwargs(county=region("140106"), code="1401060001"))
    assert school.county_id == "140106"
    with refused(services.REGION_OUT_OF_REACH):
        services.school_create(actor=city_admin, **school_kwargs(county=region("140213"), code="1402130001"))


@pytest.mark.parametrize("persona", ["finance_officer", "teacher_user", "school_admin", "institution_staff"])
def test_roles_without_editing_rights_cannot_create_schools(persona, request):
    actor = request.getfixturevalue(persona)
    with refused(services.NOT_ALLOWED):
        services.school_create(actor=actor, **school_kwargs(code="1401050999"))


@pytest.mark.parametrize("code", ["140105030", "14010503011", "14010503O1", ""])
def test_school_code_must_be_ten_digits(county_admin, code):
    with refused(services.SCHOOL_CODE_INVALID):
        services.school_create(actor=county_admin, **school_kwargs(code=code))


def test_school_code_is_unique(county_admin):
    SchoolFactory(code="1401050301")
    with refused(services.SCHOOL_CODE_TAKEN):
        services.school_create(actor=county_admin, **school_kwargs())


def test_school_county_must_be_a_county(city_admin):
    with refused(services.COUNTY_REQUIRED):
        services.school_create(actor=city_admin, **school_kwargs(county=region("140100")))


def test_school_update_records_what_changed(county_admin, school):
    services.school_update(actor=county_admin, school=school, name="小店区示范小学（北校区）", code=school.code,
                           county=school.county, kind=school.kind, location=School.Location.URBAN,
                           is_public=True)
    school.refresh_from_db()
    assert school.name == "小店区示范小学（北校区）"
    [event] = events("orgs.school_update")
    assert event.detail["changed"]["name"] == ["小店区示范小学", "小店区示范小学（北校区）"]
    assert event.detail["changed"]["location"] == ["rural", "urban"]


def test_school_update_without_changes_writes_nothing(county_admin, school):
    services.school_update(actor=county_admin, school=school, name=school.name, code=school.code,
                           county=school.county, kind=school.kind, location=school.location,
                           is_public=school.is_public)
    assert not events("orgs.school_update")


def test_school_cannot_be_moved_out_of_the_county_admins_reach(county_admin, school):
    with refused(services.REGION_OUT_OF_REACH):
        services.school_update(actor=county_admin, school=school, name=school.name, code=school.code,
                               county=region("140213"), kind=school.kind, location=school.location,
                               is_public=True)
    school.refresh_from_db()
    assert school.region_code == "140105"


def test_other_county_admin_cannot_update_school(other_county_admin, school):
    with refused(services.REGION_OUT_OF_REACH):
        services.school_update(actor=other_county_admin, school=school, name="改名", code=school.code,
                               county=school.county, kind=school.kind, location=school.location, is_public=True)


def test_city_admin_moves_school_between_its_counties(city_admin, school):
    services.school_update(actor=city_admin, school=school, name=school.name, code=school.code,
                           county=region("140106"), kind=school.kind, location=school.location, is_public=True)
    school.refresh_from_db()
    assert school.region_code == "140106"
    assert events("orgs.school_update")[0].detail["from_region"] == "140105"


# --- Institutions ------------------------------------------------------------------------------------------


def institution_kwargs(**overrides):
    values = {"name": "晋城职业技术学院", "kind": Institution.Kind.UNIVERSITY, "in_province": True,
              "region": region("140500"), "on_remote_list": False, "remote_list_since": None}
    values.update(overrides)
    return values


def test_province_admin_creates_institution_on_remote_list(province_admin):
    institution = services.institution_create(
        actor=province_admin,
        **institution_kwargs(name="中国教师研修网", kind=Institution.Kind.REMOTE, in_province=False, region=None,
                             on_remote_list=True, remote_list_since=2013),
    )
    assert institution.on_remote_list and institution.remote_list_since == 2013
    assert institution.region_code == ""
    [event] = events("orgs.institution_create")
    assert event.detail["remote_list_since"] == 2013


@pytest.mark.parametrize("persona", ["finance_officer", "city_admin", "county_admin", "institution_staff"])
def test_only_province_admin_manages_institutions(persona, request):
    with refused(services.NOT_ALLOWED):
        services.institution_create(actor=request.getfixturevalue(persona), **institution_kwargs())


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"on_remote_list": True, "remote_list_since": None}, services.REMOTE_SINCE_REQUIRED),
        ({"on_remote_list": False, "remote_list_since": 2015}, services.REMOTE_SINCE_WITHOUT_LIST),
        ({"on_remote_list": True, "remote_list_since": 1999}, services.REMOTE_SINCE_RANGE),
        ({"on_remote_list": True, "remote_list_since": 2999}, services.REMOTE_SINCE_RANGE),
        ({"in_province": True, "region": None}, services.INSTITUTION_REGION_REQUIRED),
        ({"in_province": False}, services.INSTITUTION_REGION_OUTSIDE),
        ({"name": "  "}, services.NAME_REQUIRED),
    ],
)
def test_inconsistent_institution_is_refused(province_admin, overrides, code):
    with refused(code):
        services.institution_create(actor=province_admin, **institution_kwargs(**overrides))
    assert not Institution.objects.exists()


def test_institution_name_is_unique(province_admin, institution):
    with refused(services.INSTITUTION_NAME_TAKEN):
        services.institution_create(actor=province_admin, **institution_kwargs(name=institution.name))


def test_institution_update_puts_it_on_the_remote_list(province_admin, institution):
    services.institution_update(actor=province_admin, institution=institution, name=institution.name,
                                kind=institution.kind, in_province=True, region=region("141000"),
                                on_remote_list=True, remote_list_since=2016)
    institution.refresh_from_db()
    assert institution.region_code == "141000"
    assert institution.remote_list_since == 2016
    [event] = events("orgs.institution_update")
    assert event.detail["changed"]["on_remote_list"] == [False, True]
    assert event.detail["changed"]["region"] == ["140100", "141000"]


# --- Development centres (MGMT-2) ----------------------------------------------------------------------------


def test_mgmt2_county_admin_records_then_updates_development_centre(county_admin):
    centre = services.development_centre_upsert(actor=county_admin, county=region("140105"), name="小店区教师发展中心",
                                                director="李华")
    again = services.development_centre_upsert(actor=county_admin, county=region("140105"), name="小店区教师发展中心",
                                               director="王芳")
    assert again.pk == centre.pk
    assert DevelopmentCentre.objects.get().director == "王芳"
    assert len(events("orgs.development_centre_create")) == 1
    assert events("orgs.development_centre_update")[0].detail["changed"] == {"director": ["李华", "王芳"]}
    services.development_centre_upsert(actor=county_admin, county=region("140105"), name="小店区教师发展中心",
                                       director="王芳")
    assert len(events("orgs.development_centre_update")) == 1


def test_development_centre_outside_reach_is_refused(county_admin, city_admin):
    with refused(services.REGION_OUT_OF_REACH):
        services.development_centre_upsert(actor=county_admin, county=region("140213"), name="平城区教师发展中心")
    with refused(services.COUNTY_REQUIRED):
        services.development_centre_upsert(actor=city_admin, county=region("140100"), name="太原市教师发展中心")
    assert not DevelopmentCentre.objects.exists()


# --- Experts ------------------------------------------------------------------------------------------------


def test_province_admin_adds_expert_with_conflicts(province_admin, institution, expert_user):
    other = InstitutionFactory(name="忻州师范学院")
    expert = services.expert_create(actor=province_admin, name="贾文斌", employer="山西大学", field="教师教育",
                                    title="教授", institutions=[institution, other], user=expert_user)
    assert set(expert.institutions.all()) == {institution, other}
    assert expert.user == expert_user
    [event] = events("orgs.expert_create")
    assert event.detail["institutions"] == sorted([institution.pk, other.pk])


def test_expert_account_must_hold_the_expert_role(province_admin, teacher_user):
    with refused(services.EXPERT_USER_NOT_EXPERT):
        services.expert_create(actor=province_admin, name="张三", employer="山西大学", user=teacher_user)


def test_expert_account_links_to_one_expert(province_admin, expert_user):
    ExpertFactory(user=expert_user)
    with refused(services.EXPERT_USER_TAKEN):
        services.expert_create(actor=province_admin, name="张三", employer="山西大学", user=expert_user)


def test_expert_update_replaces_conflict_links(province_admin, institution):
    other = InstitutionFactory(name="长治学院")
    expert = ExpertFactory()
    expert.institutions.set([institution])
    services.expert_update(actor=province_admin, expert=expert, name=expert.name, employer="长治学院",
                           field=expert.field, title="副教授", institutions=[other], user=None, is_active=True)
    assert list(Expert.objects.get().institutions.all()) == [other]
    changed = events("orgs.expert_update")[0].detail["changed"]
    assert changed["institutions"] == [[institution.pk], [other.pk]]
    assert changed["employer"] == ["山西师范大学", "长治学院"]


@pytest.mark.parametrize("persona", ["finance_officer", "city_admin", "expert_user"])
def test_only_province_admin_manages_experts(persona, request):
    with refused(services.NOT_ALLOWED):
        services.expert_create(actor=request.getfixturevalue(persona), name="张三", employer="山西大学")


# --- Accounts: who may manage whom (MGMT-1, MGMT-2) ----------------------------------------------------------


def create_account(actor, role, **place):
    return services.account_create(actor=actor, username=f"new_{role}", full_name="新同事", password=GOOD_PASSWORD,
                                   role=role, **place)


def test_mgmt1_city_admin_cannot_grant_province_role(city_admin):
    for role in (Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.CITY_ADMIN, Role.INSTITUTION_STAFF, Role.EXPERT):
        with refused(services.ROLE_NOT_GRANTABLE):
            create_account(city_admin, role, region=region("140100"))
    assert not User.objects.filter(username__startswith="new_").exists()


def test_mgmt1_province_admin_grants_every_level(province_admin, school, institution):
    places = {
        Role.PROVINCE_ADMIN: {}, Role.PROVINCE_FINANCE: {}, Role.EXPERT: {},
        Role.CITY_ADMIN: {"region": region("140200")}, Role.COUNTY_ADMIN: {"region": region("140213")},
        Role.SCHOOL_ADMIN: {"school": school}, Role.INSTITUTION_STAFF: {"institution": institution},
    }
    for role, place in places.items():
        user = create_account(province_admin, role, **place)
        assert user.memberships.get().role == role
    assert User.objects.get(username="new_province_admin").memberships.get().region_code == "140000"
    assert User.objects.get(username="new_institution_staff").memberships.get().region_code == "140100"
    assert len(events("orgs.account_create")) == len(places)


def test_mgmt1_each_level_grants_only_the_levels_below(city_admin, county_admin, school_admin, school):
    assert services.grantable_roles_for(city_admin) == [Role.COUNTY_ADMIN, Role.SCHOOL_ADMIN]
    assert services.grantable_roles_for(county_admin) == [Role.SCHOOL_ADMIN, Role.TEACHER]
    assert services.grantable_roles_for(school_admin) == [Role.TEACHER]
    with refused(services.ROLE_NOT_GRANTABLE):
        create_account(city_admin, Role.TEACHER, school=school)
    with refused(services.ROLE_NOT_GRANTABLE):
        create_account(county_admin, Role.COUNTY_ADMIN, region=region("140105"))
    with refused(services.ROLE_NOT_GRANTABLE):
        create_account(school_admin, Role.SCHOOL_ADMIN, school=school)


def test_mgmt1_teacher_expert_and_institution_staff_manage_no_accounts(teacher_user, expert_user, institution_staff,
                                                                       school):
    for actor in (teacher_user, expert_user, institution_staff):
        assert services.grantable_roles_for(actor) == []
        with refused(services.ROLE_NOT_GRANTABLE):
            create_account(actor, Role.TEACHER, school=school)


def test_mgmt2_county_admin_manages_school_admins_of_own_county(county_admin, school, other_school):
    user = create_account(county_admin, Role.SCHOOL_ADMIN, school=school)
    membership = user.memberships.get()
    assert membership.school == school and membership.region_code == "140105"
    [event] = events("orgs.account_create")
    assert event.role == Role.COUNTY_ADMIN and event.region_code == "140105"
    with refused(services.PLACE_OUT_OF_REACH):
        services.account_create(actor=county_admin, username="pc_head", full_name="外县校长",
                                password=GOOD_PASSWORD, role=Role.SCHOOL_ADMIN, school=other_school)
    assert not User.objects.filter(username="pc_head").exists()


def test_mgmt2_city_admin_appoints_county_admins_only_in_own_city(city_admin):
    user = create_account(city_admin, Role.COUNTY_ADMIN, region=region("140106"))
    assert user.memberships.get().region_code == "140106"
    with refused(services.PLACE_OUT_OF_REACH):
        services.account_create(actor=city_admin, username="pc2", full_name="外市县管", password=GOOD_PASSWORD,
                                role=Role.COUNTY_ADMIN, region=region("140213"))


def test_mgmt2_school_admin_manages_teachers_of_own_school_only(school_admin, school):
    neighbour = SchoolFactory(county_id="140105")
    teacher = create_account(school_admin, Role.TEACHER, school=school)
    assert teacher.memberships.get().school == school
    with refused(services.PLACE_OUT_OF_REACH):
        services.account_create(actor=school_admin, username="t2", full_name="邻校教师", password=GOOD_PASSWORD,
                                role=Role.TEACHER, school=neighbour)


@pytest.mark.parametrize(
    ("role", "place", "code"),
    [
        (Role.COUNTY_ADMIN, {"region": "140100"}, services.ROLE_NEEDS_COUNTY),
        (Role.COUNTY_ADMIN, {}, services.ROLE_NEEDS_COUNTY),
        (Role.CITY_ADMIN, {"region": "140105"}, services.ROLE_NEEDS_CITY),
        (Role.SCHOOL_ADMIN, {}, services.ROLE_NEEDS_SCHOOL),
        (Role.INSTITUTION_STAFF, {}, services.ROLE_NEEDS_INSTITUTION),
        ("dean", {}, services.ROLE_NOT_GRANTABLE),
    ],
)
def test_membership_place_must_fit_the_role(province_admin, role, place, code):
    with refused(code):
        create_account(province_admin, role, **{k: region(v) for k, v in place.items()})


def test_account_create_validates_username_name_and_password(county_admin, school):
    def attempt(**overrides):
        values = {"username": "liming", "full_name": "李明", "password": GOOD_PASSWORD}
        values.update(overrides)
        return services.account_create(actor=county_admin, role=Role.TEACHER, school=school, **values)

    with refused(services.PASSWORD_INVALID) as info:
        attempt(password="Short-1")
    assert "12" in info.value.message
    with refused(services.PASSWORD_INVALID):
        attempt(password="123456789012345")
    with refused(services.PASSWORD_INVALID):
        attempt(password="password1234")
    with refused(services.USERNAME_INVALID):
        attempt(username="李 明")
    with refused(services.FULL_NAME_REQUIRED):
        attempt(full_name=" ")
    user = attempt()
    assert user.check_password(GOOD_PASSWORD)
    with refused(services.USERNAME_TAKEN):
        attempt(username="LiMing")
    assert User.objects.filter(username__iexact="liming").count() == 1


def test_account_create_audit_holds_no_password(county_admin, school):
    create_account(county_admin, Role.TEACHER, school=school)
    [event] = events("orgs.account_create")
    assert GOOD_PASSWORD not in str(event.detail)
    assert event.detail["role"] == Role.TEACHER


def test_membership_grant_adds_a_second_role(county_admin, teacher_user, school):
    membership = services.membership_grant(actor=county_admin, user=teacher_user, role=Role.SCHOOL_ADMIN,
                                           school=school)
    assert set(teacher_user.memberships.values_list("role", flat=True)) == {Role.TEACHER, Role.SCHOOL_ADMIN}
    [event] = events("orgs.membership_grant")
    assert event.object_id == str(membership.pk)
    with refused(services.MEMBERSHIP_EXISTS):
        services.membership_grant(actor=county_admin, user=teacher_user, role=Role.SCHOOL_ADMIN, school=school)


def test_membership_revoke_then_grant_reactivates(county_admin, teacher_user):
    membership = teacher_user.memberships.get()
    services.membership_revoke(actor=county_admin, membership=membership)
    membership.refresh_from_db()
    assert not membership.is_active
    assert events("orgs.membership_revoke")[0].detail["role"] == Role.TEACHER
    again = services.membership_grant(actor=county_admin, user=teacher_user, role=Role.TEACHER,
                                      school=membership.school)
    assert again.pk == membership.pk and again.is_active
    assert events("orgs.membership_grant")[0].detail["reactivated"] is True


def test_other_county_admin_cannot_revoke_or_grant(other_county_admin, teacher_user, other_school):
    with refused(services.ACCOUNT_NOT_MANAGED):
        services.membership_revoke(actor=other_county_admin, membership=teacher_user.memberships.get())
    with refused(services.ACCOUNT_NOT_MANAGED):
        services.membership_grant(actor=other_county_admin, user=teacher_user, role=Role.TEACHER,
                                  school=other_school)
    assert teacher_user.memberships.get().is_active


def test_account_holding_a_higher_role_is_not_managed_by_county(county_admin, school):
    person = make_user(Role.TEACHER, school=school)
    Membership.objects.create(user=person, role=Role.CITY_ADMIN, region_id="140200")
    assert not services.can_manage_account(county_admin, person)
    with refused(services.ACCOUNT_NOT_MANAGED):
        services.account_disable(actor=county_admin, user=person)
    # The teacher role itself is the county's to revoke.
    services.membership_revoke(actor=county_admin, membership=person.memberships.get(role=Role.TEACHER))


def test_nobody_manages_their_own_account(county_admin, province_admin):
    with refused(services.ACCOUNT_IS_SELF):
        services.account_disable(actor=province_admin, user=province_admin)
    with refused(services.ACCOUNT_IS_SELF):
        services.membership_revoke(actor=county_admin, membership=county_admin.memberships.get())


def test_account_disable_and_enable_audited(county_admin, teacher_user):
    services.account_disable(actor=county_admin, user=teacher_user, reason="调离本县")
    teacher_user.refresh_from_db()
    assert not teacher_user.is_active
    [event] = events("orgs.account_disable")
    assert event.detail == {"username": "teacher1", "reason": "调离本县"}
    assert event.region_code == "140105"
    services.account_disable(actor=county_admin, user=teacher_user)
    assert len(events("orgs.account_disable")) == 1
    services.account_enable(actor=county_admin, user=teacher_user)
    teacher_user.refresh_from_db()
    assert teacher_user.is_active
    assert len(events("orgs.account_enable")) == 1


def test_account_reset_password(school_admin, teacher_user):
    with refused(services.PASSWORD_INVALID):
        services.account_reset_password(actor=school_admin, user=teacher_user, password="abc")
    services.account_reset_password(actor=school_admin, user=teacher_user, password=GOOD_PASSWORD)
    teacher_user.refresh_from_db()
    assert teacher_user.check_password(GOOD_PASSWORD)
    [event] = events("orgs.account_reset_password")
    assert event.role == Role.SCHOOL_ADMIN
    assert GOOD_PASSWORD not in str(event.detail)


def test_city_admin_cannot_reset_teacher_password(city_admin, teacher_user):
    """MGMT-1: the city manages county and school administrators; teachers are the county's and school's."""
    with refused(services.ACCOUNT_NOT_MANAGED):
        services.account_reset_password(actor=city_admin, user=teacher_user, password=GOOD_PASSWORD)


def test_school_code_race_is_refused_not_crashed(county_admin, monkeypatch):
    """A code taken between the check and the insert still gives the coded error, not a server error."""
    SchoolFactory(code="1401050301")
    monkeypatch.setattr(services, "_check_school_code", lambda code, exclude_pk=None: None)
    monkeypatch.setattr(School, "full_clean", lambda self, *a, **k: None)
    with refused(services.SCHOOL_CODE_TAKEN):
        services.school_create(actor=county_admin, **school_kwargs())
    assert School.objects.count() == 1
