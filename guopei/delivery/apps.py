from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "guopei.delivery"
    label = "delivery"
    verbose_name = "培训实施"

    def ready(self) -> None:
        from guopei.core.pii import register_encrypted_column

        register_encrypted_column("delivery.Enrolment", "emergency_phone", "")

        from django.db.models.signals import post_migrate

        from .seats import install_functions

        # The seat function follows the models: every `migrate` re-creates it (PostgreSQL; docs/adr/0004).
        post_migrate.connect(install_functions, sender=self, dispatch_uid="delivery.install_functions")
