"""Seed the two programme families and their eleven categories exactly as the notice names them (PLAN-2)."""

from django.db import migrations

FAMILIES = [
    ("central_western", "中西部项目", 1, [
        "乡村中小学教师专业能力建设",
        "中小学教师信息技术应用能力研修",
        "乡村中小学校长领导力培训",
    ]),
    ("kindergarten", "幼师国培项目", 2, [
        "幼儿园教师职业行为准则培训",
        "幼儿园新入职教师规范化培训",
        "非学前教育专业教师专业补偿培训",
        "乡村幼儿园教师保教能力提升培训",
        "幼儿园骨干教师访名校浸润式培训",
        "幼儿园园长法治与安全教育培训",
        "乡村幼儿园园长办园能力提升培训",
        "民办幼儿园园长规范办园培训",
    ]),
]


def seed(apps, schema_editor):
    Family = apps.get_model("plans", "Family")
    Category = apps.get_model("plans", "Category")
    for code, name, order, categories in FAMILIES:
        family, _ = Family.objects.update_or_create(code=code, defaults={"name": name, "order": order})
        for i, category in enumerate(categories, start=1):
            Category.objects.update_or_create(
                name=category, defaults={"family": family, "order": i, "is_seed": True, "is_active": True}
            )


def unseed(apps, schema_editor):
    Family = apps.get_model("plans", "Family")
    Category = apps.get_model("plans", "Category")
    names = [c for _, _, _, categories in FAMILIES for c in categories]
    Category.objects.filter(name__in=names, projects__isnull=True).delete()
    Family.objects.filter(categories__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
