"""The payout pages say what the user may not do and why (booking), name a payout already imported once
with a link to it, and preselect the integration on the import form."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sync.models import Payout, PayoutFormat
from sync.payouts.services import payout_format_from_preset, payout_import
from tests.factories import IntegrationFactory
from tests.sync.test_payouts_import import GENERIC

pytestmark = pytest.mark.django_db

HINT = (
    "needs the permission “Can book payouts&#x27; lines in the ERP” (sync.book_payout), which your account does not "
    "have; the Operations group does not have it: ask an administrator to give it to you (Authentication › Users)."
)


@pytest.fixture
def generic():
    return payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)


@pytest.fixture
def ops_client(client):
    user = User.objects.create_user("ops", password="ops-password-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Operations"))
    client.force_login(user)
    return client


@pytest.fixture
def payout(integration, generic):
    return payout_import(integration=integration, fmt=generic, content=GENERIC, file_name="po77.csv")


# --------------------------------------------------------------------------- booking: said, not failed
def test_ops_see_on_the_payouts_list_which_permission_booking_needs(ops_client, payout):
    html = ops_client.get(reverse("admin:sync_payout_changelist")).content.decode()
    assert 'id="koppla-book-hint"' in html and HINT in html


def test_the_payout_page_shows_a_disabled_book_button_with_the_reason(ops_client, payout):
    html = ops_client.get(reverse("admin:sync_payout_change", args=[payout.pk])).content.decode()
    button = html[html.index('id="koppla-book-now"') - 80 : html.index('id="koppla-book-now"') + 200]
    assert "disabled" in button and "formaction" not in button
    assert HINT in html


def test_a_stale_book_action_is_refused_with_the_reason_and_books_nothing(ops_client, payout):
    data = {"action": "book_now", "_selected_action": [payout.pk]}
    response = ops_client.post(reverse("admin:sync_payout_changelist"), data, follow=True)
    html = response.content.decode()
    assert "Nothing was booked. Booking payouts&#x27; lines in the ERP needs" in html and HINT in html
    assert "No action selected" not in html


def test_booking_by_url_without_the_permission_is_a_403_naming_it(ops_client, payout):
    response = ops_client.post(reverse("admin:sync_payout_book", args=[payout.pk]))
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your account may not book the lines of payouts in the ERP." in html
    assert "(sync.book_payout)" in html and "group does not have it" in html


def test_whoever_may_book_gets_the_button_and_no_hint(admin_client, payout, monkeypatch):
    queued = []
    monkeypatch.setattr("sync.services.flow_run_enqueue", lambda **kwargs: queued.append(kwargs["source_ids"]))
    page = reverse("admin:sync_payout_change", args=[payout.pk])
    html = admin_client.get(page).content.decode()
    assert f'formaction="{reverse("admin:sync_payout_book", args=[payout.pk])}"' in html
    assert "koppla-book-hint" not in html
    assert "koppla-book-hint" not in admin_client.get(reverse("admin:sync_payout_changelist")).content.decode()

    assert admin_client.get(reverse("admin:sync_payout_book", args=[payout.pk])).url == page and not queued
    response = admin_client.post(reverse("admin:sync_payout_book", args=[payout.pk]), follow=True)
    assert response.redirect_chain[-1][0] == page
    assert len(queued) == 1 and queued[0] and "Queued" in response.content.decode()


def test_the_operations_group_holding_booking_is_named_as_the_way_to_get_it(ops_client, payout):
    Group.objects.get(name="Operations").permissions.add(Permission.objects.get(codename="book_payout"))
    outsider = User.objects.create_user("viewer", is_staff=True)
    outsider.user_permissions.add(Permission.objects.get(codename="view_payout"))
    ops_client.force_login(outsider)
    html = ops_client.get(reverse("admin:sync_payout_changelist")).content.decode()
    assert "or to add you to the Operations group, which has it" in html


# --------------------------------------------------------------------------- a file imported twice
def test_a_payout_imported_before_is_named_once_with_a_link_to_it(admin_client, integration, generic, payout):
    data = {
        "integration": integration.pk,
        "format": generic.pk,
        "file": SimpleUploadedFile("again.csv", GENERIC.encode()),
    }
    html = admin_client.post(reverse("admin:sync_payout_import"), data).content.decode()
    problems = html[html.index('id="koppla-payout-problems"') :]
    problem = problems[: problems.index("</li>")]
    link = f'<a href="{reverse("admin:sync_payout_change", args=[payout.pk])}">{payout.reference}</a>'
    assert f"Payout {link} was already imported on " in problem
    assert problem.endswith("from file po77.csv with the format Demo PSP: open it to book or check its lines.")
    assert problem.count(payout.reference) == 1
    assert Payout.objects.count() == 1


# --------------------------------------------------------------------------- the integration preselected
def _initial(client, query=""):
    return client.get(reverse("admin:sync_payout_import") + query).context["form"]["integration"].value()


def test_the_import_form_preselects_the_only_integration(admin_client, integration):
    assert _initial(admin_client) == integration.pk


def test_the_import_form_preselects_the_integration_the_list_was_filtered_by(admin_client, integration):
    other = IntegrationFactory()
    assert _initial(admin_client) is None  # two integrations: the user chooses
    assert _initial(admin_client, f"?integration={other.pk}") == other.pk
    assert _initial(admin_client, f"?integration__id__exact={integration.pk}") == integration.pk
    assert _initial(admin_client, "?integration=999999") is None

    listing = admin_client.get(reverse("admin:sync_payout_changelist"), {"integration__id__exact": other.pk})
    assert f'{reverse("admin:sync_payout_import")}?integration={other.pk}"' in listing.content.decode()
