from __future__ import annotations

import pytest

from guopei.teachers.tests.factories import TeacherFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def teacher(db, school, teacher_user):
    """The teacher record of the `teacher_user` account, at 小店区示范小学."""
    return TeacherFactory(school=school, name="张晓明", user=teacher_user)


@pytest.fixture
def other_teacher(db, other_school):
    return TeacherFactory(school=other_school, name="李平城")
