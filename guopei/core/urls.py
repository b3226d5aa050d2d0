from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", include("guopei.core.audit_urls")),
    path("jobs/", include("guopei.core.job_urls")),
    path("healthz", health.healthz, name="healthz"),
]
