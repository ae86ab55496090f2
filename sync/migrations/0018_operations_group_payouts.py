"""The Operations group imports and reviews payouts.

View payouts and payout formats, and import payout files (the import page asks for
sync.add_payout). Booking a payout's lines stays with its own permission,
sync.book_payout (0019), which the group does not get.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_PERMISSIONS = [("sync", "view_payout"), ("sync", "add_payout"), ("sync", "view_payoutformat")]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Operations")
    for app_label, codename in NEW_PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Operations").first()
    if group:
        for app_label, codename in NEW_PERMISSIONS:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [("sync", "0017_demo_seed")]
    operations = [migrations.RunPython(grant, revoke)]
