"""The "Operations" group: what ops staff need and nothing more.

They edit mappings (and import/export them), view connections, integrations,
runs, records and bindings, switch flows on/off, run flows, resync records and
test connections. They cannot edit connections (secrets) or integrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Operations"
MAPPING_MODELS = [
    "customerclass",
    "taxzonemapping",
    "paymentmethodmapping",
    "paymenttermmapping",
    "shippingmapping",
    "currencymapping",
    "skurule",
]
PERMISSIONS = [
    *[("mappings", f"{action}_{model}") for model in MAPPING_MODELS for action in ("add", "change", "delete", "view")],
    ("integrations", "view_connection"),
    ("integrations", "test_connection"),
    ("sync", "view_integration"),
    ("sync", "view_integrationflow"),
    ("sync", "change_integrationflow"),
    ("sync", "run_flow"),
    ("sync", "view_syncrun"),
    ("sync", "view_recordlog"),
    ("sync", "resync_record"),
    ("sync", "view_externalref"),
    ("sync", "view_numberseriescheck"),
    ("django_q", "view_failure"),
    ("django_q", "view_schedule"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for app_label, codename in PERMISSIONS:
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(wanted)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
        ("mappings", "0001_initial"),
        ("integrations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
