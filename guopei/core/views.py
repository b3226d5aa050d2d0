from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from guopei.core.registry import home_panels
from guopei.orgs.scoping import active_memberships


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home page: the panels every app contributes for this user."""
    return render(
        request,
        "core/home.html",
        {"panels": home_panels(request.user), "memberships": active_memberships(request.user)},
    )
