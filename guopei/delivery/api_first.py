"""The seat requests of the opening rush (MGMT-3) served without the framework's dispatch.

`POST /api/v1/delivery/offerings/<id>/take/` and `POST /api/v1/delivery/seats/<id>/cancel/` carry the rush: a
province's teachers choosing at the same minute. Through DRF, a seat request spent more CPU in the framework's
dispatch (request wrapping, negotiation, authenticator and permission objects, the response's finalisation) and in
resolving its URL behind about a hundred router patterns than in its own work (docs/performance.md, 选学抢报).

`SeatEndpoint` answers the common case itself: a POST with a well-formed `Authorization: Token <key>` header, a JSON
answer accepted, a valid token whose user holds the action's role. It does exactly what the viewset action does —
the same one-statement token authentication (`api_auth.py`), the same permission classes, the same service call,
the serializer's body written directly (`seat_json`, tested against it), the same exception handler, the same
headers (`Allow`, `Cache-Control: no-store, private`) — so the body, status code, headers, statements and audit event
are those of the action. Everything else goes to
the action itself, unchanged (`full_view`): session sign-in with its CSRF check, no or another `Authorization`
scheme, a refused token (DRF's 401, its messages, `WWW-Authenticate: Token`), a refused role (403 `ROLE_DENIED`),
other methods (OPTIONS, the 405s), other media types or `?format=`, and a seat outside the teacher's reach, whose
404/403 depends on the viewset's scope. Refusals before the service runs write nothing, so asking the action
again answers them exactly; the lean path only costs them the token statement twice.

The routes are resolved ahead of the router (`FIRST_URLPATTERNS`, which `guopei.api.urls` mounts); the router keeps
the actions at the same URLs, where the API schema documents them (drf-spectacular only lists DRF views).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, re_path
from django.utils import timezone
from django.utils.cache import patch_cache_control
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from . import services
from .api import OfferingViewSet, SeatViewSet
from .api_auth import OneStatementTokenAuthentication
from .models import Seat

# What DRF's negotiation turns into `application/json` with nothing added to it (the only renderer is JSON's): no
# header, anything, or JSON itself. Other values (`application/json; indent=4`, lists, an empty or an HTML-only
# header's 406) go to DRF.
JSON_ACCEPTS = frozenset({None, "*/*", "application/json"})
JSON = JSONRenderer()


def token_key(request: HttpRequest) -> str | None:
    """The key of a well-formed `Authorization: Token <key>` header (parsed as DRF's `TokenAuthentication`
    parses it); None for anything the full view should answer: no header, another scheme, a malformed header."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header or not header.isascii():
        return None
    parts = header.encode().split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return None
    return parts[1].decode()


def lean_request(request: HttpRequest) -> str | None:
    """The token key when this request is one `SeatEndpoint` answers itself, else None."""
    if request.method != "POST" or request.META.get("HTTP_ACCEPT") not in JSON_ACCEPTS:
        return None
    if api_settings.URL_FORMAT_OVERRIDE in request.GET:
        return None
    return token_key(request)


class SeatEndpoint:
    """A seat action's URL: the token-authenticated POST answered here, anything else by `full_view` (the viewset
    action the router also serves at this URL)."""

    csrf_exempt = True  # as DRF's views: token requests carry no CSRF token; the session path checks it in DRF

    def __init__(self, full_view: Callable[..., HttpResponseBase],
                 act: Callable[[Any, int], Seat]) -> None:
        self.full_view = full_view
        self.act = act
        initkwargs = full_view.initkwargs  # type: ignore[attr-defined]
        throttles = initkwargs.get("throttle_classes", full_view.cls.throttle_classes)  # type: ignore[attr-defined]
        if throttles:  # the lean path does not throttle: refuse to start rather than let requests past a limit
            raise ImproperlyConfigured("SeatEndpoint cannot serve an action with throttle_classes; serve it "
                                       "through the router only.")
        self.permissions = [permission() for permission in initkwargs["permission_classes"]]
        view = full_view.cls(**initkwargs)  # type: ignore[attr-defined]
        for method, action in full_view.actions.items():  # type: ignore[attr-defined]
            setattr(view, method, getattr(view, action))
        self.allow = ", ".join(view.allowed_methods)
        self.authentication = OneStatementTokenAuthentication()

    def __call__(self, request: HttpRequest, pk: str) -> HttpResponseBase:
        key = lean_request(request)
        if key is None:
            return self.full_view(request, pk=pk)
        try:
            user, token = self.authentication.authenticate_credentials(key)
        except exceptions.AuthenticationFailed:
            return self.full_view(request, pk=pk)
        # As DRF's Request does when it authenticates: the middleware below the view sees the token's user.
        request.user = user
        request.auth = token  # type: ignore[attr-defined]
        if not all(permission.has_permission(request, None) for permission in self.permissions):  # type: ignore[arg-type]
            return self.full_view(request, pk=pk)
        try:
            seat = self.act(user, int(pk))
        except _ToFullView:
            return self.full_view(request, pk=pk)
        except (ValidationError, PermissionDenied, Http404) as exc:
            answer = api_settings.EXCEPTION_HANDLER(exc, {"request": request})  # type: ignore[operator]
            if answer is None:  # pragma: no cover - the handler answers all three
                raise
            answer.exception = True
            answer.accepted_renderer = JSON
            answer.accepted_media_type = JSON.media_type
            answer.renderer_context = {}
            return self._finish(answer)
        return self._finish(HttpResponse(seat_json(seat), content_type=JSON.media_type))

    def _finish(self, response: HttpResponseBase) -> HttpResponseBase:
        """What DRF's `finalize_response` (with the API's `NoStoreMixin`) adds to the answer."""
        response["Allow"] = self.allow
        patch_cache_control(response, no_store=True, private=True)
        return response


class _ToFullView(Exception):
    """The answer depends on the viewset's scope: let the action answer it."""


def _moment(value: datetime | None) -> str | None:
    """A timestamp as DRF's `DateTimeField` writes it: ISO 8601 in the current time zone, UTC as `Z`."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def seat_json(seat: Seat) -> bytes:
    """The body `SEAT_RENDERER` and DRF's `JSONRenderer` give a seat (the API's compact, unescaped JSON), written
    directly: the serializer's fields cost more than the seat request's own Python (docs/performance.md)."""
    return json.dumps({
        "id": seat.pk, "offering": seat.offering_id, "teacher": seat.teacher_id, "status": str(seat.status),
        "queued_at": _moment(seat.queued_at), "promoted_at": _moment(seat.promoted_at),
        "cancelled_at": _moment(seat.cancelled_at),
    }, ensure_ascii=False, separators=(",", ":")).encode()


def _take(user: Any, offering: int) -> Seat:
    """`OfferingViewSet.take`: a seat or a waitlist place; an offering not aimed at the teacher is a 404."""
    try:
        return services.seat_take(actor=user, offering=offering)
    except services.NotOffered:
        raise Http404 from None


def _cancel(user: Any, seat: int) -> Seat:
    """`SeatViewSet.cancel`: someone else's seat, or none, is answered by the action (404 out of reach, else 403).
    Those refusals write nothing, so the action asking the service again finds the same."""
    try:
        return services.seat_cancel(actor=user, seat=seat)
    except (Seat.DoesNotExist, PermissionDenied):
        raise _ToFullView from None


def _action_view(viewset: Any, action: str, basename: str) -> Callable[..., HttpResponseBase]:
    """The view the router builds for a detail `@action` (`SimpleRouter.get_urls`)."""
    function = getattr(viewset, action)
    return viewset.as_view({method: action for method in function.mapping}, **function.kwargs,  # type: ignore[no-any-return]
                           basename=basename, detail=True)


take_endpoint = SeatEndpoint(_action_view(OfferingViewSet, "take", "delivery-offering"), _take)
cancel_endpoint = SeatEndpoint(_action_view(SeatViewSet, "cancel", "delivery-seat"), _cancel)

# Mounted under /api/v1/ ahead of the router by guopei.api.urls. Only an id of ASCII digits: anything else (and
# the `.json` suffix routes) reaches the router's own patterns.
FIRST_URLPATTERNS: list[URLPattern] = [
    re_path(r"^delivery/offerings/(?P<pk>[0-9]+)/take/$", take_endpoint),
    re_path(r"^delivery/seats/(?P<pk>[0-9]+)/cancel/$", cancel_endpoint),
]
