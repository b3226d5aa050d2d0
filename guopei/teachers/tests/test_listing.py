"""The teacher list's status filter: same rows, a fixed number of queries, served by the partial index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guopei.teachers.listing import keyset_page, status_q
from guopei.teachers.models import Teacher

from .factories import TeacherFactory


@pytest.fixture
def mixed(school):
    TeacherFactory.create_batch(6, school=school)
    retired = TeacherFactory.create_batch(3, school=school, status="retired")
    TeacherFactory.create_batch(2, school=school, status="left")
    return retired


def test_status_q_repeats_the_partial_index_condition_only_for_other_statuses():
    sql = str(Teacher.objects.filter(status_q("retired")).query)
    assert "NOT (" in sql and "= active" in sql
    assert "NOT (" not in str(Teacher.objects.filter(status_q("active")).query)


@pytest.mark.parametrize("status", ["active", "retired", "left", "transferred"])
def test_status_q_selects_the_same_teachers_as_a_plain_filter(mixed, status):
    assert set(Teacher.objects.filter(status_q(status))) == set(Teacher.objects.filter(status=status))


def test_partial_index_serves_a_rare_status_in_pinyin_order(mixed):
    qs = Teacher.objects.filter(status_q("retired")).order_by("name_pinyin", "pk")[:51]
    plan = qs.explain()
    if connection.vendor == "sqlite":
        # Without the repeated term SQLite cannot use the partial index (it does not infer the condition).
        assert "teacher_inactive_pinyin" in plan
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan
    page = keyset_page(Teacher.objects.filter(status_q("retired")))
    assert {t.pk for t in page.rows} == {t.pk for t in mixed} and page.count == 3


def test_status_filter_pages_use_the_same_number_of_queries(client, county_admin, school, mixed):
    client.force_login(county_admin)
    url = reverse("teachers:teacher_list")
    client.get(url)
    with CaptureQueriesContext(connection) as unfiltered:
        client.get(url)
    with CaptureQueriesContext(connection) as filtered:
        response = client.get(url, {"status": "retired"})
    assert len(filtered) == len(unfiltered)
    assert {t.pk for t in response.context["page"].rows} == {t.pk for t in mixed}
    TeacherFactory.create_batch(60, school=school, status="retired")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"status": "retired"})
    page = response.context["page"]
    assert len(many) == len(unfiltered) and len(page.rows) == 50 and page.next_cursor
    with CaptureQueriesContext(connection) as following:
        second = client.get(url, {"status": "retired", "after": page.next_cursor})
    assert len(following) == len(unfiltered) and len(second.context["page"].rows) == 13
