from django.urls import path

from . import views

app_name = "summary"
urlpatterns = [
    path("", views.index, name="index"),
    path("submissions/", views.submission_list, name="submission_list"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/submit/", views.submission_submit, name="submission_submit"),
    path("submissions/<int:pk>/review/", views.submission_review, name="submission_review"),
    path("cities/<str:code>/extend/", views.city_extend, name="city_extend"),
    path("materials/", views.material_list, name="material_list"),
    path("materials/upload/", views.material_upload, name="material_upload"),
    path("materials/schools/", views.school_options, name="school_options"),
    path("materials/<int:pk>/", views.material_detail, name="material_detail"),
    path("materials/<int:pk>/edit/", views.material_edit, name="material_edit"),
    path("materials/<int:pk>/delete/", views.material_delete, name="material_delete"),
    path("materials/<int:pk>/feature/", views.material_feature, name="material_feature"),
    path("materials/<int:pk>/file/", views.material_file, name="material_file"),
    path("materials/<int:pk>/thumb/", views.material_file, {"variant": "thumb"}, name="material_thumb"),
    path("materials/<int:pk>/poster/", views.material_file, {"variant": "poster"}, name="material_poster"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("cases/<int:pk>/delete/", views.case_delete, name="case_delete"),
    path("cases/<int:pk>/feature/", views.case_feature, name="case_feature"),
    path("outcomes/", views.outcome_list, name="outcome_list"),
    path("outcomes/new/", views.outcome_create, name="outcome_create"),
    path("outcomes/<int:pk>/", views.outcome_detail, name="outcome_detail"),
    path("outcomes/<int:pk>/edit/", views.outcome_edit, name="outcome_edit"),
    path("outcomes/<int:pk>/delete/", views.outcome_delete, name="outcome_delete"),
    path("outcomes/<int:pk>/withdraw-consent/", views.outcome_withdraw_consent, name="outcome_withdraw_consent"),
    path("outcomes/<int:pk>/feature/", views.outcome_feature, name="outcome_feature"),
    path("packages/", views.package_list, name="package_list"),
    path("packages/<int:pk>/", views.package_detail, name="package_detail"),
    path("packages/<int:pk>/download/", views.package_download, name="package_download"),
]
