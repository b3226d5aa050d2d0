"""Account management pages (MGMT-1, MGMT-2): three personas each, forms limited to what the manager may grant."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guopei.core.models import AuditEvent
from guopei.orgs import services
from guopei.orgs.models import Membership, User
from guopei.orgs.tests.factories import SchoolFactory, make_user

pytestmark = pytest.mark.django_db

Role = Membership.Role
NEW_PASSWORD = "Yingze-Spring-2020"


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def other_teacher(other_school):
    return make_user(Role.TEACHER, school=other_school, username="pc_teacher")


# --- List ------------------------------------------------------------------------------------------------


def test_account_list_shows_own_county_accounts(client, county_admin, teacher_user, other_teacher):
    response = get(client, county_admin, reverse("orgs:account_list"))
    assert response.status_code == 200
    usernames = {u.username for u in response.context["page"]}
    assert "teacher1" in usernames
    assert "pc_teacher" not in usernames


def test_account_list_other_county(client, other_county_admin, teacher_user, other_teacher):
    response = get(client, other_county_admin, reverse("orgs:account_list"))
    assert {u.username for u in response.context["page"]} == {"pc_teacher"}


def test_account_list_forbidden_to_teacher_and_finance(client, teacher_user, finance_officer):
    assert get(client, teacher_user, reverse("orgs:account_list")).status_code == 403
    assert get(client, finance_officer, reverse("orgs:account_list")).status_code == 403


def test_account_list_query_count_does_not_grow(client, county_admin, school, django_assert_max_num_queries):
    for n in range(30):
        make_user(Role.TEACHER, school=school, username=f"t{n:02d}")
    client.force_login(county_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orgs:account_list"))
    assert len(response.context["page"]) == 30


def test_account_list_filters_disabled(client, county_admin, teacher_user, school):
    make_user(Role.TEACHER, school=school, username="still_here")
    teacher_user.is_active = False
    teacher_user.save()
    response = get(client, county_admin, reverse("orgs:account_list") + "?active=0")
    assert [u.username for u in response.context["page"]] == ["teacher1"]


# --- Create ----------------------------------------------------------------------------------------------


def test_mgmt1_create_form_offers_only_grantable_roles(client, city_admin, county_admin, school_admin):
    def choices(user, field):
        client.force_login(user)
        form = client.get(reverse("orgs:account_create")).context["form"]
        return [str(v) for v, _ in form.fields[field].choices if v] if field in form.fields else None

    assert choices(city_admin, "role") == [Role.COUNTY_ADMIN, Role.SCHOOL_ADMIN]
    assert choices(county_admin, "role") == [Role.SCHOOL_ADMIN, Role.TEACHER]
    assert choices(school_admin, "role") == [Role.TEACHER]
    assert choices(school_admin, "region") is None
    assert choices(county_admin, "institution") is None


def test_mgmt2_create_form_offers_only_places_in_reach(client, city_admin, county_admin, school, other_school):
    yingze = SchoolFactory(county_id="140106")
    client.force_login(county_admin)
    form = client.get(reverse("orgs:account_create")).context["form"]
    assert {int(str(v)) for v, _ in form.fields["school"].choices if v} == {school.pk}
    client.force_login(city_admin)
    form = client.get(reverse("orgs:account_create")).context["form"]
    assert {int(str(v)) for v, _ in form.fields["school"].choices if v} == {school.pk, yingze.pk}
    regions = {str(v) for v, _ in form.fields["region"].choices if v}
    assert "140105" in regions and "140100" in regions
    assert not any(code.startswith("1402") for code in regions)


def account_post(**overrides):
    data = {"username": "wangfang", "full_name": "王芳", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
            "role": Role.TEACHER}
    data.update(overrides)
    return data


def test_county_admin_opens_teacher_account(client, county_admin, school):
    client.force_login(county_admin)
    response = client.post(reverse("orgs:account_create"), account_post(school=school.pk))
    user = User.objects.get(username="wangfang")
    assert response.status_code == 302
    assert response.url == reverse("orgs:account_detail", args=[user.pk])
    assert user.memberships.get().school == school
    assert user.check_password(NEW_PASSWORD)


def test_create_refuses_school_outside_reach(client, county_admin, other_school):
    client.force_login(county_admin)
    response = client.post(reverse("orgs:account_create"), account_post(school=other_school.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["school"]
    assert not User.objects.filter(username="wangfang").exists()


def test_create_shows_password_and_role_errors(client, county_admin, school):
    client.force_login(county_admin)
    response = client.post(reverse("orgs:account_create"),
                           account_post(school=school.pk, password1="short", password2="short"))
    assert "密码不符合要求" in response.text
    response = client.post(reverse("orgs:account_create"),
                           account_post(school=school.pk, password2="something-else-2020"))
    assert "两次输入的密码不一致。" in response.text
    response = client.post(reverse("orgs:account_create"), account_post(role=Role.COUNTY_ADMIN, region="140105"))
    assert response.context["form"].errors["role"]
    assert not User.objects.filter(username="wangfang").exists()


def test_account_create_forbidden_to_teacher(client, teacher_user):
    assert get(client, teacher_user, reverse("orgs:account_create")).status_code == 403


# --- Detail and actions --------------------------------------------------------------------------------------


def test_account_detail_own_county(client, county_admin, teacher_user):
    response = get(client, county_admin, reverse("orgs:account_detail", args=[teacher_user.pk]))
    assert response.status_code == 200
    assert response.context["can_manage"] is True
    assert reverse("orgs:account_disable", args=[teacher_user.pk]) in response.text


def test_account_detail_other_county_is_404(client, other_county_admin, teacher_user):
    response = get(client, other_county_admin, reverse("orgs:account_detail", args=[teacher_user.pk]))
    assert response.status_code == 404


def test_account_detail_forbidden_to_expert(client, expert_user, teacher_user):
    assert get(client, expert_user, reverse("orgs:account_detail", args=[teacher_user.pk])).status_code == 403


def test_city_admin_sees_teacher_but_cannot_manage(client, city_admin, teacher_user):
    response = get(client, city_admin, reverse("orgs:account_detail", args=[teacher_user.pk]))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert reverse("orgs:account_disable", args=[teacher_user.pk]) not in response.text


def test_grant_and_revoke_through_the_page(client, county_admin, teacher_user, school):
    client.force_login(county_admin)
    response = client.post(reverse("orgs:account_grant", args=[teacher_user.pk]),
                           {"role": Role.SCHOOL_ADMIN, "school": school.pk})
    assert response.status_code == 302
    granted = teacher_user.memberships.get(role=Role.SCHOOL_ADMIN)
    response = client.post(reverse("orgs:membership_revoke", args=[teacher_user.pk, granted.pk]))
    assert response.status_code == 302
    granted.refresh_from_db()
    assert not granted.is_active


def test_grant_error_is_shown(client, county_admin, teacher_user, school):
    client.force_login(county_admin)
    response = client.post(reverse("orgs:account_grant", args=[teacher_user.pk]),
                           {"role": Role.TEACHER, "school": school.pk})
    assert response.status_code == 200
    assert "该账号已拥有这一角色。" in response.text


def test_actions_on_other_county_account_are_404(client, other_county_admin, teacher_user, school):
    client.force_login(other_county_admin)
    membership = teacher_user.memberships.get()
    for url in (
        reverse("orgs:account_grant", args=[teacher_user.pk]),
        reverse("orgs:membership_revoke", args=[teacher_user.pk, membership.pk]),
        reverse("orgs:account_disable", args=[teacher_user.pk]),
        reverse("orgs:account_enable", args=[teacher_user.pk]),
        reverse("orgs:account_reset_password", args=[teacher_user.pk]),
    ):
        assert client.post(url, {"role": Role.TEACHER, "school": school.pk}).status_code == 404, url
    teacher_user.refresh_from_db()
    assert teacher_user.is_active and teacher_user.memberships.get().is_active


def test_actions_forbidden_to_teacher(client, teacher_user, school):
    other = make_user(Role.TEACHER, school=school, username="colleague")
    client.force_login(teacher_user)
    assert client.post(reverse("orgs:account_disable", args=[other.pk])).status_code == 403


def test_actions_need_post(client, county_admin, teacher_user):
    client.force_login(county_admin)
    assert client.get(reverse("orgs:account_disable", args=[teacher_user.pk])).status_code == 405


def test_actions_need_csrf_token(county_admin, teacher_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_admin)
    assert client.post(reverse("orgs:account_disable", args=[teacher_user.pk])).status_code == 403
    teacher_user.refresh_from_db()
    assert teacher_user.is_active


def test_reset_password_through_the_page(client, school_admin, teacher_user):
    client.force_login(school_admin)
    url = reverse("orgs:account_reset_password", args=[teacher_user.pk])
    response = client.post(url, {"password1": "short", "password2": "short"})
    assert response.status_code == 200 and "密码不符合要求" in response.text
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    teacher_user.refresh_from_db()
    assert teacher_user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="orgs.account_reset_password").count() == 1


def test_disable_then_enable_through_the_page(client, county_admin, teacher_user):
    client.force_login(county_admin)
    client.post(reverse("orgs:account_disable", args=[teacher_user.pk]), {"reason": "退休"})
    teacher_user.refresh_from_db()
    assert not teacher_user.is_active
    assert AuditEvent.objects.get(action="orgs.account_disable").detail["reason"] == "退休"
    client.post(reverse("orgs:account_enable", args=[teacher_user.pk]))
    teacher_user.refresh_from_db()
    assert teacher_user.is_active


# --- Sessions end when the account is disabled or its password is reset ------------------------------------


def sign_in(client, username, password):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    assert client.get(reverse("home")).status_code == 200


def test_disabling_an_account_ends_its_open_session(client, county_admin, school):
    teacher = services.account_create(actor=county_admin, username="lihua", full_name="李华", password=NEW_PASSWORD,
                                      role=Role.TEACHER, school=school)
    sign_in(client, "lihua", NEW_PASSWORD)
    services.account_disable(actor=county_admin, user=teacher)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_resetting_a_password_ends_the_open_session(client, county_admin, school):
    teacher = services.account_create(actor=county_admin, username="lihua", full_name="李华", password=NEW_PASSWORD,
                                      role=Role.TEACHER, school=school)
    sign_in(client, "lihua", NEW_PASSWORD)
    services.account_reset_password(actor=county_admin, user=teacher, password="Another-Secret-2020")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
