"""PLAN-2: the catalogue is seeded exactly as the notice names it."""

from guopei.plans.models import Category, Family


def test_plan2_two_families_eleven_categories_seeded(db):
    assert list(Family.objects.values_list("code", "name")) == [
        ("central_western", "中西部项目"),
        ("kindergarten", "幼师国培项目"),
    ]
    cw = list(Category.objects.filter(family__code="central_western").values_list("name", flat=True))
    kg = list(Category.objects.filter(family__code="kindergarten").values_list("name", flat=True))
    assert cw == ["乡村中小学教师专业能力建设", "中小学教师信息技术应用能力研修", "乡村中小学校长领导力培训"]
    assert kg == [
        "幼儿园教师职业行为准则培训",
        "幼儿园新入职教师规范化培训",
        "非学前教育专业教师专业补偿培训",
        "乡村幼儿园教师保教能力提升培训",
        "幼儿园骨干教师访名校浸润式培训",
        "幼儿园园长法治与安全教育培训",
        "乡村幼儿园园长办园能力提升培训",
        "民办幼儿园园长规范办园培训",
    ]
    assert Category.objects.filter(is_seed=True).count() == 11
