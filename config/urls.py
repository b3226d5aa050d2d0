from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from guopei.core import otp_views

LOCKOUT_CONTEXT = {
    "failure_limit": settings.AXES_FAILURE_LIMIT,
    "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
}

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True,
                                                         extra_context=LOCKOUT_CONTEXT), name="login"),
    path("accounts/otp/verify/", otp_views.otp_verify, name="otp_verify"),
    path("accounts/otp/setup/", otp_views.otp_setup, name="otp_setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("orgs/", include("guopei.orgs.urls")),
    path("plans/", include("guopei.plans.urls")),
    path("tenders/", include("guopei.tenders.urls")),
    path("teachers/", include("guopei.teachers.urls")),
    path("credits/", include("guopei.credits.urls")),
    path("delivery/", include("guopei.delivery.urls")),
    path("verify/", include("guopei.delivery.public_urls")),
    path("api/", include("guopei.api.urls")),
    path("evaluation/", include("guopei.evaluation.urls")),
    path("summary/", include("guopei.summary.urls")),
    path("public/", include("guopei.summary.public_urls")),
    path("", include("guopei.core.urls")),
]
