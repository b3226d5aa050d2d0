from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("schools/", views.school_list, name="school_list"),
    path("schools/new/", views.school_create, name="school_create"),
    path("schools/<int:pk>/", views.school_detail, name="school_detail"),
    path("schools/<int:pk>/edit/", views.school_edit, name="school_edit"),
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/new/", views.institution_create, name="institution_create"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution_detail"),
    path("institutions/<int:pk>/edit/", views.institution_edit, name="institution_edit"),
    path("centres/", views.centre_list, name="centre_list"),
    path("centres/<str:code>/edit/", views.centre_edit, name="centre_edit"),
    path("experts/", views.expert_list, name="expert_list"),
    path("experts/new/", views.expert_create, name="expert_create"),
    path("experts/<int:pk>/edit/", views.expert_edit, name="expert_edit"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("accounts/<int:pk>/grant/", views.account_grant, name="account_grant"),
    path("accounts/<int:pk>/memberships/<int:membership_pk>/revoke/", views.membership_revoke,
         name="membership_revoke"),
    path("accounts/<int:pk>/disable/", views.account_disable, name="account_disable"),
    path("accounts/<int:pk>/enable/", views.account_enable, name="account_enable"),
    path("accounts/<int:pk>/password/", views.account_reset_password, name="account_reset_password"),
]
