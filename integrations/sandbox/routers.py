from django.conf import settings

SANDBOX_APP = "sandbox"


def _alias() -> str:
    return "sandbox" if "sandbox" in settings.DATABASES else "default"


class SandboxRouter:
    """Keeps the emulators' tables in the 'sandbox' database when one is configured."""

    def db_for_read(self, model, **hints):
        return _alias() if model._meta.app_label == SANDBOX_APP else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        labels = {obj1._meta.app_label, obj2._meta.app_label}
        if SANDBOX_APP in labels and len(labels) > 1:
            return False
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if _alias() == "default":
            return None
        if app_label == SANDBOX_APP:
            return db == "sandbox"
        return db == "default"
