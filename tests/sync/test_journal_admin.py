"""The sales journal pages: entries and the orders' shares listed, filtered and found by order number or reference."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sync.models import JournalEntry, JournalShare

pytestmark = pytest.mark.django_db


@pytest.fixture
def journal(integration):
    entry = JournalEntry.objects.create(
        integration=integration,
        day="2026-11-30",
        currency="SEK",
        vat_category="SE25",
        sequence=1,
        reference="KOPPLA-2026-11-30-SEK-SE25-1",
        status="created",
        erp_number="100042",
        net=Decimal("180"),
        vat=Decimal("45"),
        gross=Decimal("225"),
        order_count=2,
    )
    other = JournalEntry.objects.create(
        integration=integration,
        day="2026-11-30",
        currency="SEK",
        vat_category="SE25",
        sequence=2,
        reference="KOPPLA-2026-11-30-SEK-SE25-2",
    )

    def share(number, entry=None, net="100.00", vat="25.00"):
        return JournalShare.objects.create(
            integration=integration,
            order_number=number,
            day="2026-11-30",
            currency="SEK",
            vat_category="SE25",
            lines=[{"account": "3001", "net": net}],
            net=Decimal(net),
            vat=Decimal(vat),
            gross=Decimal(net) + Decimal(vat),
            entry=entry,
        )

    share("20001", entry), share("20002", entry, "80.00", "20.00"), share("20003", other), share("20004")
    return entry


def rows(response) -> list:
    return list(response.context["cl"].result_list)


def test_entries_are_found_by_an_order_number_in_them_or_their_reference(admin_client, journal):
    url = reverse("admin:sync_journalentry_changelist")
    assert rows(admin_client.get(url, {"q": "20002"})) == [journal]
    assert rows(admin_client.get(url, {"q": "KOPPLA-2026-11-30-SEK-SE25-1"})) == [journal]
    page = admin_client.get(url, {"status__exact": "pending"})
    assert [entry.reference for entry in rows(page)] == ["KOPPLA-2026-11-30-SEK-SE25-2"]

    detail = admin_client.get(reverse("admin:sync_journalentry_change", args=[journal.pk])).content.decode()
    assert "20001" in detail and "20002" in detail and "225.00\xa0SEK" in detail


def test_shares_show_what_waits_and_where_each_order_went(admin_client, journal):
    url = reverse("admin:sync_journalshare_changelist")
    assert [s.order_number for s in rows(admin_client.get(url, {"in_entry": "no"}))] == ["20004"]
    assert {s.order_number for s in rows(admin_client.get(url, {"q": journal.reference}))} == {"20001", "20002"}
    page = admin_client.get(url, {"q": "20001"}).content.decode()
    assert "100042" in page and "125.00\xa0SEK" in page


def test_the_integration_page_asks_for_the_journal_receivable_account(admin_client, integration):
    page = admin_client.get(reverse("admin:sync_integration_change", args=[integration.pk])).content.decode()
    section = page[page.index("ERP document defaults (sales orders and journal entries)</h2>") :]
    assert 'name="journal_receivable_account"' in section[: section.index("</fieldset>")]
