from django.apps import AppConfig


class TeachersConfig(AppConfig):
    name = "guopei.teachers"
    verbose_name = "教师库与遴选"

    def ready(self) -> None:
        from guopei.core.pii import register_encrypted_column
        from guopei.tenders.signals import contract_signed

        from . import jobs  # noqa: F401
        from .receivers import intake_from_contract

        register_encrypted_column("teachers.Teacher", "id_number", "id_hash")
        register_encrypted_column("teachers.Teacher", "phone", "phone_hash")
        contract_signed.connect(intake_from_contract, dispatch_uid="teachers_intake_from_contract")
