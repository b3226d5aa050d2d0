"""Institution and expert-pool pages: three personas each, scoped lists, bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guopei.orgs.models import Expert, Institution, Membership
from guopei.orgs.tests.factories import ExpertFactory, InstitutionFactory, make_user

pytestmark = pytest.mark.django_db

Role = Membership.Role


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def rival(db):
    return InstitutionFactory(name="运城学院")


@pytest.fixture
def rival_staff(rival):
    return make_user(Role.INSTITUTION_STAFF, "140800", institution=rival, username="rival_staff")


# --- Institutions ----------------------------------------------------------------------------------------


def test_institution_list_for_province_shows_all(client, province_admin, institution, rival):
    response = get(client, province_admin, reverse("orgs:institution_list"))
    assert response.status_code == 200
    assert institution.name in response.text and rival.name in response.text


def test_institution_staff_list_shows_only_own(client, institution_staff, institution, rival):
    response = get(client, institution_staff, reverse("orgs:institution_list"))
    assert institution.name in response.text
    assert rival.name not in response.text


def test_institution_list_forbidden_to_teacher(client, teacher_user):
    assert get(client, teacher_user, reverse("orgs:institution_list")).status_code == 403


def test_institution_list_filters_remote(client, county_admin, institution):
    remote = InstitutionFactory(name="中国教师研修网", kind=Institution.Kind.REMOTE, in_province=False, region=None,
                                on_remote_list=True, remote_list_since=2013)
    response = get(client, county_admin, reverse("orgs:institution_list") + "?remote=1")
    assert remote.name in response.text and "2013年起" in response.text
    assert institution.name not in response.text


def test_institution_list_query_count_does_not_grow(client, province_admin, django_assert_max_num_queries):
    InstitutionFactory.create_batch(30)
    client.force_login(province_admin)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("orgs:institution_list"))
    assert len(response.context["page"]) == 30


def test_institution_detail_own(client, institution_staff, institution):
    response = get(client, institution_staff, reverse("orgs:institution_detail", args=[institution.pk]))
    assert response.status_code == 200
    assert response.context["staff_count"] == 1
    assert response.context["linked_experts"] is None  # conflicts are the province's business


def test_institution_detail_of_a_competitor_is_404(client, rival_staff, institution):
    assert get(client, rival_staff, reverse("orgs:institution_detail", args=[institution.pk])).status_code == 404


def test_institution_detail_forbidden_to_teacher(client, teacher_user, institution):
    assert get(client, teacher_user, reverse("orgs:institution_detail", args=[institution.pk])).status_code == 403


def test_province_sees_conflicted_experts_on_institution(client, province_admin, institution):
    expert = ExpertFactory(name="裴丽华")
    expert.institutions.add(institution)
    response = get(client, province_admin, reverse("orgs:institution_detail", args=[institution.pk]))
    assert "裴丽华" in response.text


def test_province_admin_creates_and_edits_institution(client, province_admin):
    client.force_login(province_admin)
    assert client.get(reverse("orgs:institution_create")).status_code == 200
    response = client.post(reverse("orgs:institution_create"), {
        "name": "山西教师教育网", "kind": "remote", "in_province": "1", "region": "140100",
        "on_remote_list": "on", "remote_list_since": "2019",
    })
    institution = Institution.objects.get(name="山西教师教育网")
    assert response.status_code == 302
    assert institution.remote_list_since == 2019
    url = reverse("orgs:institution_edit", args=[institution.pk])
    assert client.get(url).context["form"].initial["remote_list_since"] == 2019
    response = client.post(url, {"name": "山西教师教育网", "kind": "remote", "in_province": "1", "region": "140100",
                                 "remote_list_since": "2019"})
    assert response.status_code == 200
    assert "未列入推荐名单的机构不能填写列入年份。" in response.text


def test_institution_create_forbidden_to_city_admin_and_finance(client, city_admin, finance_officer, institution):
    assert get(client, city_admin, reverse("orgs:institution_create")).status_code == 403
    assert get(client, finance_officer, reverse("orgs:institution_edit", args=[institution.pk])).status_code == 403


def test_institution_edit_forbidden_to_institution_staff(client, institution_staff, institution):
    assert get(client, institution_staff, reverse("orgs:institution_edit", args=[institution.pk])).status_code == 403


# --- Experts -----------------------------------------------------------------------------------------------


def test_expert_list_for_province(client, finance_officer, institution, django_assert_max_num_queries):
    for expert in ExpertFactory.create_batch(25):
        expert.institutions.add(institution)
    client.force_login(finance_officer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("orgs:expert_list"))
    assert response.status_code == 200
    assert institution.name in response.text
    assert reverse("orgs:expert_create") not in response.text  # finance reads, does not edit


def test_expert_list_forbidden_to_city_admin_and_expert(client, city_admin, expert_user):
    assert get(client, city_admin, reverse("orgs:expert_list")).status_code == 403
    assert get(client, expert_user, reverse("orgs:expert_list")).status_code == 403


def test_province_admin_adds_and_edits_expert(client, province_admin, institution, expert_user):
    client.force_login(province_admin)
    assert client.get(reverse("orgs:expert_create")).status_code == 200
    response = client.post(reverse("orgs:expert_create"), {
        "name": "贾文斌", "employer": "山西大学", "field": "教师教育", "title": "教授",
        "institutions": [institution.pk], "user": expert_user.pk, "is_active": "on",
    })
    assert response.status_code == 302
    expert = Expert.objects.get(name="贾文斌")
    assert list(expert.institutions.all()) == [institution]
    assert expert.user == expert_user
    url = reverse("orgs:expert_edit", args=[expert.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"name": "贾文斌", "employer": "山西大学", "field": "教师教育", "title": "教授"})
    expert.refresh_from_db()
    assert not expert.is_active and expert.user is None and not expert.institutions.exists()


def test_expert_edit_forbidden_to_finance(client, finance_officer):
    expert = ExpertFactory()
    assert get(client, finance_officer, reverse("orgs:expert_edit", args=[expert.pk])).status_code == 403
    assert get(client, finance_officer, reverse("orgs:expert_create")).status_code == 403


def test_expert_edit_unknown_is_404(client, province_admin):
    assert get(client, province_admin, reverse("orgs:expert_edit", args=[999999])).status_code == 404
