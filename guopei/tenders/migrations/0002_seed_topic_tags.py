"""Seed the topic catalogue a course plan is checked against: the notice's mandatory contents (COURSE-3), its
pandemic-related topics (COURSE-4) and the five focus dimensions (COURSE-1). The province may add more later."""

from django.db import migrations

TAGS = [
    ("mandatory", "xi_on_education", "习近平总书记关于教育的重要论述"),
    ("mandatory", "ethics_conduct", "师德师风"),
    ("mandatory", "home_school", "家校合作（家校协同育人）"),
    ("mandatory", "unified_textbooks", "三科统编教材"),
    ("mandatory", "finance_integrity", "金融与诚信"),
    ("pandemic", "psych_counselling", "心理疏导与调适"),
    ("pandemic", "epidemic_prevention", "疫情防控知识"),
    ("pandemic", "health_hygiene", "健康卫生教育"),
    ("pandemic", "information_security", "信息安全"),
    ("pandemic", "eyesight_protection", "学生视力保护"),
    ("focus", "subject_moral_education", "学科育德"),
    ("focus", "subject_knowledge", "学科知识体系"),
    ("focus", "classroom_guidance", "课堂学习指导与有效教学"),
    ("focus", "homework_exam_design", "作业与考试命题设计"),
    ("focus", "family_education", "家庭教育指导"),
]


def seed(apps, schema_editor):
    TopicTag = apps.get_model("tenders", "TopicTag")
    for order, (group, code, name) in enumerate(TAGS, start=1):
        TopicTag.objects.update_or_create(code=code, defaults={"name": name, "group": group, "order": order})


def unseed(apps, schema_editor):
    TopicTag = apps.get_model("tenders", "TopicTag")
    TopicTag.objects.filter(code__in=[code for _, code, _ in TAGS]).delete()


class Migration(migrations.Migration):
    dependencies = [("tenders", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
