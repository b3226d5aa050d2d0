"""Trainee forums (学员座谈, MGMT-7): counts, names only with consent, minutes, findings and a rating."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from guopei.evaluation import services
from guopei.evaluation.models import ERR_NAMES_NEED_CONSENT
from guopei.orgs.models import Region

pytestmark = pytest.mark.django_db


def forum_data(**overrides):
    data = {"held_on": date(2020, 9, 12), "place": "小店区教师发展中心", "region": Region.objects.get(code="140105"),
            "project": None, "klass": None, "institution": None, "participants": 12, "names_consented": False,
            "participant_names": "", "minutes": "学员反映课程实用。", "findings": "实践环节安排充分。", "rating": 4}
    data.update(overrides)
    return data


def test_mgmt7_forum_takes_its_project_and_institution_from_the_class(province_admin, klass):
    forum = services.forum_record(actor=province_admin, data=forum_data(klass=klass))
    assert forum.project == klass.project and forum.institution == klass.institution
    assert forum.year == 2020 and forum.region_code == "140105"


def test_mgmt7_forum_names_are_kept_only_with_consent(province_admin):
    forum = services.forum_record(actor=province_admin, data=forum_data(participant_names="张三、李四"))
    assert forum.participant_names == ""
    forum = services.forum_record(actor=province_admin, data=forum_data(participant_names="张三、李四",
                                                                        names_consented=True))
    assert forum.participant_names == "张三、李四"
    forum.names_consented = False
    with pytest.raises(ValidationError) as exc:
        forum.full_clean()
    assert ERR_NAMES_NEED_CONSENT in exc.value.messages


def test_mgmt7_forum_class_must_belong_to_the_project(province_admin, klass):
    from .factories import project_for

    other = project_for(province_admin, 2020, code="P02")
    with pytest.raises(ValidationError) as exc:
        services.forum_record(actor=province_admin, data=forum_data(klass=klass, project=other))
    assert services.ERR_FORUM_CLASS_PROJECT in exc.value.messages
