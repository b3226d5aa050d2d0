"""The platform's URLs plus two trivial views, the ceilings the rush is compared with.

* /bench/ping/      a plain Django view: the middleware stack and nothing else;
* /bench/ping-api/  a DRF view behind the same authentication (token and memberships in one statement, or the
                    session) and teacher-role check as the seat endpoints, returning a constant: what one
                    authenticated API request costs before any work is done.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as platform_urls
from guopei.api.base import HasRole
from guopei.delivery.api import SEAT_AUTHENTICATION
from guopei.orgs.models import Membership


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


class PingApi(APIView):
    authentication_classes = SEAT_AUTHENTICATION
    permission_classes = [HasRole(Membership.Role.TEACHER)]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("bench/ping/", ping),
    path("bench/ping-api/", PingApi.as_view()),
    *platform_urls,
]
