from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "guopei.evaluation"
    verbose_name = "绩效评估与通报"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the third-party score import)
