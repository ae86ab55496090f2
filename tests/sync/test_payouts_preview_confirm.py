"""The payout import's confirm step re-checks what was previewed; the payout pages refuse users without the
permission (the 403 page naming it) and a form without its CSRF token (a page in the admin's layout); the
payouts list runs the same queries for 5 and 50 payouts (case 19)."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sync.models import Payout, PayoutFormat, PayoutUpload
from sync.payouts.services import payout_format_from_preset, payout_import
from tests.factories import IntegrationFactory
from tests.sync.test_payouts_import import GENERIC

pytestmark = pytest.mark.django_db

IMPORT = "admin:sync_payout_import"
AGAIN = "upload the file again and preview it"


@pytest.fixture
def generic():
    return payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)


def preview(client, integration, fmt, content=GENERIC, **extra) -> str:
    """Upload a file for its preview; the key of the kept upload."""
    data = {"integration": integration.pk, "format": fmt.pk, "file": SimpleUploadedFile("p.csv", content.encode())}
    response = client.post(reverse(IMPORT), {**data, **extra})
    assert "Preview: nothing is imported until you confirm" in response.content.decode()
    return response.context["form"]["upload"].value()


def confirm(client, integration, fmt, key, **extra) -> str:
    data = {"integration": integration.pk, "format": fmt.pk, "upload": key, "confirm": "Confirm import", **extra}
    return client.post(reverse(IMPORT), data, follow=True).content.decode()


def staff(*codenames: str) -> Client:
    user = User.objects.create_user(f"clerk-{'-'.join(codenames) or 'none'}", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="sync", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


# --------------------------------------------------------------------------- 10: confirm re-checks the upload
def test_confirm_refuses_a_file_changed_since_the_preview(admin_client, integration, generic):
    key = preview(admin_client, integration, generic)
    PayoutUpload.objects.filter(key=key).update(content=GENERIC.replace("1490.27", "9490.27"))

    html = confirm(admin_client, integration, generic, key)

    assert f"the file changed since the preview — {AGAIN}" in html
    assert not Payout.objects.exists()


def test_confirm_refuses_another_format_or_one_edited_since_the_preview(admin_client, integration, generic):
    key = preview(admin_client, integration, generic)
    other = payout_format_from_preset(name="Other PSP", preset=PayoutFormat.Preset.GENERIC)
    refused = "is not what the preview read the file with (or the format was edited since): nothing was imported"

    assert refused in confirm(admin_client, integration, other, key)
    generic.fees_negative = True  # the same row, read another way since the preview
    generic.save()
    assert refused in confirm(admin_client, integration, generic, key)
    assert not Payout.objects.exists()

    generic.fees_negative = False
    generic.save()
    confirm(admin_client, integration, generic, key)
    assert Payout.objects.get().bank_amount == Decimal("1490.27")  # the settings previewed: imported


def test_confirm_refuses_another_integration_payout_id_or_bank_amount(admin_client, integration, generic):
    key = preview(admin_client, integration, generic, reference="PO-77", bank_amount="1490.27")
    refused = "is not what the preview read the file with"

    assert refused in confirm(
        admin_client, IntegrationFactory(), generic, key, reference="PO-77", bank_amount="1490.27"
    )
    assert refused in confirm(admin_client, integration, generic, key, reference="PO-77", bank_amount="1400.00")
    assert refused in confirm(admin_client, integration, generic, key, bank_amount="1490.27")
    assert not Payout.objects.exists()
    confirm(admin_client, integration, generic, key, reference="PO-77", bank_amount="1490.27")
    assert Payout.objects.filter(integration=integration, reference="PO-77").exists()


# --------------------------------------------------------------------------- 11: permissions and CSRF
def test_importing_without_add_payout_is_the_403_page_naming_it(integration, generic):
    viewer = staff("view_payout")

    page = viewer.get(reverse(IMPORT))
    posted = viewer.post(
        reverse(IMPORT),
        {"integration": integration.pk, "format": generic.pk, "file": SimpleUploadedFile("p.csv", GENERIC.encode())},
    )

    for response in (page, posted):
        html = response.content.decode()
        assert response.status_code == 403
        assert "Your account may not import payouts." in html and "(sync.add_payout)" in html
    assert not Payout.objects.exists() and not PayoutUpload.objects.exists()


def test_booking_needs_view_payout_besides_the_booking_permission(integration, generic, monkeypatch):
    queued = []
    monkeypatch.setattr("sync.services.flow_run_enqueue", lambda **kwargs: queued.append(kwargs["source_ids"]))
    payout = payout_import(integration=integration, fmt=generic, content=GENERIC)
    book = reverse("admin:sync_payout_book", args=[payout.pk])

    response = staff("book_payout").post(book)
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your account may not book the lines of payouts in the ERP." in html and "(sync.view_payout)" in html
    assert not queued

    response = staff("view_payout", "book_payout").post(book)
    assert response.status_code == 302 and len(queued) == 1


def test_a_form_without_its_csrf_token_is_refused_in_the_admin_layout(integration, generic):
    assert settings.CSRF_FAILURE_VIEW == "config.forbidden.csrf_failure"
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    data = {"integration": integration.pk, "format": generic.pk, "file": SimpleUploadedFile("p.csv", GENERIC.encode())}

    response = client.post(reverse(IMPORT), data, HTTP_REFERER="http://testserver/admin/sync/payout/import/")

    html = response.content.decode()
    assert response.status_code == 403
    assert '<div id="site-name">' in html and "The form could not be sent" in html
    assert "Nothing was done: the form&#x27;s security token was missing or out of date" in html
    assert 'href="http://testserver/admin/sync/payout/import/">Back to the previous page' in html
    assert "ask an administrator for the permission" not in html
    assert not PayoutUpload.objects.exists() and not Payout.objects.exists()


# --------------------------------------------------------------------------- 12: the payouts list at volume
LIST_QUERIES = 11  # what the list runs today for any number of payouts on its page


def _payouts(integration, fmt, start, count):
    for n in range(start, start + count):
        payout_import(integration=integration, fmt=fmt, content=GENERIC.replace("PO-77", f"PO-{n}"))


def test_19_the_payouts_list_stays_within_the_same_query_budget_for_5_and_50(
    admin_client, integration, generic, django_assert_max_num_queries
):
    _payouts(integration, generic, 1, 5)
    with django_assert_max_num_queries(LIST_QUERIES):
        five = admin_client.get(reverse("admin:sync_payout_changelist"))
    assert five.content.decode().count('class="field-net_display"') == 5
    _payouts(integration, generic, 6, 45)
    with django_assert_max_num_queries(LIST_QUERIES):
        fifty = admin_client.get(reverse("admin:sync_payout_changelist"))
    assert fifty.content.decode().count('class="field-net_display"') == 50
