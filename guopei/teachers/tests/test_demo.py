"""The demo builds the teacher world once; running it again changes nothing."""

from __future__ import annotations

import io

import pytest

from guopei.orgs import demo as orgs_demo
from guopei.teachers import demo
from guopei.teachers.id_numbers import parse_id_number
from guopei.teachers.models import IntegrityEntry, Participation, Teacher


@pytest.mark.django_db
def test_demo_builds_checksum_valid_teachers_idempotently():
    orgs_demo.build(io.StringIO())
    demo.build(io.StringIO())
    counts = (Teacher.objects.count(), Participation.objects.count(), IntegrityEntry.objects.count())
    assert counts[0] > 300 and counts[1] > 0 and counts[2] > 0
    teacher = Teacher.objects.get(user__username="jiaoshi")
    assert teacher.school.code == orgs_demo.DEMO_SCHOOL_CODE
    for t in Teacher.objects.filter(region_code="140105")[:50]:
        parsed = parse_id_number(t.id_number_plain)
        assert parsed.number[:6] == "140105" and parsed.gender == t.gender and parsed.birth_date == t.birth_date
        assert 1965 <= t.birth_date.year <= 1998
    out = io.StringIO()
    demo.build(out)
    assert (Teacher.objects.count(), Participation.objects.count(), IntegrityEntry.objects.count()) == counts
    assert "'teachers': 0" in out.getvalue()
