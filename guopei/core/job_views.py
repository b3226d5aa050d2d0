"""The pages where a person follows the background jobs they started and downloads their results."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .jobs import (
    access_job_for_user,
    job_live_progress,
    job_result_download,
    job_worker_unresponsive,
    jobs_for_user,
)

JOBS_PER_PAGE = 30


@require_safe
@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(jobs_for_user(request.user), JOBS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "core/job_list.html", {"page": page})


@require_safe
@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_live_progress(access_job_for_user(request.user, pk))
    return render(request, "core/job_detail.html",
                  {"job": job, "worker_unresponsive": job_worker_unresponsive(job)})


def _session_left_alone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view without saving the session afterwards.

    A page polling in the background is not activity: it must not stretch the idle timeout, and on SQLite
    it must not queue for the write lock that a running job's transaction holds, or the progress it is
    there to show would only arrive once the job has finished.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        session = getattr(request, "session", None)
        if session is not None:
            session.save = lambda must_create=False: None  # type: ignore[method-assign]
        return response

    return wrapped


@require_safe
@login_required
@_session_left_alone
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the job page polls every second until the job finishes."""
    job = job_live_progress(access_job_for_user(request.user, pk))
    return render(request, "core/job_progress.html",
                  {"job": job, "worker_unresponsive": job_worker_unresponsive(job)})


@require_safe
@login_required
def job_result(request: HttpRequest, pk: int) -> FileResponse:
    """Stream the job's result file as an attachment, after the access check; the input file is never served."""
    job = access_job_for_user(request.user, pk)
    if not job.result_file:
        raise Http404
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    job_result_download(actor=request.user, job=job)
    filename = job.result_name or posixpath.basename(job.result_file.name)
    return FileResponse(handle, as_attachment=True, filename=filename)
