"""Payout admin: import with a preview, the changelist at volume (case 19), a payout of thousands of lines."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sync.models import Payout, PayoutFormat, PayoutLine, PayoutUpload
from sync.payouts.services import payout_format_from_preset, payout_import
from tests.sync.test_payouts_import import GENERIC

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "payouts"
IMPORT = "admin:sync_payout_import"


@pytest.fixture
def generic():
    return payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)


def upload(admin_client, integration, fmt, content: str, name="p.csv", **extra):
    data = {
        "integration": integration.pk,
        "format": fmt.pk,
        "file": SimpleUploadedFile(name, content.encode()),
        **extra,
    }
    return admin_client.post(reverse(IMPORT), data)


def confirm(admin_client, preview_response):
    """Post the preview page's hidden form back, as the "Confirm import" button does."""
    html = preview_response.content.decode()
    form = html[html.index('id="koppla-payout-preview"') :]
    data = {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)
        if name != "csrfmiddlewaretoken"
    }
    assert {"integration", "format", "upload"} <= set(data) and "content" not in data  # a key, not the file
    return admin_client.post(reverse(IMPORT), {**data, "confirm": "Confirm import"}, follow=True)


# --------------------------------------------------------------------------- import: preview, then confirm
def test_problems_are_listed_with_their_rows_and_nothing_is_imported(admin_client, integration, generic):
    bad = upload(admin_client, integration, generic, (FIXTURES / "11a_payout_semicolon_decimal_comma.csv").read_text())
    html = bad.content.decode()
    assert "Nothing was imported" in html
    assert (
        "the file looks &#x27;;&#x27;-separated (its header reads as one column) but format “Demo PSP” expects "
        "&#x27;,&#x27;: change the format&#x27;s delimiter (Payout formats › Demo PSP › Delimiter)" in html
    )
    generic.delimiter = ";"
    generic.save()
    bad = upload(admin_client, integration, generic, (FIXTURES / "11a_payout_semicolon_decimal_comma.csv").read_text())
    html = bad.content.decode()
    assert "Row 2, column gross (value &#x27;1250,00&#x27;): not an amount for this format" in html
    assert "Preview:" not in html and not Payout.objects.exists()


def test_the_preview_shows_every_payout_and_writes_nothing_until_confirmed(admin_client, integration):
    adyen = payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)
    content = (FIXTURES / "13_adyen_two_merchant_accounts_same_batch.csv").read_text()
    preview = upload(admin_client, integration, adyen, content, name="batch42.csv")
    html = preview.content.decode()
    assert "Preview: nothing is imported until you confirm" in html
    assert "Payout 42 (KopplaEU)" in html and "Payout 42 (KopplaNL)" in html
    assert html.count("Balances: the net equals the bank amount to the cent.") == 2
    assert "99.15" in html and "198.30" in html and "1 payment, 1 bank transfer" in html
    assert not Payout.objects.exists()

    done = confirm(admin_client, preview)

    assert sorted(Payout.objects.values_list("merchant_account", "bank_amount", "file_name")) == [
        ("KopplaEU", Decimal("99.15"), "batch42.csv"),
        ("KopplaNL", Decimal("198.30"), "batch42.csv"),
    ]
    assert (
        "Imported payout Adyen payout 42 (KopplaEU): 2 lines, net 99.15\u00a0EUR, bank 99.15\u00a0EUR — balances to the cent."
        in done.content.decode()
    )


def test_the_preview_lists_the_skipped_totals_row_and_the_confirmed_payout_shows_its_report(
    admin_client, integration, generic
):
    preview = upload(admin_client, integration, generic, (FIXTURES / "12_payout_totals_footer.csv").read_text())
    assert "Row 6 (&#x27;Total&#x27;): a totals row, not counted" in preview.content.decode()
    figures = re.findall(r"<tr><th>([^<]+)</th><td[^>]*>([^<]+)</td></tr>", preview.content.decode())

    done = confirm(admin_client, preview)
    # The preview shows the figures exactly as the payout's page does: thousands separators, currency, minus sign.
    assert ("Captured payments", "1,749.00\u00a0SEK") in figures and ("Fees", "−43.73\u00a0SEK") in figures
    assert ("Refunds", "0.00\u00a0SEK") in figures
    shown = re.findall(r"<tr><th>([^<]+)</th><td[^>]*>([^<]+)</td></tr>", done.content.decode())
    assert len(figures) == 10 and set(figures) <= set(shown)

    html = done.content.decode()
    assert "balances to the cent" in html
    assert "Net paid out" in html and "1,705.27\u00a0SEK" in html and "The payout balances to the cent." in html
    assert "Booked in full, the ERP" in html
    assert Payout.objects.get().lines.count() == 3


def test_a_file_that_is_not_utf8_gets_a_sentence_not_a_traceback(admin_client, integration, generic):
    data = {
        "integration": integration.pk,
        "format": generic.pk,
        "file": SimpleUploadedFile("excel.csv", GENERIC.replace("1001", "Åhlén").encode("cp1252")),
    }
    html = admin_client.post(reverse(IMPORT), data).content.decode()
    assert "the file is not UTF-8 text: save it again as “CSV UTF-8” (Excel)" in html and not Payout.objects.exists()


def _confirm_key(admin_client, integration, fmt, key):
    data = {"integration": integration.pk, "format": fmt.pk, "upload": key, "confirm": "1"}
    return admin_client.post(reverse(IMPORT), data).content.decode()


def test_an_unknown_or_used_preview_key_is_refused(admin_client, integration, generic):
    html = _confirm_key(admin_client, integration, generic, "not-a-key")
    assert "the previewed file is no longer kept" in html and not Payout.objects.exists()

    preview = upload(admin_client, integration, generic, GENERIC)
    key = preview.context["form"]["upload"].value()
    confirm(admin_client, preview)
    assert Payout.objects.count() == 1 and not PayoutUpload.objects.exists()  # cleaned up after the import
    assert "the previewed file is no longer kept" in _confirm_key(admin_client, integration, generic, key)


def test_another_users_preview_key_is_refused(admin_client, client, integration, generic, django_user_model):
    preview = upload(admin_client, integration, generic, GENERIC)
    key = preview.context["form"]["upload"].value()
    other = django_user_model.objects.create_superuser("other", "other@example.com", "pw")
    client.force_login(other)

    html = _confirm_key(client, integration, generic, key)

    assert "the previewed file was uploaded by another user" in html and not Payout.objects.exists()
    assert PayoutUpload.objects.filter(key=key).exists()


def test_a_changed_or_expired_preview_is_refused(admin_client, integration, generic):
    preview = upload(admin_client, integration, generic, GENERIC)
    key = preview.context["form"]["upload"].value()
    PayoutUpload.objects.filter(key=key).update(content=GENERIC.replace("PO-77", "PO-78"))
    assert "the file changed since the preview — upload the file again" in _confirm_key(
        admin_client, integration, generic, key
    )
    PayoutUpload.objects.filter(key=key).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "the preview is older than 24 hours" in _confirm_key(admin_client, integration, generic, key)
    assert not Payout.objects.exists()


def test_a_settlement_file_larger_than_the_request_limit_is_confirmed(admin_client, integration):
    """Adyen, 32,000 rows: more than DATA_UPLOAD_MAX_MEMORY_SIZE, which a form field holding the file exceeded."""
    adyen = payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)
    header = (FIXTURES / "13_adyen_two_merchant_accounts_same_batch.csv").read_text().splitlines()[0]
    assert header.startswith("Company Account,Merchant Account,")
    columns = header.split(",")
    rows, total = [], Decimal("0")
    for i in range(32_000):
        gross, fee = Decimal(1000 + i) / 100, Decimal("0.35")
        total += gross - fee
        rows.append(_adyen_row(columns, Type="Settled", ref=str(100000 + i), credit=gross, fee=fee))
    rows.append(_adyen_row(columns, Type="MerchantPayout", ref="", debit=total))
    content = header + "\n" + "\n".join(rows) + "\n"
    assert len(content.encode()) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    done = confirm(admin_client, upload(admin_client, integration, adyen, content, name="big.csv"))

    payout = Payout.objects.get()
    assert payout.bank_amount == total and payout.lines.count() == 32_001
    assert "balances to the cent" in done.content.decode()


def _adyen_row(columns, *, Type, ref, credit=None, debit=None, fee=None):  # noqa: N803
    values = {
        "Company Account": "KopplaCo",
        "Merchant Account": "KopplaEU",
        "Merchant Reference": ref,
        "Psp Reference": f"psp{ref}" if ref else "",
        "Creation Date": "2026-11-20 10:00:00",
        "Type": Type,
        "Gross Currency": "EUR",
        "Net Currency": "EUR",
        "Gross Credit (GC)": str(credit) if credit is not None else "",
        "Gross Debit (GC)": str(debit) if debit is not None else "",
        "Net Credit (NC)": str(credit - fee) if credit is not None else "",
        "Net Debit (NC)": str(debit) if debit is not None else "",
        "Commission (NC)": str(fee) if fee is not None else "",
        "Batch Number": "77",
    }
    return ",".join(values.get(column, "") for column in columns)


# --------------------------------------------------------------------------- case 19: the changelist at volume
def make_payouts(integration, fmt, start, count):
    for n in range(start, start + count):
        payout_import(
            integration=integration,
            fmt=fmt,
            content=GENERIC.replace("fee,,,0,15.00,SEK,2026-11-21,PO-77\n", "").replace("PO-77", f"PO-{n}"),
        )


def changelist_queries(client, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:sync_payout_changelist"), params)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_19_the_changelist_runs_the_same_queries_for_5_and_50_payouts(admin_client, integration, generic):
    make_payouts(integration, generic, 1, 5)
    five, html = changelist_queries(admin_client)
    assert html.count('<b style="color:#c62828">no (15.00\u00a0SEK)</b>') == 5  # net 1505.27 vs bank 1490.27
    make_payouts(integration, generic, 6, 45)
    fifty, html = changelist_queries(admin_client)
    assert html.count('<td class="field-net_display">1,505.27\u00a0SEK</td>') == 50
    assert fifty == five, f"{five} queries for 5 payouts, {fifty} for 50"
    searched, html = changelist_queries(admin_client, q="1001")  # a search over lines does not multiply sums
    assert searched == five and html.count('<td class="field-net_display">1,505.27\u00a0SEK</td>') == 50


def test_19_equal_counts_with_a_currency_mapping_and_several_integrations(admin_client, integration, generic):
    from mappings.models import CurrencyMapping
    from tests.factories import IntegrationFactory

    CurrencyMapping.objects.create(integration=integration, shop_currency="SEK", erp_currency="SEK", decimals=2)
    other = IntegrationFactory()
    make_payouts(integration, generic, 1, 3)
    make_payouts(other, generic, 100, 2)
    five, _ = changelist_queries(admin_client)
    make_payouts(other, generic, 200, 45)
    fifty, _ = changelist_queries(admin_client)
    assert fifty == five


# --------------------------------------------------------------------------- a payout of thousands of lines
def big_payout(integration, fmt, rows=2500):
    lines = [f"payment,{1000 + n},psp-{n},10.00,0.25,SEK,2026-11-20,PO-BIG" for n in range(rows)]
    bank = Decimal("9.75") * rows
    return payout_import(
        integration=integration,
        fmt=fmt,
        content=GENERIC.splitlines()[0] + "\n" + "\n".join(lines) + f"\npayout,,,{bank},0,SEK,2026-11-22,PO-BIG\n",
    )


def test_a_payout_of_thousands_of_lines_opens_one_page_of_lines_in_constant_queries(admin_client, integration, generic):
    payout = big_payout(integration, generic)
    small = payout_import(integration=integration, fmt=generic, content=GENERIC)
    url = reverse("admin:sync_payout_change", args=[payout.pk])

    with CaptureQueriesContext(connection) as big_queries:
        response = admin_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<td>Payment</td>") == 100 and "Page 1 of 26 (rows 1–100)" in html
    assert "Lines (2501)" in html
    with CaptureQueriesContext(connection) as small_queries:
        admin_client.get(reverse("admin:sync_payout_change", args=[small.pk]))
    assert len(big_queries) <= len(small_queries) + 1  # + the paginator's count

    last = admin_client.get(url, {"lines_page": 26}).content.decode()
    assert "Page 26 of 26 (rows 2501–2501)" in last and "<td>Bank transfer</td>" in last


def test_the_lines_of_a_payout_filter_by_status(admin_client, integration, generic):
    payout = big_payout(integration, generic, rows=150)
    PayoutLine.objects.filter(payout=payout, line_no__in=[5, 77]).update(status=PayoutLine.Status.FAILED)
    html = admin_client.get(
        reverse("admin:sync_payout_change", args=[payout.pk]), {"line_status": "failed"}
    ).content.decode()
    assert html.count("<td>Failed</td>") == 2 and "failed (2)" in html and "koppla-lines-pages" not in html
