from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "guopei.credits"
    label = "credits"
    verbose_name = "学时学分"
