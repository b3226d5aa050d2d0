from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "guopei.plans"
    label = "plans"
    verbose_name = "年度规划"
