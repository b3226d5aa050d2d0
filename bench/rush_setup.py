"""Build (or reset) the rush world: 20 offerings × 40 seats open now, 500 teachers with API tokens.

    DJANGO_SETTINGS_MODULE=bench.rush_settings python manage.py migrate
    python bench/rush_setup.py [--teachers 500 --offerings 20 --seats 40]

Writes bench/out/rush_world.json (tokens and offering ids) for the load generator. Running it again keeps the
people and empties the offerings (seats, enrolments, counts) so every run starts from the same state.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MARK = "（压测）"
PING_WRITE_TABLE = "bench_ping_write"  # /bench/ping-write/'s table (bench/rush_urls.py): one column, no index


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.rush_settings")
    import django

    django.setup()


def build(teachers: int, offerings: int, seats: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from guopei.core.models import AuditEvent
    from guopei.delivery import services
    from guopei.delivery.models import Enrolment, Offering, Seat, TrainingClass
    from guopei.delivery.tests.factories import awarded_project, make_class
    from guopei.orgs.models import Institution, Membership, Region, School, User
    from guopei.orgs.tests.factories import make_user
    from guopei.teachers.models import Teacher
    from guopei.teachers.tests.factories import TeacherFactory
    from guopei.tenders.models import Award

    role = Membership.Role
    institution, _ = Institution.objects.get_or_create(name=f"山西师范大学{MARK}", defaults={
        "kind": Institution.Kind.UNIVERSITY, "region_id": "140100"})
    staff = User.objects.filter(username="rush_staff").first()
    if staff is None:
        staff = make_user(role.INSTITUTION_STAFF, "140100", institution=institution, username="rush_staff")
        province = make_user(role.PROVINCE_ADMIN, "140000", username="rush_province")
        finance = make_user(role.PROVINCE_FINANCE, "140000", username="rush_finance")
        project = awarded_project(province, finance, institution, staff, year=2031)
    else:
        project = Award.objects.filter(institution=institution).select_related("project").first().project
    klasses = list(TrainingClass.objects.filter(institution=institution).order_by("pk"))
    start = date(2031, 9, 1)
    while len(klasses) < offerings:
        klasses.append(make_class(project, staff, capacity=seats,
                                  start=start, end=start + timedelta(days=9), sessions=False,
                                  name=f"选学班{len(klasses) + 1:02d}{MARK}"))
    school, _ = School.objects.get_or_create(code="1401059990", defaults={
        "name": f"小店区压测小学{MARK}", "county": Region.objects.get(code="140105"), "kind": School.Kind.PRIMARY,
        "location": School.Location.URBAN})
    existing = Teacher.objects.filter(school=school).count()
    for n in range(existing, teachers):
        user = make_user(role.TEACHER, school=school, username=f"rush_t{n:04d}")
        TeacherFactory(school=school, user=user, name=f"压测教师{n:04d}")
    now = timezone.now()
    with transaction.atomic():
        ids = []
        for klass in klasses[:offerings]:
            Enrolment.objects.filter(klass=klass).delete()
            offering = Offering.objects.filter(klass=klass).first()
            if offering is None:
                offering = services.offering_create(actor=staff, klass=klass, data=services.OfferingInput(
                    title=klass.name, capacity=seats, opens_at=now - timedelta(minutes=1),
                    closes_at=now + timedelta(hours=6), region_code="140000"))
            Seat.objects.filter(offering=offering).delete()
            Offering.objects.filter(pk=offering.pk).update(taken=0, status="open", round=1, capacity=seats,
                                                           opens_at=now - timedelta(minutes=1),
                                                           closes_at=now + timedelta(hours=6))
            ids.append(offering.pk)
    tokens = [Token.objects.get_or_create(user=t.user)[0].key
              for t in Teacher.objects.filter(school=school).select_related("user").order_by("pk")[:teachers]]
    staff_token = Token.objects.get_or_create(user=staff)[0].key
    # API tokens expire (API_TOKEN_TTL_HOURS): every run starts with tokens issued now.
    Token.objects.filter(key__in=[*tokens, staff_token]).update(created=now)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {PING_WRITE_TABLE} (at integer)")
        cursor.execute(f"DELETE FROM {PING_WRITE_TABLE}")
        if connection.vendor == "postgresql":
            # Every phase starts from tables without the last phase's deleted rows, as autovacuum would leave them
            # on a server where it runs (it may be off on a benchmark machine: then nothing else removes them, and
            # each run's seats, enrolments and counts pile up as dead rows that every take's index scans step
            # over).
            tables = [Seat, Enrolment, Offering, AuditEvent, Teacher, Token]
            cursor.execute("VACUUM (ANALYZE) " + ", ".join([*(model._meta.db_table for model in tables),
                                                            PING_WRITE_TABLE]))
    world = {"offerings": ids, "tokens": tokens, "staff_token": staff_token, "seats": seats}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "rush_world.json").write_text(json.dumps(world))
    return {"offerings": len(ids), "seats": seats * len(ids), "teachers": len(tokens)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=500)
    parser.add_argument("--offerings", type=int, default=20)
    parser.add_argument("--seats", type=int, default=40)
    args = parser.parse_args()
    setup()
    print(json.dumps(build(args.teachers, args.offerings, args.seats), ensure_ascii=False))


if __name__ == "__main__":
    main()
