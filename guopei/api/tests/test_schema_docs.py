"""The OpenAPI schema and the Swagger UI docs, served from the platform under its content security policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

SIDECAR_FILES = [
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    "drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
    "api/swagger_ui.css",
]


def test_schema_is_served_to_a_signed_in_user(api, county_admin):
    api.force_login(county_admin)
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ["/api/v1/regions/", "/api/v1/schools/{id}/", "/api/v1/institutions/", "/api/v1/me/",
                 "/api/v1/auth/token/"]:
        assert path in schema["paths"], path
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_json_for_token_clients(api, county_admin):
    from rest_framework.authtoken.models import Token

    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_admin).key}")
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "国培计划管理平台 API"


def test_schema_needs_sign_in(api):
    assert api.get("/api/schema/").status_code == 401


def test_schema_validates_without_warnings():
    """`manage.py spectacular --validate --fail-on-warn` must pass: every endpoint fully described."""
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_docs_page_uses_only_local_assets_and_no_inline_code(client, county_admin):
    client.force_login(county_admin)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-CN"' in html
    # No CDN: every script and stylesheet is same-origin.
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(src.startswith("/") for src in sources), sources
    assert "cdn" not in html.lower()
    # Nothing the CSP would block: no inline script bodies, no <style> elements, no style attributes.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and "style=" not in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_docs_init_script_is_a_same_origin_javascript_response(client, county_admin):
    client.force_login(county_admin)
    html = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', html).group(1).replace("&amp;", "&")
    response = client.get(script_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    body = response.content.decode()
    assert "SwaggerUIBundle(" in body
    assert "/api/schema/" in body


def test_docs_assets_are_installed_locally():
    for name in SIDECAR_FILES:
        found = finders.find(name)
        assert found and Path(found).stat().st_size > 0, name


def test_docs_page_sends_anonymous_users_to_sign_in(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_api_root_lists_the_registered_endpoints(api, county_admin):
    api.force_login(county_admin)
    body = api.get("/api/v1/").json()
    assert {"regions", "schools", "institutions"} <= set(body)
