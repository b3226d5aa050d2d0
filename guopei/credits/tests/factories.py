"""Factories for hour records; evidence is a small real PDF so type checks pass."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from guopei.credits.models import HourRecord
from guopei.teachers.tests.factories import TeacherFactory

MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")


def pdf_upload(name: str = "结业证书.pdf") -> ContentFile:
    return ContentFile(MINIMAL_PDF, name=name)


class HourRecordFactory(factory.django.DjangoModelFactory):
    """An institution-submitted class record (no evidence needed), pending audit."""

    class Meta:
        model = HourRecord

    teacher = factory.SubFactory(TeacherFactory)
    region_code = factory.LazyAttribute(lambda o: o.teacher.region_code)
    year = 2020
    kind = HourRecord.Kind.NATIONAL
    origin = HourRecord.Origin.INSTITUTION
    title = factory.Sequence(lambda n: f"国培计划培训班{n}")
    source_ref = factory.Sequence(lambda n: f"test:{n}")
    theory_hours = Decimal("30.0")
    practice_hours = Decimal("20.0")
    submitted_by = factory.LazyAttribute(lambda o: o.teacher.user or _system_user())
    submitted_at = factory.LazyFunction(timezone.now)


def _system_user():
    from guopei.orgs.tests.factories import UserFactory

    return UserFactory()


def recognised(record: HourRecord, auditor) -> HourRecord:
    """Mark a record recognised directly (for tests that need totals, not the audit path)."""
    from guopei.credits.requirements import credits_for

    record.status = HourRecord.Status.RECOGNISED
    record.credits = credits_for(record.total_hours)
    record.decided_by = auditor
    record.decided_at = timezone.now()
    record.save()
    return record
