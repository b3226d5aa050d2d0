"""Documents delivery produces: the completion certificate (PDF) and the sending unit's participation report
(XLSX, TRAINEE-1)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string

from guopei.core.spreadsheets import write_xlsx

from .models import Attendance, Certificate, Enrolment, Session, TrainingClass

# WeasyPrint finds the font through fontconfig (Debian fonts-noto-cjk); without it Chinese prints as boxes.
CERTIFICATE_FONT = "Noto Sans CJK SC"


def mask_name(name: str) -> str:
    """张*明 for a three-character name, 李* for two, 欧阳** 娜 style for longer: first and last stay."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate as a PDF: the trainee, the class, the hours, the institution and the verification code."""
    from weasyprint import HTML

    enrolment = certificate.enrolment
    html = render_to_string("delivery/certificate_pdf.html", {
        "certificate": certificate, "enrolment": enrolment, "klass": enrolment.klass,
        "teacher": enrolment.teacher, "font": CERTIFICATE_FONT, "verify_url": verify_url,
    })
    return HTML(string=html).write_pdf()


REPORT_HEADERS = ["姓名", "选派单位", "班次", "状态", "出勤课次", "缺勤课次", "请假课次", "应出勤学时", "实到学时",
                  "其中理论学时", "其中实践学时", "出勤率（%）", "结业考核", "考核成绩", "结业证书编号", "成果应用考核"]


def participation_rows(klass: TrainingClass, enrolments: Any) -> list[list[Any]]:
    """One row per trainee: attendance by status, hours attended, the completion result and the certificate."""
    planned = klass.sessions.aggregate(h=Sum("hours"))["h"] or 0
    attended = Q(attendance__status__in=Attendance.ATTENDED)
    rows = (enrolments.select_related("teacher", "school", "certificate").annotate(
        n_attended=Count("attendance", filter=attended),
        n_absent=Count("attendance", filter=Q(attendance__status=Attendance.Status.ABSENT)),
        n_excused=Count("attendance", filter=Q(attendance__status=Attendance.Status.EXCUSED)),
        theory=Sum("attendance__session__hours",
                   filter=attended & Q(attendance__session__kind=Session.Kind.THEORY)),
        practice=Sum("attendance__session__hours",
                     filter=attended & Q(attendance__session__kind=Session.Kind.PRACTICE)),
    ).order_by("teacher__name_pinyin", "pk"))
    out = []
    for e in rows:
        hours = (e.theory or 0) + (e.practice or 0)
        rate = round(hours * 100 / planned, 1) if planned else 0
        certificate = getattr(e, "certificate", None)
        out.append([
            e.teacher.name, e.school.name, klass.name, e.get_status_display(), e.n_attended, e.n_absent, e.n_excused,
            planned, hours, e.theory or 0, e.practice or 0, rate, e.get_result_display(),
            float(e.score) if e.score is not None else "", certificate.code if certificate else "",
            e.get_application_rating_display() if e.application_rating else "",
        ])
    return out


def participation_report(klass: TrainingClass, school_id: int) -> bytes:
    enrolments = Enrolment.objects.filter(klass=klass, school_id=school_id).exclude(
        status=Enrolment.Status.CANCELLED)
    return write_xlsx(REPORT_HEADERS, participation_rows(klass, enrolments), sheet_name="参训情况")
