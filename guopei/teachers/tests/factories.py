"""Factories for teachers and their history; ID numbers are checksum-valid and encrypted as the services do."""

from __future__ import annotations

import itertools
from datetime import date

import factory

from guopei.core.pii import pii_encrypt, pii_hash
from guopei.orgs.models import School
from guopei.teachers.id_numbers import make_id_number
from guopei.teachers.models import IntegrityEntry, Participation, Teacher, ban_end
from guopei.teachers.names import name_pinyin

_sequence = itertools.count(1)


def next_id_number(address: str = "140105", birth: date = date(1985, 6, 1), gender: str = "M") -> str:
    n = next(_sequence) % 500
    return make_id_number(address, birth, n * 2 + (1 if gender == "M" else 0))


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teacher
        exclude = ("plain_id", "plain_phone")

    name = factory.Sequence(lambda n: f"王老师{chr(0x4E00 + n % 2000)}")
    name_pinyin = factory.LazyAttribute(lambda o: name_pinyin(o.name))
    gender = "M"
    birth_date = date(1985, 6, 1)
    plain_id = factory.LazyAttribute(lambda o: next_id_number(o.school.region_code, o.birth_date, o.gender))
    plain_phone = factory.Sequence(lambda n: f"138{n:08d}")
    id_number = factory.LazyAttribute(lambda o: pii_encrypt(o.plain_id))
    id_hash = factory.LazyAttribute(lambda o: pii_hash(o.plain_id))
    phone = factory.LazyAttribute(lambda o: pii_encrypt(o.plain_phone))
    phone_hash = factory.LazyAttribute(lambda o: pii_hash(o.plain_phone))
    school = factory.LazyFunction(lambda: School.objects.filter(region_code="140105").first())
    segment = factory.LazyAttribute(lambda o: o.school.kind)
    subject = "语文"
    post = "teacher"
    first_employed_on = date(2008, 9, 1)


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    teacher = factory.SubFactory(TeacherFactory)
    year = 2018
    project_name = factory.Sequence(lambda n: f"国培计划项目{n}")
    institution_name = "山西师范大学"
    result = Participation.Result.COMPLETED
    hours = 60


class IntegrityEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntegrityEntry

    teacher = factory.SubFactory(TeacherFactory)
    kind = IntegrityEntry.Kind.NO_SHOW
    event_date = date(2019, 6, 1)
    ban_until = factory.LazyAttribute(lambda o: ban_end(o.event_date))
    source = "测试"
