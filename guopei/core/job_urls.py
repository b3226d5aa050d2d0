from django.urls import path

from . import job_views

app_name = "core"
urlpatterns = [
    path("", job_views.job_list, name="job_list"),
    path("<int:pk>/", job_views.job_detail, name="job_detail"),
    path("<int:pk>/progress/", job_views.job_progress, name="job_progress"),
    path("<int:pk>/result/", job_views.job_result, name="job_result"),
]
