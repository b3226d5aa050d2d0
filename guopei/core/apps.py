from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "guopei.core"
    verbose_name = "平台核心"

    def ready(self) -> None:
        from . import signals  # noqa: F401
