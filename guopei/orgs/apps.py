from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "guopei.orgs"
    verbose_name = "区域、机构与账号"
