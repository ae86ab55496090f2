from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sync.models import IntegrationFlow, SyncRun
from sync.selectors import dashboard_build
from tests.factories import NumberSeriesCheckFactory, RecordLogFactory, SyncRunFactory

pytestmark = pytest.mark.django_db


def test_dashboard_renders_without_any_data(admin_client):
    html = admin_client.get(reverse("admin:dashboard")).content.decode()
    assert "No warnings." in html and "No flow is switched on yet" in html
    assert "<svg" in html


def test_dashboard_shows_rates_waiting_records_chart_and_warnings(admin_client, integration):
    IntegrationFlow.objects.filter(integration=integration, flow="orders").update(enabled=True, interval_minutes=5)
    run = SyncRunFactory(integration=integration, flow="orders", status="partial")
    for _ in range(3):
        RecordLogFactory(run=run, status="ok")
    RecordLogFactory(run=run, status="failed")
    old = RecordLogFactory(run=run, status="ok")
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    SyncRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=2))  # 2 h > 3 × 5 min
    NumberSeriesCheckFactory(
        connection=integration.erp, status="warning", remaining=120, message="only 120 numbers left"
    )

    data = dashboard_build()
    orders = next(f for f in data.flows if f.integration_flow.flow == "orders")
    assert (orders.ok_24h, orders.failed_24h) == (3, 1) and orders.rate_24h == 75.0
    assert (orders.ok_7d, orders.failed_7d) == (4, 1)
    assert orders.stale
    today = data.days[-1]
    assert today[1:] == (3, 1)
    assert sum(day[1] for day in data.days) == 4
    assert any("no run since" in w for w in data.warnings)
    assert any("only 120 numbers left" in w for w in data.warnings)

    html = admin_client.get(reverse("admin:dashboard")).content.decode()
    assert "75.0 %" in html and "stale" in html and "only 120 numbers left" in html
    assert "3 ok" in html and "<rect" in html


def test_dashboard_needs_staff(client):
    response = client.get(reverse("admin:dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_dashboard_needs_the_view_permission_of_sync_runs(client, django_user_model):
    """A staff user without sync.view_syncrun sees neither the dashboard nor its link: the 403 page names the
    permission to ask for."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(user)

    refused = client.get(reverse("admin:dashboard"))
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "open the operations dashboard" in page and "sync.view_syncrun" in page
    assert "koppla-flows" not in page
    assert "koppla-dashboard-link" not in client.get(reverse("admin:index")).content.decode()

    user.user_permissions.add(Permission.objects.get(content_type__app_label="sync", codename="view_syncrun"))
    user = django_user_model.objects.get(pk=user.pk)  # a fresh permission cache
    client.force_login(user)
    assert client.get(reverse("admin:dashboard")).status_code == 200
    assert "koppla-dashboard-link" in client.get(reverse("admin:index")).content.decode()
