"""Transactional and browser tests each start with the reference data that migrations load."""

import pytest

from guopei.orgs.models import Region


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_finds_the_regions():
    assert Region.objects.filter(level="county").count() == 117
    Region.objects.filter(code="140105").update(name="临时改名")


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_finds_them_as_migrated():
    assert Region.objects.get(code="140105").name == "小店区"
    assert Region.objects.filter(level="city").count() == 11


@pytest.mark.browser
def test_a_browser_test_finds_the_regions(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert Region.objects.count() == 133


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_after_a_browser_test_finds_them():
    assert Region.objects.count() == 133
