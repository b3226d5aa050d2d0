from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "guopei.plans"
    label = "plans"
    verbose_name = "年度规划"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the import jobs)
