import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from tests.factories import ConnectionFactory, RecordLogFactory, TaxZoneMappingFactory

pytestmark = pytest.mark.django_db

MAPPING_MODELS = [
    "customerclass",
    "taxzonemapping",
    "paymentmethodmapping",
    "paymenttermmapping",
    "shippingmapping",
    "currencymapping",
    "skurule",
]


@pytest.fixture
def ops_client(client):
    user = User.objects.create_user("ops", password="ops-password-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Operations"))
    client.force_login(user)
    client.user = user
    return client


def test_operations_group_has_exactly_the_permissions_ops_need():
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name="Operations").permissions.all()}
    expected = {f"mappings.{a}_{m}" for m in MAPPING_MODELS for a in ("add", "change", "delete", "view")}
    expected |= {
        "integrations.view_connection",
        "integrations.test_connection",
        "sync.view_integration",
        "sync.view_integrationflow",
        "sync.change_integrationflow",
        "sync.run_flow",
        "sync.view_syncrun",
        "sync.view_recordlog",
        "sync.resync_record",
        "sync.view_externalref",
        "sync.view_numberseriescheck",
        "sync.view_syncrecord",
        "sync.view_webhookevent",
        "sync.view_payout",
        "sync.add_payout",
        "sync.view_payoutformat",
        "sync.view_journalentry",
        "sync.view_journalshare",
        "sync.add_journalvataccount",
        "sync.change_journalvataccount",
        "sync.delete_journalvataccount",
        "sync.view_journalvataccount",
        "django_q.view_failure",
        "django_q.view_schedule",
    }
    assert perms == expected
    assert "integrations.change_connection" not in perms
    assert "sync.change_integration" not in perms


def test_ops_can_edit_mappings_view_logs_but_not_edit_connections(ops_client):
    row = TaxZoneMappingFactory()
    record = RecordLogFactory()
    conn = ConnectionFactory()
    assert ops_client.get(reverse("admin:mappings_taxzonemapping_change", args=[row.pk])).status_code == 200
    assert ops_client.get(reverse("admin:mappings_taxzonemapping_import")).status_code == 200
    assert ops_client.get(reverse("admin:sync_recordlog_change", args=[record.pk])).status_code == 200
    assert ops_client.get(reverse("admin:sync_syncrun_changelist")).status_code == 200
    assert ops_client.get(reverse("admin:integrations_connection_add")).status_code == 403
    assert (
        ops_client.post(reverse("admin:integrations_connection_delete", args=[conn.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert ops_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_ops_can_review_and_import_payouts(ops_client):
    assert ops_client.get(reverse("admin:sync_payout_changelist")).status_code == 200
    page = ops_client.get(reverse("admin:sync_payout_import"))
    assert page.status_code == 200 and "You may not import payouts" not in page.content.decode()
    assert ops_client.get(reverse("admin:sync_payoutformat_changelist")).status_code == 200
    assert not ops_client.user.has_perm("sync.change_payoutformat")


def test_booking_payouts_is_a_permission_of_its_own_that_ops_do_not_hold(ops_client):
    from django.contrib.auth.models import Permission

    changelist = reverse("admin:sync_payout_changelist")

    def actions() -> list[str]:
        form = ops_client.get(changelist).context["action_form"]  # None when the user has no action at all
        return [name for name, _ in form.fields["action"].choices] if form else []

    assert "book_now" not in actions()  # ops run flows, but do not book payouts
    assert ops_client.user.has_perm("sync.run_flow") and not ops_client.user.has_perm("sync.book_payout")

    booker = User.objects.create_user("booker", is_staff=True)
    booker.user_permissions.add(
        Permission.objects.get(codename="view_payout"), Permission.objects.get(codename="book_payout")
    )
    ops_client.force_login(booker)
    assert "book_now" in actions()


@pytest.mark.django_db(transaction=True)
def test_on_upgrade_whoever_could_start_runs_keeps_booking_but_operations():
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    MigrationExecutor(connection).migrate([("sync", "0018_operations_group_payouts")])
    try:
        run = Permission.objects.get(content_type__app_label="sync", codename="run_flow")
        finance = Group.objects.create(name="Finance")
        finance.permissions.add(run)
        # An earlier test of the session may have flushed the group a migration created: make it as it was.
        Group.objects.get_or_create(name="Operations")[0].permissions.add(run)
        lone = User.objects.create_user("lone", is_staff=True)
        lone.user_permissions.add(run)
        MigrationExecutor(connection).migrate(latest)
        book = Permission.objects.get(content_type__app_label="sync", codename="book_payout")
        assert finance.permissions.filter(pk=book.pk).exists()
        assert lone.user_permissions.filter(pk=book.pk).exists()
        assert not Group.objects.get(name="Operations").permissions.filter(pk=book.pk).exists()
    finally:
        MigrationExecutor(connection).migrate(latest)
