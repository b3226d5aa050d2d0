from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("schools/", views.school_list, name="school_list"),
    path("institutions/", views.institution_list, name="institution_list"),
    path("experts/", views.expert_list, name="expert_list"),
    path("accounts/", views.account_list, name="account_list"),
]
