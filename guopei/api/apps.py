from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "guopei.api"
    verbose_name = "接口"
