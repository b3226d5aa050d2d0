from django.urls import path

from . import views

app_name = "credits"
urlpatterns = [
    path("", views.index, name="index"),
    path("my/", views.my_transcript, name="my_transcript"),
    path("my/pdf/", views.my_transcript_pdf, name="my_transcript_pdf"),
    path("my/new/", views.record_create, name="record_create"),
    path("records/", views.record_list, name="record_list"),
    path("records/new/", views.school_record_create, name="school_record_create"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/evidence/", views.record_evidence, name="record_evidence"),
    path("records/<int:pk>/approve/", views.record_approve, name="record_approve"),
    path("records/<int:pk>/reject/", views.record_reject, name="record_reject"),
    path("classes/", views.class_list, name="class_list"),
    path("classes/<int:pk>/submit/", views.class_submit, name="class_submit"),
    path("queue/", views.audit_queue, name="audit_queue"),
    path("queue/approve/", views.audit_bulk_approve, name="audit_bulk_approve"),
    path("teachers/", views.teacher_totals, name="teacher_totals"),
    path("teachers/<int:pk>/", views.teacher_transcript, name="teacher_transcript"),
    path("teachers/<int:pk>/pdf/", views.teacher_transcript_pdf, name="teacher_transcript_pdf"),
    path("it20/", views.it20_overview, name="it20_overview"),
    path("it20/counties/<str:code>/", views.it20_county, name="it20_county"),
    path("it20/schools/<int:pk>/", views.it20_school, name="it20_school"),
    path("it20/export/", views.it20_export, name="it20_export"),
]
