"""Clients and data for the API tests; the personas come from guopei/conftest.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from guopei.orgs.tests.factories import SchoolFactory


@pytest.fixture
def api():
    """An API client; `api.force_login(user)` signs in with a session like the browser does."""
    return APIClient()


@pytest.fixture
def schools(db, school, other_school):
    """小店区 (140105): `school` and two more; 迎泽区 (140106): one; 平城区 (140213): `other_school` and one more."""
    return {
        "140105": [school, SchoolFactory(county_id="140105"), SchoolFactory(county_id="140105")],
        "140106": [SchoolFactory(county_id="140106")],
        "140213": [other_school, SchoolFactory(county_id="140213")],
    }
