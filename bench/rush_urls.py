"""The platform's URLs plus two trivial views, the ceilings the rush is compared with.

* /bench/ping/      a plain Django view: the middleware stack and nothing else;
* /bench/ping-api/  a DRF view behind the same authentication (token and memberships in one statement, or the
                    session) and teacher-role check as the seat endpoints, returning a constant: what one
                    authenticated API request costs before any work is done;
* /bench/ping-write/ the plain view plus one durable write: a single-row INSERT into an unindexed table, sent in
                    autocommit (one round trip, one commit), no authentication. The floor of any design that
                    writes a seat to the database before answering: a take cannot cost less than this.
"""

from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.rush_setup import PING_WRITE_TABLE
from config.urls import urlpatterns as platform_urls
from guopei.api.base import HasRole
from guopei.delivery.api import SEAT_AUTHENTICATION
from guopei.orgs.models import Membership


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def ping_write(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {PING_WRITE_TABLE} (at) VALUES (%s)", [1])
    return HttpResponse("ok", content_type="text/plain")


class PingApi(APIView):
    authentication_classes = SEAT_AUTHENTICATION
    permission_classes = [HasRole(Membership.Role.TEACHER)]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("bench/ping/", ping),
    path("bench/ping-api/", PingApi.as_view()),
    path("bench/ping-write/", ping_write),
    *platform_urls,
]
