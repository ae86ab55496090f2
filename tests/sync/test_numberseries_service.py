"""The customer number-series check against the Visma.net sandbox: capacity, overlap, warnings."""

import pytest
from django.core import mail
from django.urls import reverse

from integrations.models import Connection
from integrations.visma_net import demo_data
from integrations.visma_net import sandbox as visma
from sync.models import Integration, Notification, NumberSeriesCheck
from sync.services import number_series_check_run
from tests.factories import ConnectionFactory, IntegrationFactory


@pytest.fixture
def erp(visma_connection):
    demo_data.seed()
    return visma_connection


def shop_on(erp: Connection, name: str, **fields) -> Integration:
    return Integration.objects.create(
        name=name, shop=ConnectionFactory(system="centra"), erp=erp, notify_emails="ops@example.com", **fields
    )


def second_connection(erp: Connection, **fields) -> Connection:
    """Another connection to the same sandbox (e.g. a second set of credentials)."""
    copy = Connection.objects.get(pk=erp.pk)
    copy.pk = None
    copy.name = "Visma.net (second login)"
    for key, value in fields.items():
        setattr(copy, key, value)
    copy.save()
    return copy


def test_a_healthy_series_is_ok_with_its_capacity(erp):
    shop = shop_on(erp, "Shop SE")
    visma.numbering_last_set("CUSTOMER", 10041)

    (check,) = number_series_check_run()

    assert (check.integration, check.connection, check.numbering_id) == (shop, erp, "CUSTOMER")
    assert (check.start_number, check.end_number, check.last_number) == ("10000", "19999", "10041")
    assert check.remaining == 19999 - 10041 and check.status == NumberSeriesCheck.Status.OK
    assert check.description == "Customers" and check.overlaps_with == ""
    assert mail.outbox == []


def test_low_capacity_warns_and_tells_the_contacts_once(erp, django_capture_on_commit_callbacks):
    shop = shop_on(erp, "Shop SE", number_series_warn_below=500)
    visma.numbering_last_set("CUSTOMER", 19800)

    with django_capture_on_commit_callbacks(execute=True):
        (check,) = number_series_check_run(integration=shop)
        number_series_check_run(integration=shop)

    assert check.status == NumberSeriesCheck.Status.WARNING and check.remaining == 199
    assert "only 199 numbers left (warning below 500)" in check.message.lower()
    assert len(mail.outbox) == 1  # the second check within the hour is not sent again
    assert "CUSTOMER is running low" in mail.outbox[0].subject
    assert "199 left" in mail.outbox[0].body
    assert Notification.objects.get(key="number_series:CUSTOMER").suppressed == 1
    assert NumberSeriesCheck.objects.count() == 2  # every reading is kept


def test_an_exhausted_series_is_an_error(erp):
    shop_on(erp, "Shop SE")
    visma.numbering_last_set("CUSTOMER", 19999)

    (check,) = number_series_check_run()

    assert check.status == NumberSeriesCheck.Status.ERROR and check.remaining == 0
    assert "No numbers are left" in check.message


def test_overlapping_ranges_of_two_integrations_in_one_company_are_errors(erp, django_capture_on_commit_callbacks):
    visma.numbering_put("CUSTB", "Customers of the B2B shop", start="15000", end="24999")
    se = shop_on(erp, "Shop SE")
    b2b = shop_on(erp, "Shop B2B", customer_numbering_id="CUSTB")

    with django_capture_on_commit_callbacks(execute=True):
        checks = {c.integration: c for c in number_series_check_run(integration=b2b)}

    assert set(checks) == {se, b2b}  # the others on the same company are read too
    assert checks[se].overlaps_with == "Shop B2B" and checks[b2b].overlaps_with == "Shop SE"
    assert {c.status for c in checks.values()} == {NumberSeriesCheck.Status.ERROR}
    assert "customers will collide" in checks[b2b].message
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2 and all("overlaps another integration's" in s for s in subjects)


def test_separate_ranges_and_a_shared_sequence_do_not_collide(erp):
    visma.numbering_put("CUSTB", "Customers of the B2B shop", start="20000", end="29999")
    shop_on(erp, "Shop SE")
    shop_on(erp, "Shop DK")  # same CUSTOMER sequence: the ERP hands out each number once
    shop_on(erp, "Shop B2B", customer_numbering_id="CUSTB")

    checks = {c.integration.name: c for c in number_series_check_run()}

    assert {c.status for c in checks.values()} == {NumberSeriesCheck.Status.OK}
    assert "Shared with Shop DK" in checks["Shop SE"].message
    assert checks["Shop B2B"].remaining == 10000


def test_overlap_counts_only_within_one_erp_company(erp):
    visma.numbering_put("CUSTB", "Customers of the B2B shop", start="15000", end="24999")
    other_company = second_connection(erp)
    shop_on(erp, "Shop SE")
    shop_on(other_company, "Shop B2B", customer_numbering_id="CUSTB")

    assert {c.status for c in number_series_check_run()} == {NumberSeriesCheck.Status.OK}

    # The same tenant behind both connections: one company, so the ranges collide.
    Connection.objects.filter(pk__in=[erp.pk, other_company.pk]).update(tenant_id="tenant-1")
    assert {c.status for c in number_series_check_run()} == {NumberSeriesCheck.Status.ERROR}


def test_an_unknown_sequence_is_reported_with_where_to_fix_it(erp):
    shop_on(erp, "Shop SE", customer_numbering_id="NOPE")

    (check,) = number_series_check_run()

    assert check.status == NumberSeriesCheck.Status.ERROR and check.remaining is None
    assert "Visma.net has no number sequence 'NOPE'" in check.message
    assert "Integrations › Monitoring" in check.message


def test_only_visma_net_integrations_are_checked(erp):
    IntegrationFactory(erp=ConnectionFactory(system="fortnox"))
    assert number_series_check_run() == []


# --------------------------------------------------------------------------- admin
def test_check_now_button_and_the_warnings_on_the_list(admin_client, erp):
    shop_on(erp, "Shop SE", number_series_warn_below=500)
    visma.numbering_last_set("CUSTOMER", 19900)
    changelist = reverse("admin:sync_numberseriescheck_changelist")
    assert 'id="koppla-number-series-check"' in admin_client.get(changelist).content.decode()

    response = admin_client.post(reverse("admin:sync_numberseriescheck_check"), follow=True)

    page = response.content.decode()
    check = NumberSeriesCheck.objects.get()
    assert check.status == NumberSeriesCheck.Status.WARNING
    assert "Shop SE: CUSTOMER: Only 99 numbers left" in page  # the message after the check
    assert "number series need attention" in page  # the box of the latest problems


def test_check_action_rechecks_the_selected_rows(admin_client, erp):
    shop_on(erp, "Shop SE")
    number_series_check_run()
    visma.numbering_last_set("CUSTOMER", 19999)
    first = NumberSeriesCheck.objects.get()

    admin_client.post(
        reverse("admin:sync_numberseriescheck_changelist"),
        {"action": "check_again", "_selected_action": [first.pk]},
        follow=True,
    )

    newest = NumberSeriesCheck.objects.latest()
    assert newest.pk != first.pk and newest.status == NumberSeriesCheck.Status.ERROR


def test_check_now_needs_a_post(admin_client, erp):
    assert admin_client.get(reverse("admin:sync_numberseriescheck_check")).status_code == 403


def test_the_daily_check_waits_until_the_erp_is_connected_but_check_now_tries(erp):
    shop = shop_on(erp, "Shop SE")
    Connection.objects.filter(pk=erp.pk).update(status=Connection.Status.NEW)

    assert number_series_check_run() == []
    assert mail.outbox == [] and not NumberSeriesCheck.objects.exists()

    (check,) = number_series_check_run(integration=shop)
    assert check.numbering_id == "CUSTOMER" and check.remaining is not None
