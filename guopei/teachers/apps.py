from django.apps import AppConfig


class TeachersConfig(AppConfig):
    name = "guopei.teachers"
    verbose_name = "教师库与遴选"

    def ready(self) -> None:
        from guopei.core.pii import register_encrypted_column

        from . import jobs  # noqa: F401

        register_encrypted_column("teachers.Teacher", "id_number", "id_hash")
        register_encrypted_column("teachers.Teacher", "phone", "phone_hash")
