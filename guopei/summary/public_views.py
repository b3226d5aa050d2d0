"""The public column (SUMMARY-2): what the province featured, without login, readable on a phone.

Only featured items are listed or served; a request for anything else is a 404, and a request for an item
that exists but is not published is audited. Nothing personal is shown: no uploader, no ID numbers or
phones (the province cannot feature texts containing them), and a teacher's name only with their consent.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from guopei.core.uploads import file_response

from .models import Material
from .selectors import (
    public_case_or_404,
    public_cases,
    public_material_or_404,
    public_materials,
    public_outcome_or_404,
    public_outcomes,
)

SECTIONS = {
    "cases": "典型案例",
    "images": "图片",
    "videos": "视频",
    "outcomes": "学员成果",
}
PREVIEW = 6
PER_PAGE = 24


def _lists(q: str) -> dict[str, Any]:
    return {
        "cases": public_cases(q),
        "images": public_materials(q, Material.Kind.IMAGE),
        "videos": public_materials(q, Material.Kind.VIDEO),
        "outcomes": public_outcomes(q),
    }


def public_index(request: HttpRequest) -> HttpResponse:
    """Featured cases, pictures, videos and outcomes; `q` searches titles and captions."""
    q = request.GET.get("q", "").strip()[:50]
    section = request.GET.get("section", "")
    lists = _lists(q)
    section = section if section in SECTIONS else ""
    context: dict[str, Any] = {"q": q, "sections": SECTIONS, "section": section,
                               "section_label": SECTIONS.get(section, "")}
    if section:
        context["page"] = Paginator(lists[section], PER_PAGE).get_page(request.GET.get("page"))
    else:
        blocks = []
        for key, qs in lists.items():
            items = list(qs[: PREVIEW + 1])
            blocks.append((key, SECTIONS[key], items[:PREVIEW], len(items) > PREVIEW))
        context["blocks"] = blocks
    return render(request, "summary/public/index.html", context)


def public_case(request: HttpRequest, pk: int) -> HttpResponse:
    case = public_case_or_404(request.user, pk)
    materials = case.materials.filter(is_featured=True).order_by("kind", "pk")
    return render(request, "summary/public/case.html", {"case": case, "materials": materials})


def public_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = public_outcome_or_404(request.user, pk)
    return render(request, "summary/public/outcome.html", {"outcome": outcome})


def public_material(request: HttpRequest, public_id: UUID) -> HttpResponse:
    material = public_material_or_404(request.user, public_id)
    return render(request, "summary/public/material.html", {"material": material})


def public_file(request: HttpRequest, public_id: UUID, variant: str = "file") -> Any:
    """Serve a published file (or its thumbnail or poster); an unpublished one is a 404, audited."""
    material = public_material_or_404(request.user, public_id)
    if variant == "file":
        return file_response(request, material.file, content_type=material.content_type,
                             filename=material.original_name,
                             as_attachment=material.kind == Material.Kind.DOCUMENT, public=True)
    field = material.thumbnail if variant == "thumb" else material.poster
    if not field:
        return HttpResponse(status=404)
    return file_response(request, field, content_type="image/jpeg", filename="preview.jpg", public=True)
