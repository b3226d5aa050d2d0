"""The interactive API docs (Swagger UI) served entirely from the platform, under its content security policy.

Swagger UI's files come from drf-spectacular-sidecar (static files, no CDN). The split view serves the
initialising script as a separate same-origin response (`?script`), and our template has no inline <script>
or <style>, so the page runs under `script-src 'self'; style-src 'self'` unchanged.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView

from .base import NoStoreMixin


class SwaggerView(NoStoreMixin, SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
    title = "国培计划管理平台 API 文档"
