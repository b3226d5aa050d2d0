from __future__ import annotations

import pytest

from .factories import TeacherFactory


@pytest.fixture
def teacher(db, school):
    return TeacherFactory(school=school, name="张晓明")


@pytest.fixture
def other_teacher(db, other_school):
    return TeacherFactory(school=other_school, name="李平城")
