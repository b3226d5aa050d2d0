from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "guopei.delivery"
    label = "delivery"
    verbose_name = "培训实施"

    def ready(self) -> None:
        from guopei.core.pii import register_encrypted_column

        register_encrypted_column("delivery.Enrolment", "emergency_phone", "")
