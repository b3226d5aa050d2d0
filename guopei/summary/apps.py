from django.apps import AppConfig


class SummaryConfig(AppConfig):
    name = "guopei.summary"
    verbose_name = "十年总结与成果展示"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the recommendation-package job)
