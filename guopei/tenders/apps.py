from django.apps import AppConfig


class TendersConfig(AppConfig):
    name = "guopei.tenders"
    label = "tenders"
    verbose_name = "招标与课程方案"
