"""The Swagger UI docs render and work in a real browser under the platform's content security policy."""

from __future__ import annotations

import pytest

from guopei.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_docs_render_and_call_the_api_with_the_session(page, live_server, county_admin):
    browser_login(page, live_server, county_admin.username)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    outside = []
    page.on("request", lambda request: None if request.url.startswith(live_server.url) else outside.append(request.url))

    page.goto(f"{live_server.url}/api/docs/")
    # Swagger UI renders only the tags near the viewport; its filter box (by tag) brings one into view.
    page.wait_for_selector(".opblock", timeout=20000)
    page.fill(".operation-filter-input", "schools")
    page.locator(".opblock-summary-path", has_text="/api/v1/schools/").first.wait_for(timeout=20000)
    page.fill(".operation-filter-input", "me")

    # Call /api/v1/me/ from the docs page: Swagger UI sends the session cookie, same origin.
    me = page.locator(".opblock-get", has=page.locator(".opblock-summary-path", has_text="/api/v1/me/")).first
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    page.wait_for_selector(".live-responses-table tbody .response-col_status", timeout=15000)
    assert me.locator(".live-responses-table tbody .response-col_status").first.inner_text().strip() == "200"
    assert county_admin.username in me.locator(".live-responses-table").inner_text()

    assert page.evaluate("window.__cspViolations") == []
    assert outside == []
