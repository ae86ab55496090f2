"""Admin actions at volume: "Select all N" confirms with the list's filter, not N ids, and runs in chunks.

Case 18 (fixtures/ops/18_admin_resync_select_all_1500.steps.txt): Sync › Records filtered on
"Failed, gave up", 1,500 records, select all, "Resync the selected records", Go, "Yes, resync".
Before: the confirmation posted 1,504 fields and Django answered a bare 400; nothing was queued.
"""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import Group, User
from django.urls import reverse

from sync import bulk, services
from sync.bulk import ChunkResult, bulk_action_execute
from sync.models import BulkAction, IntegrationFlow, SyncRecord, SyncRun, WebhookEvent
from tests.sync.test_engine import FakeFlow

pytestmark = pytest.mark.django_db

CASE_18 = Path(__file__).parent / "fixtures" / "ops" / "18_admin_resync_select_all_1500.steps.txt"
RECORDS = reverse("admin:sync_syncrecord_changelist")


@pytest.fixture(autouse=True)
def fake_runner(monkeypatch):
    FakeFlow.processed = []
    FakeFlow.failures = {}
    monkeypatch.setattr(services, "runner_class", lambda flow: FakeFlow)


class FormReader(HTMLParser):
    """The fields a browser would post from the page's forms: {form action: [(name, value), ...]}."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, list] = {}
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = attrs.get("action") or ""
            self.forms[self.current] = []
        elif tag == "input" and self.current is not None and attrs.get("name"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[self.current].append((attrs["name"], attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def confirm_form(html: str) -> tuple[str, list]:
    reader = FormReader()
    reader.feed(html)
    forms = [(action, fields) for action, fields in reader.forms.items() if ("confirm", "yes") in fields]
    assert len(forms) == 1, reader.forms.keys()
    return forms[0]


def post_fields(client, url: str, fields: list, **kwargs):
    data: dict[str, list] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return client.post(url, data, **kwargs)


def select_all(client, list_url: str, action: str, page_ids: list):
    """What the list page posts after the header box, "Select all N" and Go."""
    return client.post(
        list_url, {"action": action, "select_across": "1", "index": "0", "_selected_action": [str(i) for i in page_ids]}
    )


def records(integration, status: str, count: int, prefix: str) -> list[int]:
    SyncRecord.objects.bulk_create(
        SyncRecord(integration=integration, flow="orders", source_id=f"{prefix}{n}", status=status, attempts=5)
        for n in range(count)
    )
    return list(SyncRecord.objects.filter(source_id__startswith=prefix).values_list("pk", flat=True))


def test_case_18_resync_of_1500_selected_across_a_filter(admin_client, integration, django_capture_on_commit_callbacks):
    from django.conf import settings

    assert "1,504 fields" in CASE_18.read_text()
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000  # Django's default: the fix is not a higher limit
    services.integration_flow_update(
        integration_flow=IntegrationFlow.objects.get(integration=integration, flow="orders"), enabled=True
    )
    dead = records(integration, "dead", 1500, "D")
    records(integration, "retrying", 600, "R")
    records(integration, "ok", 300, "K")
    outside = {r.pk: (r.status, r.updated_at) for r in SyncRecord.objects.exclude(pk__in=dead)}
    list_url = f"{RECORDS}?status__exact=dead"
    assert admin_client.get(list_url).context["cl"].result_count == 1500

    page = select_all(admin_client, list_url, "resync_selected", dead[:100])
    assert page.status_code == 200
    html = page.content.decode()
    assert "All 1500 records matching Status: Failed, gave up (needs action)" in html
    assert "… and 1480 more" in html
    action_url, fields = confirm_form(html)
    assert len(fields) <= 6, fields  # csrf, select_across, one row, action, confirm: never one field per row
    assert dict(parse_qsl(urlsplit(action_url).query)) == {"status__exact": "dead"}

    with django_capture_on_commit_callbacks(execute=True):
        done = post_fields(admin_client, action_url, fields, follow=True)
    assert done.status_code == 200
    message = done.content.decode()
    assert "Started in the background in chunks of 500" in message and "Sync › Bulk actions" in message
    assert reverse("admin:sync_bulkaction_change", args=[BulkAction.objects.get().pk]) in message

    bulk_action = BulkAction.objects.get()
    assert (bulk_action.status, bulk_action.done, bulk_action.total, bulk_action.count) == (
        "succeeded",
        1500,
        1500,
        1500,
    )
    assert bulk_action.message.startswith("Queued 1,500 record(s) for resync.")
    assert bulk_action.filters == "status__exact=dead" and bulk_action.requested_by.username == "admin"
    assert sorted(FakeFlow.processed) == sorted(f"D{n}" for n in range(1500))
    assert set(SyncRecord.objects.filter(pk__in=dead).values_list("status", flat=True)) == {"ok"}
    assert {r.pk: (r.status, r.updated_at) for r in SyncRecord.objects.exclude(pk__in=dead)} == outside
    assert SyncRun.objects.filter(trigger="resync").count() == 3  # one run per chunk of 500


def test_ticked_rows_are_carried_as_ids_and_only_they_are_resynced(admin_client, integration):
    dead = records(integration, "dead", 30, "D")
    list_url = f"{RECORDS}?status__exact=dead"
    chosen = dead[:3]
    page = admin_client.post(
        list_url, {"action": "resync_selected", "index": "0", "_selected_action": [str(i) for i in chosen]}
    )
    assert "3 selected records" in page.content.decode()
    action_url, fields = confirm_form(page.content.decode())
    assert sorted(int(v) for n, v in fields if n == "_selected_action") == sorted(chosen)
    assert ("select_across", "1") not in fields
    post_fields(admin_client, action_url, fields)
    assert set(SyncRecord.objects.filter(status="queued").values_list("pk", flat=True)) == set(chosen)
    bulk_action = BulkAction.objects.get()
    assert bulk_action.status == "succeeded" and bulk_action.selection == "3 selected records"


def test_every_confirmed_action_of_the_sync_lists_posts_the_filter_not_the_ids(admin_client, integration):
    """Run now, retry failed runs, resync from record logs: the same confirmation page."""
    from tests.factories import RecordLogFactory, SyncRunFactory

    runs = [SyncRunFactory(integration=integration, status="partial").pk for _ in range(120)]
    logs = [RecordLogFactory(run__integration=integration, status="failed").pk for _ in range(120)]
    flows = list(IntegrationFlow.objects.filter(integration=integration).values_list("pk", flat=True))
    cases = [
        ("sync_syncrun", "retry_failed", "status__exact=partial", runs, "All 120 sync runs matching Status"),
        ("sync_recordlog", "resync_selected", "status__exact=failed", logs, "All 120 record logs matching Status"),
        ("sync_integrationflow", "run_now", "", flows, f"All {len(flows)} integration flows in the list"),
    ]
    for name, action, filters, ids, text in cases:
        list_url = reverse(f"admin:{name}_changelist") + (f"?{filters}" if filters else "")
        page = select_all(admin_client, list_url, action, ids[:100])
        assert text in page.content.decode(), name
        action_url, fields = confirm_form(page.content.decode())
        assert len(fields) <= 6, (name, fields)
        assert ("select_across", "1") in fields and urlsplit(action_url).query == filters


def test_chunks_run_on_when_one_fails_and_progress_is_kept(integration, monkeypatch):
    dead = records(integration, "dead", 1200, "D")
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 500)
    calls = []

    def flaky(*, queryset, requested_by=None):
        calls.append(queryset.count())
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return ChunkResult(count=queryset.count(), problems=["D7 could not be queued: x."] if len(calls) == 3 else [])

    monkeypatch.setattr("sync.bulk_handlers.sync_records_resync", flaky)
    bulk_action = BulkAction.objects.create(
        title="Resync the selected records",
        action="resync_selected",
        model_label="sync.syncrecord",
        handler="sync.bulk_handlers.sync_records_resync",
        result_text="Queued {count} record(s) for resync.",
        selection="All 1200 records",
        object_ids=[str(pk) for pk in dead],
        total=1200,
    )
    bulk_action_execute(bulk_action=bulk_action)
    bulk_action.refresh_from_db()
    assert calls == [500, 500, 200]
    assert (bulk_action.status, bulk_action.done, bulk_action.count, bulk_action.problems) == ("partial", 1200, 700, 2)
    lines = bulk_action.message.splitlines()
    assert lines[0] == "Queued 700 record(s) for resync."
    assert "Rows 501 to 1000 of 1200 were left as they were" in lines[1] and "RuntimeError" not in bulk_action.message
    assert lines[2] == "D7 could not be queued: x."


def test_a_task_delivered_again_resumes_after_the_last_saved_chunk(integration, monkeypatch):
    dead = records(integration, "dead", 1200, "D")
    bulk_action = BulkAction.objects.create(
        title="Resync the selected records",
        action="resync_selected",
        model_label="sync.syncrecord",
        handler="sync.bulk_handlers.sync_records_resync",
        result_text="Queued {count} record(s) for resync.",
        selection="All 1200 records",
        object_ids=[str(pk) for pk in dead],
        total=1200,
        done=500,
        count=500,
        status="running",
    )
    from sync.tasks import bulk_action_task

    assert bulk_action_task(bulk_action.pk) == "Done: Queued 1,200 record(s) for resync."
    assert SyncRecord.objects.filter(status="queued").count() == 700
    assert set(SyncRecord.objects.filter(pk__in=dead[:500]).values_list("status", flat=True)) == {"dead"}


def test_problems_of_a_small_action_are_shown_at_once(admin_client, integration):
    """An integration switched off: the action says why, per group, and nothing is queued."""
    dead = records(integration, "dead", 5, "D")
    integration.is_active = False
    integration.save()
    page = admin_client.post(
        RECORDS,
        {"action": "resync_selected", "confirm": "yes", "_selected_action": [str(i) for i in dead]},
        follow=True,
    )
    html = page.content.decode()
    assert "Queued 0 record(s) for resync." in html and "5 record(s) not queued:" in html and "is switched off" in html
    assert BulkAction.objects.get().status == "failed"
    assert not SyncRecord.objects.filter(status="queued").exists()


def test_delete_of_all_n_matching_carries_the_filter_and_deletes_only_them(
    admin_client, integration, django_capture_on_commit_callbacks
):
    WebhookEvent.objects.bulk_create(
        WebhookEvent(integration=integration, status="rejected", reason="bad signature") for _ in range(1200)
    )
    WebhookEvent.objects.bulk_create(
        WebhookEvent(integration=integration, status="accepted", signature=f"s{n}") for n in range(40)
    )
    rejected = list(WebhookEvent.objects.filter(status="rejected").values_list("pk", flat=True))
    list_url = reverse("admin:sync_webhookevent_changelist") + "?status__exact=rejected"
    page = select_all(admin_client, list_url, "delete_selected", rejected[:100])
    html = page.content.decode()
    assert "Delete 1200 webhook events?" in html and "All 1200 webhook events matching Status: Rejected" in html
    action_url, fields = confirm_form(html)
    assert len(fields) <= 6
    with django_capture_on_commit_callbacks(execute=True):
        post_fields(admin_client, action_url, fields, follow=True)
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"accepted"}
    assert WebhookEvent.objects.count() == 40
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 1200
    bulk_action = BulkAction.objects.get()
    assert bulk_action.title == "Delete selected webhook events"
    assert bulk_action.message == "Deleted 1,200 webhook events."


def test_delete_of_a_few_rows_keeps_djangos_own_page(admin_client, integration):
    events = [WebhookEvent.objects.create(integration=integration, status="rejected").pk for _ in range(3)]
    page = admin_client.post(
        reverse("admin:sync_webhookevent_changelist"),
        {"action": "delete_selected", "index": "0", "_selected_action": [str(i) for i in events]},
    )
    assert page.templates[0].name == "admin/delete_selected_confirmation.html"
    assert not BulkAction.objects.exists()


def test_large_delete_needs_delete_permission_on_what_cascades(client, integration):
    from django.contrib.auth.models import Permission

    from tests.factories import RecordLogFactory

    user = User.objects.create_user("cleaner", password="cleaner-password-1", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_syncrun", "delete_syncrun", "view_recordlog"])
    )
    client.force_login(user)
    runs = [RecordLogFactory(run__integration=integration).run_id for _ in range(120)]
    page = select_all(client, reverse("admin:sync_syncrun_changelist"), "delete_selected", runs[:100])
    page = client.get(reverse("admin:sync_syncrun_changelist"))
    assert "which you may not delete" in page.content.decode() and "record logs" in page.content.decode()
    assert SyncRun.objects.count() == 120


def test_bulk_actions_list_shows_progress_to_the_person_who_started_it(client, integration):
    ops = User.objects.create_user("ops", password="ops-password-123", is_staff=True)
    ops.groups.add(Group.objects.get(name="Operations"))
    other = User.objects.create_user("other", password="other-password-1", is_staff=True)
    common = dict(action="resync_selected", model_label="sync.syncrecord", handler="x", selection="All 1500 records")
    BulkAction.objects.create(title="Mine", requested_by=ops, total=1500, done=500, status="running", **common)
    BulkAction.objects.create(title="Theirs", requested_by=other, total=10, done=10, status="succeeded", **common)
    client.force_login(ops)
    html = client.get(reverse("admin:sync_bulkaction_changelist")).content.decode()
    assert "Mine" in html and "500 / 1500" in html and "Theirs" not in html
    assert 'http-equiv="refresh"' in html  # the page follows a running action by itself
    BulkAction.objects.filter(title="Mine").update(status="succeeded", done=1500)
    assert 'http-equiv="refresh"' not in client.get(reverse("admin:sync_bulkaction_changelist")).content.decode()
