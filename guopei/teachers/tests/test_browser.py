"""Browser journey: a county administrator imports a roster, runs selection for a project and nominates teachers
(MGMT-4 database, selection and nominations within the quota; MGMT-6 integrity ban as a reason to exclude;
MGMT-5 nominations recorded for the project's intake), driven in a real browser.

One test on purpose: it walks the whole journey, and one live-server test per module keeps the database
restore between transactional tests out of the picture.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from guopei.conftest import browser_login
from guopei.core.models import AuditEvent, Job
from guopei.core.pii import mask_id_number
from guopei.core.spreadsheets import read_table, write_xlsx
from guopei.orgs.models import Region
from guopei.orgs.tests.factories import SchoolFactory
from guopei.plans import services as plan_services
from guopei.plans.tests.factories import make_plan, make_project, publish
from guopei.teachers import services
from guopei.teachers.id_numbers import make_id_number
from guopei.teachers.models import IntegrityEntry, Nomination, Teacher
from guopei.teachers.roster_import import roster_template

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTY = "140105"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""

# (name, gender, birth date, post): three eligible teachers, one to be banned, one principal (wrong post).
ROSTER = (
    ("李春华", "女", date(1988, 3, 12), "教师"),
    ("王秋实", "男", date(1985, 11, 2), "教师"),
    ("张冬梅", "女", date(1990, 7, 25), "教师"),
    ("刘夏雨", "女", date(1987, 1, 30), "教师"),
    ("陈建国", "男", date(1975, 5, 5), "校长"),
)


def roster_file(school_code: str) -> tuple[dict[str, str], bytes]:
    """The platform's own template headers with our rows, written by the platform's writer; {name: ID number}."""
    headers = read_table(roster_template(), "教师名册模板.xlsx").headers
    ids: dict[str, str] = {}
    rows = []
    for n, (name, gender, birth, post) in enumerate(ROSTER, start=11):
        ids[name] = make_id_number(COUNTY, birth, n * 2 + (1 if gender == "男" else 0))
        values = {"姓名": name, "身份证号": ids[name], "性别": gender, "出生日期": birth.isoformat(),
                  "手机号": f"1390351{n:04d}", "学校标识码": school_code, "学段": "小学", "任教学科": "语文",
                  "职称": "一级教师", "岗位": post, "骨干级别": "无", "学前教育专业": "否",
                  "首次任教日期": "2010-09-01", "用工性质": "在编", "状态": "在职"}
        rows.append([values.get(h, "") for h in headers])
    text_columns = [headers.index(h) for h in ("身份证号", "手机号", "学校标识码")]
    return ids, write_xlsx(headers, rows, sheet_name="教师名册", text_columns=text_columns)


def row_of(page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def test_mgmt4_mgmt6_county_imports_roster_selects_and_nominates_within_quota(
        page, live_server, province_admin, finance_officer, county_admin):
    # A published 2020 project with 2 places for 小店区 (province → 太原市 → 小店区).
    school = SchoolFactory(name="小店区北格镇中心小学", county_id=COUNTY, kind="primary", location="rural")
    plan = make_plan(province_admin, title="2020年国培计划项目规划")
    project = make_project(plan, province_admin, "GP-07", name="乡村小学语文骨干教师培训",
                           start_date=date(2020, 7, 1), end_date=date(2020, 7, 10))
    publish(plan, province_admin, finance_officer)
    plan_services.allocation_set(project=project, region=Region.objects.get(code="140100"), quota=10,
                                 actor=province_admin)
    plan_services.allocation_set(project=project, region=Region.objects.get(code=COUNTY), quota=2,
                                 actor=province_admin)
    ids, content = roster_file(school.code)
    page.add_init_script(RECORD_CSP_VIOLATIONS)

    # The county administrator uploads the roster from the teacher list and follows the job to its end.
    browser_login(page, live_server, county_admin.username)
    page.goto(live_server.url + reverse("teachers:teacher_list"))
    page.get_by_role("link", name="导入名册").first.click()
    expect(page.get_by_role("heading", name="导入教师名册")).to_be_visible()
    page.get_by_label("文件").set_input_files({"name": "小店区教师名册.xlsx", "mimeType": XLSX, "buffer": content})
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_test_id("job-state")).to_have_text("已完成")
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_contain_text("已处理 5 / 5（100%）")
    expect(page.get_by_test_id("job-message")).to_have_text("导入完成：共5行，新增5条，更新0条，未变化0条。")

    # The list shows the five teachers with their ID numbers masked, never in full.
    page.goto(live_server.url + reverse("teachers:teacher_list"))
    expect(page.get_by_test_id("teacher-count")).to_contain_text("共 5 人")
    for name, id_number in ids.items():
        masked = mask_id_number(id_number)
        assert masked.startswith(COUNTY) and masked[6:14] == "********"
        expect(row_of(page, name)).to_contain_text(masked)
        expect(row_of(page, name)).to_contain_text("小店区北格镇中心小学")
        assert id_number not in page.content()

    # 刘夏雨 did not show up for a 2019 project: a three-year ban in the integrity file (MGMT-6).
    banned = Teacher.objects.get(name="刘夏雨")
    services.integrity_entry_create(teacher=banned, kind=IntegrityEntry.Kind.NO_SHOW, event_date=date(2019, 6, 1),
                                    source="2019年“乡村教师能力提升培训”未报到")

    # Selection for the project: three eligible, the banned teacher and the principal excluded with reasons.
    page.get_by_role("list", name="教师库与遴选").get_by_role("link", name="精准遴选").click()
    project_row = page.get_by_role("row").filter(has_text="乡村小学语文骨干教师培训")
    expect(project_row.get_by_role("cell", name="2", exact=True)).to_be_visible()  # the county's places
    project_row.get_by_role("link", name="遴选").click()
    expect(page.get_by_test_id("count-total")).to_have_text("5")
    expect(page.get_by_test_id("count-eligible")).to_have_text("3")
    expect(page.get_by_test_id("count-banned")).to_have_text("1")
    expect(page.get_by_test_id("count-post")).to_have_text("1")
    for name in ("李春华", "王秋实", "张冬梅"):
        expect(row_of(page, name)).to_be_visible()
    expect(row_of(page, "刘夏雨")).to_have_count(0)
    page.get_by_role("link", name="不符合条件").click()
    expect(row_of(page, "刘夏雨")).to_contain_text("诚信档案禁训期内（三年）（MGMT-6）")
    expect(row_of(page, "陈建国")).to_contain_text("岗位不符合项目要求（MGMT-4）")
    expect(row_of(page, "李春华")).to_have_count(0)

    # Three principals for two places are refused with the numbers; nothing is recorded.
    page.get_by_role("link", name="符合条件（按优先顺序）").click()
    for name in ("李春华", "王秋实", "张冬梅"):
        page.get_by_label(f"推荐{name}", exact=True).check()
    page.get_by_test_id("nominate").click()
    expect(page.get_by_role("alert")).to_contain_text("推荐人数超出名额：本县区名额2人，已推荐0人，本次又推荐3人。")
    assert not Nomination.objects.exists()

    # Two principals and one alternate are accepted.
    page.get_by_label("推荐李春华", exact=True).check()
    page.get_by_label("推荐王秋实", exact=True).check()
    page.get_by_label("候补张冬梅", exact=True).check()
    page.get_by_test_id("nominate").click()
    expect(page.get_by_role("alert")).to_contain_text("已推荐2人，候补1人。")
    expect(page.get_by_test_id("selection-quota")).to_contain_text("本县区名额：2，已推荐 2 人")
    listed = page.get_by_test_id("county-nominations")
    for name, kind in (("李春华", "正式"), ("王秋实", "正式"), ("张冬梅", "候补")):
        row = listed.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))
        expect(row.get_by_role("cell", name=kind, exact=True)).to_be_visible()
        expect(row.get_by_role("cell", name="已推荐", exact=True)).to_be_visible()
    expect(listed.get_by_role("row")).to_have_count(4)  # the header and three nominations
    # The eligible list now marks them as nominated instead of offering them again.
    for name in ("李春华", "王秋实", "张冬梅"):
        expect(row_of(page, name)).to_contain_text("已推荐")
        expect(row_of(page, name).get_by_label(f"推荐{name}", exact=True)).to_have_count(0)

    # The nominations page lists them for the project, ID numbers masked.
    page.get_by_role("list", name="教师库与遴选").get_by_role("link", name="推荐名单").click()
    for name in ("李春华", "王秋实", "张冬梅"):
        row = page.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text("GP-07 乡村小学语文骨干教师培训")
        expect(row).to_contain_text(mask_id_number(ids[name]))
    expect(page.get_by_role("row").filter(has_text="刘夏雨")).to_have_count(0)
    assert page.evaluate("window.__cspViolations") == []

    # And in the database: the import, the nominations and their audit trail.
    job = Job.objects.get(kind="teachers.roster_import")
    assert job.state == Job.State.SUCCEEDED and job.owner == county_admin
    assert job.result == {"rows": 5, "created": 5, "updated": 0, "unchanged": 0}
    assert Teacher.objects.filter(school=school, region_code=COUNTY).count() == 5
    nominations = {n.teacher.name: n for n in Nomination.objects.select_related("teacher").filter(project=project)}
    assert set(nominations) == {"李春华", "王秋实", "张冬梅"}
    assert {n.status for n in nominations.values()} == {Nomination.Status.PROPOSED}
    assert [name for name, n in nominations.items() if n.is_alternate] == ["张冬梅"]
    for n in nominations.values():
        assert n.county_id == COUNTY and n.region_code == COUNTY and n.proposed_by == county_admin and n.rank
    assert AuditEvent.objects.filter(action="teachers.roster_import", actor=county_admin,
                                     detail__created=5).count() == 1
    assert AuditEvent.objects.filter(action="job.succeeded", object_id=str(job.pk)).exists()
    assert AuditEvent.objects.filter(action="teachers.integrity_create", detail__teacher=banned.pk).count() == 1
    proposed = AuditEvent.objects.get(action="teachers.nomination_propose")
    assert proposed.actor == county_admin and proposed.region_code == COUNTY
    assert proposed.detail["principals"] == 2 and proposed.detail["alternates"] == 1
    assert proposed.detail["quota"] == 2
    assert sorted(proposed.detail["teachers"]) == sorted(n.teacher_id for n in nominations.values())
