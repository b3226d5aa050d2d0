"""Settings for the summary's tests; the personas come from guopei/conftest.py.

Every test gets its own media directory, and the summary's year is set so that its deadline (20 August) lies
ahead: tests about the deadline pass `now=` to the services or set the year to a past one explicitly.
"""

from __future__ import annotations

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def _summary_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUMMARY_YEAR = timezone.now().year + 1
    settings.SUMMARY_DEADLINE = "08-20"
    settings.SUMMARY_MAX_BYTES = {"image": 5 * 1024 * 1024, "video": 64 * 1024, "document": 1024 * 1024}
    settings.SUMMARY_CITY_QUOTA_BYTES = 50 * 1024 * 1024
