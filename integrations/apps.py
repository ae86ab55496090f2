from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Connections"

    def ready(self):
        from . import checks  # noqa: F401  (registers system checks)
