"""The public certificate check (/verify/): no sign-in, exempt from the second factor, masked output only."""

from django.urls import path

from . import views

app_name = "verify"
urlpatterns = [
    path("", views.verify, name="index"),
    path("<str:code>/", views.verify, name="certificate"),
]
