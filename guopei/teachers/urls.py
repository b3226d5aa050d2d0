from django.urls import path

from . import views

app_name = "teachers"
urlpatterns = [
    path("", views.teacher_list, name="teacher_list"),
    path("me/", views.teacher_me, name="teacher_me"),
    path("<int:pk>/", views.teacher_detail, name="teacher_detail"),
    path("<int:pk>/reveal/<str:field>/", views.teacher_reveal, name="teacher_reveal"),
    path("<int:pk>/transfer/", views.transfer_create, name="transfer_create"),
    path("export/", views.teacher_export, name="teacher_export"),
    path("import/", views.roster_import, name="roster_import"),
    path("import/template/", views.roster_template_download, name="roster_template"),
    path("history/import/", views.history_import, name="history_import"),
    path("history/template/", views.history_template_download, name="history_template"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/<str:decision>/", views.transfer_decide, name="transfer_decide"),
    path("integrity/", views.integrity_list, name="integrity_list"),
    path("integrity/<int:pk>/annul/", views.integrity_annul, name="integrity_annul"),
    path("reserve/", views.reserve_list, name="reserve_list"),
    path("reserve/<int:pk>/", views.reserve_edit, name="reserve_edit"),
    path("cap/", views.cap_policy, name="cap_policy"),
    path("selection/", views.selection_index, name="selection_index"),
    path("selection/<int:project_pk>/", views.selection_result, name="selection_result"),
    path("selection/<int:project_pk>/export/", views.selection_export, name="selection_export"),
    path("selection/<int:project_pk>/nominate/", views.nominate, name="nominate"),
    path("nominations/", views.nomination_list, name="nomination_list"),
    path("nominations/<int:pk>/substitute/", views.nomination_substitute, name="nomination_substitute"),
    path("nominations/<int:pk>/<str:decision>/", views.nomination_decide, name="nomination_decide"),
    path("intake/", views.intake_list, name="intake_list"),
]
