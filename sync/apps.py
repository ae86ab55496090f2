from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ops_schedules(sender, using="default", **kwargs):
    """After `migrate`: the operations schedules (sync.services.OPS_SCHEDULES) exist on every install."""
    if using != "default":
        return
    from .services import ops_schedules_ensure

    ops_schedules_ensure()


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self):
        post_migrate.connect(_ops_schedules, sender=self, dispatch_uid="koppla-ops-schedules")
