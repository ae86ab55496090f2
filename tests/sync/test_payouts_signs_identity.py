"""Settlement files as a tester tried them (issue 13): identity across format rows and letter case, typed
payout ids, fees on the transfer row, signs per provider, fee rows larger than their payment, headers,
rows without the merchant account of their batch."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from sync.models import Payout, PayoutFormat, PayoutLine
from sync.payouts.services import (
    PayoutFileError,
    payout_file_import,
    payout_format_from_preset,
    payout_import,
    payout_report,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "payouts"
GEN = "type,order_number,psp_reference,gross,fee,currency,date,payout\n"
STRIPE = "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Transfer,order_number (metadata)\n"
ADYEN = (
    "Company Account,Merchant Account,Psp Reference,Merchant Reference,Creation Date,Type,Gross Currency,"
    "Gross Debit (GC),Gross Credit (GC),Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC),"
    "Scheme Fees (NC),Interchange (NC),Batch Number\n"
)


def problems_of(**kwargs) -> list[str]:
    with pytest.raises(PayoutFileError) as exc:
        payout_file_import(**kwargs)
    assert not Payout.objects.exists() or kwargs.get("allow_existing")
    return exc.value.problems


# --------------------------------------------------------------------------- identity (findings 2, 3)
def test_a_file_is_not_imported_again_under_a_second_format_row_of_the_same_provider(integration, adyen):
    copy = payout_format_from_preset(name="Adyen (copy)", preset=PayoutFormat.Preset.ADYEN)
    content = (FIXTURES / "13_adyen_two_merchant_accounts_same_batch.csv").read_text()
    payout_file_import(integration=integration, fmt=adyen, content=content)

    with pytest.raises(PayoutFileError) as exc:
        payout_file_import(integration=integration, fmt=copy, content=content)

    problem = exc.value.problems[0]
    assert problem.startswith("Payout 42 (KopplaEU) was already imported on ")
    assert problem.endswith(
        " from a file without a name with the format Adyen: open it to book or check its lines."
    )  # the format it was imported with
    assert problem.count("42") == 1 and problem.payout_pk == Payout.objects.get(merchant_account="KopplaEU").pk
    assert sorted(Payout.objects.values_list("provider", "merchant_account", "reference")) == [
        ("adyen", "KopplaEU", "42"),
        ("adyen", "KopplaNL", "42"),
    ]


def test_two_generic_formats_read_two_providers(integration, generic):
    other = payout_format_from_preset(name="Other PSP", preset=PayoutFormat.Preset.GENERIC)
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-22,PO-1\n"
    payout_import(integration=integration, fmt=generic, content=content)
    payout_import(integration=integration, fmt=other, content=content)
    assert Payout.objects.count() == 2


def test_the_database_refuses_a_payout_differing_only_in_letter_case(integration, generic):
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-22,PO-1\n"
    payout = payout_import(integration=integration, fmt=generic, content=content)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.create(
            integration=integration, format=generic, provider=payout.provider, reference="po-1", currency="SEK"
        )


def test_a_typed_payout_id_is_compared_ignoring_case_and_may_not_contradict_the_file(integration, generic):
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-22,PO-1\n"
    payout = payout_import(integration=integration, fmt=generic, content=content, reference="po-1")
    assert payout.reference == "PO-1"  # the file's spelling

    with pytest.raises(PayoutFileError) as again:
        payout_import(integration=integration, fmt=generic, content=content, reference="po-1")
    assert again.value.problems[0].startswith("Payout PO-1 was already imported on ")

    other = content.replace("PO-1", "PO-2")
    with pytest.raises(PayoutFileError) as typed:
        payout_import(integration=integration, fmt=generic, content=other, reference="PO-9")
    assert typed.value.problems == [
        "the payout id you entered (PO-9) is not the file's (PO-2, column payout): leave it blank, the file's id is used"
    ]
    assert list(Payout.objects.values_list("reference", flat=True)) == ["PO-1"]


def test_a_typed_payout_id_names_a_file_without_one(integration):
    fmt = payout_format_from_preset(name="No ids", preset=PayoutFormat.Preset.GENERIC)
    fmt.col_payout = ""
    fmt.save()
    content = GEN.replace(",payout\n", "\n") + "payment,1001,p1,100.00,1.00,SEK,2026-11-20\n"
    payout = payout_import(integration=integration, fmt=fmt, content=content, reference="B-7", bank_amount=99)
    assert payout.reference == "B-7"


# --------------------------------------------------------------------------- fee on the transfer row (finding 6)
def test_a_fee_on_the_transfer_row_is_written_off_with_the_largest_payment(integration, generic):
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-3\npayout,,,98.50,0.50,SEK,2026-11-22,PO-3\n"
    payout = payout_import(integration=integration, fmt=generic, content=content)
    report = payout_report(payout=payout)
    assert report.balances and report.erp_equals_bank and report.erp_cash == Decimal("98.50")
    assert payout.lines.get(kind="payment").carried_fee == Decimal("0.50")
    assert (
        payout.lines.get(kind="payout").message
        == "Fee 0.50\u00a0SEK written off with the payment of row 2 (order 1001)."
    )


def test_a_transfer_fee_no_payment_can_carry_is_to_book_by_hand_and_not_called_balanced(
    admin_client, integration, generic
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    content = GEN + "payment,1001,p1,1.00,0.60,SEK,2026-11-20,PO-3\npayout,,,-0.10,0.50,SEK,2026-11-22,PO-3\n"
    url = reverse("admin:sync_payout_import")
    preview = admin_client.post(
        url,
        {"integration": integration.pk, "format": generic.pk, "file": SimpleUploadedFile("p.csv", content.encode())},
    )
    assert "−0.50\u00a0SEK is left to book by hand" in preview.content.decode()
    # The preview says "balances" only when nothing is left to book by hand (the README's walk-through).
    assert "Balances:" not in preview.content.decode()
    assert "The file's net equals the bank amount to the cent." in preview.content.decode()
    key = preview.context["form"]["upload"].value()

    done = admin_client.post(
        url, {"integration": integration.pk, "format": generic.pk, "upload": key, "confirm": "1"}, follow=True
    )

    payout = Payout.objects.get()
    transfer = payout.lines.get(kind="payout")
    assert transfer.status == PayoutLine.Status.MANUAL and "book it by hand" in transfer.message
    report = payout_report(payout=payout)
    assert report.balances and not report.erp_equals_bank and report.by_hand == Decimal("-0.50")
    html = done.content.decode()
    assert "balances to the cent" not in html and "but −0.50\u00a0SEK is left to book by hand" in html
    listing = admin_client.get(reverse("admin:sync_payout_changelist")).content.decode()
    assert "net yes; −0.50\u00a0SEK to book by hand" in listing


# --------------------------------------------------------------------------- signs (finding 7)
@pytest.mark.parametrize(
    ("preset", "content", "problem"),
    [
        (
            PayoutFormat.Preset.GENERIC,
            GEN + "payment,1001,p1,-100.00,1.00,SEK,2026-11-20,PO-2\npayout,,,101.00,0,SEK,2026-11-22,PO-2\n",
            "Row 2, column gross (value '-100.00'): a payment must be positive in this format (“F”)",
        ),
        (
            PayoutFormat.Preset.GENERIC,
            GEN + "refund,1001,p1,-10.00,0,SEK,2026-11-20,PO-2\npayout,,,10.00,0,SEK,2026-11-22,PO-2\n",
            "Row 2, column gross (value '-10.00'): a refund must be positive in this format (“F”)",
        ),
        (
            PayoutFormat.Preset.STRIPE,
            STRIPE + "t1,refund,re_1,20.00,0.00,20.00,sek,2026-11-20 11:00:00,po_1,1002\n"
            "t2,payout,po_1,-20.00,0.00,-20.00,sek,2026-11-21 10:00:00,po_1,\n",
            "Row 2, column Amount (value '20.00'): a refund must be negative in this format (“F”)",
        ),
        (
            PayoutFormat.Preset.ADYEN,
            ADYEN + "Co,KopplaEU,111,1001,2026-11-20 10:00:00,Settled,EUR,100.00,,EUR,99.00,,,1.00,,,42\n"
            "Co,KopplaEU,,,2026-11-21 06:00:00,MerchantPayout,EUR,99.00,,EUR,99.00,,,,,,42\n",
            "Row 2, column Gross Debit (GC) (value '100.00'): a payment must be a credit (column Gross Credit (GC)) "
            "in format “F”",
        ),
    ],
)
def test_a_sign_that_contradicts_the_row_kind_is_refused_by_name(integration, preset, content, problem):
    fmt = payout_format_from_preset(name="F", preset=preset)
    assert problem in problems_of(integration=integration, fmt=fmt, content=content)


def test_a_transfer_keeps_its_sign(integration, generic, stripe):
    # Stripe: a payout is negative (it leaves the Stripe balance); a returned one is positive: the bank got 0.
    returned = (
        STRIPE + "t1,charge,ch_1,100.00,3.20,96.80,sek,2026-11-20 10:00:00,po_1,1001\n"
        "t2,payout,po_1,-96.80,0.00,-96.80,sek,2026-11-21 10:00:00,po_1,\n"
        "t3,payout,po_1,96.80,0.00,96.80,sek,2026-11-22 10:00:00,po_1,\n"
    )
    payout = payout_import(integration=integration, fmt=stripe, content=returned)
    assert payout.bank_amount == Decimal("0.00") and not payout_report(payout=payout).balances
    # Generic: a transfer of more fees than payments is taken from the bank (negative), not paid to it.
    debited = (
        GEN + "payment,1001,p1,1.00,0.10,SEK,2026-11-20,P\nfee,,,,5.00,SEK,2026-11-20,P\npayout,,,-4.10,0,SEK,,P\n"
    )
    payout = payout_import(integration=integration, fmt=generic, content=debited)
    assert payout.bank_amount == Decimal("-4.10") and payout_report(payout=payout).balances


def test_a_generic_fee_row_is_positive_in_its_gross_column(integration, generic):
    content = GEN + (
        "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-4\n"
        "fee,1001,p1,0.50,,SEK,2026-11-20,PO-4\n"
        "payout,,,98.50,0,SEK,2026-11-22,PO-4\n"
    )
    payout = payout_import(integration=integration, fmt=generic, content=content)
    report = payout_report(payout=payout)
    assert report.balances and report.erp_equals_bank
    assert payout.lines.get(kind="payment").fee == Decimal("1.50")


# --------------------------------------------------------------------------- fee row > payment (finding 8)
def test_a_fee_row_larger_than_its_payment_is_not_folded_into_it(integration, generic):
    content = GEN + (
        "payment,1001,p1,1.00,0.10,SEK,2026-11-20,P\n"
        "fee,1001,p1,,5.00,SEK,2026-11-20,P\n"
        "payout,,,-4.10,0,SEK,2026-11-22,P\n"
    )
    payout = payout_import(integration=integration, fmt=generic, content=content)
    payment, fee = payout.lines.get(kind="payment"), payout.lines.get(kind="fee")
    assert (payment.fee, payment.carried_fee) == (Decimal("0.10"), Decimal("0.00"))
    assert fee.status == PayoutLine.Status.MANUAL and fee.fee == Decimal("5.00")
    assert fee.message.startswith("Fee 5.00\u00a0SEK: no payment of this payout can carry it as a write-off")
    assert payout_report(payout=payout).by_hand == Decimal("-5.00")


# --------------------------------------------------------------------------- headers (finding 9)
def test_headers_match_ignoring_case_spaces_and_a_byte_order_mark(integration, generic):
    content = (
        "\ufeff Type ,Order_Number,PSP_Reference, GROSS,Fee,Currency,Date,Payout\n"
        "payment,1001,p1,100.00,1.00,SEK,2026-11-20,P\npayout,,,99.00,0,SEK,2026-11-22,P\n"
    )
    payout = payout_import(integration=integration, fmt=generic, content=content)
    assert payout.bank_amount == Decimal("99.00") and payout.lines.count() == 2


@pytest.mark.parametrize(("separator", "name"), [(";", "';'"), ("\t", "tab")])
def test_a_file_with_another_separator_is_named(integration, generic, separator, name):
    content = (GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,P\n").replace(",", separator)
    assert problems_of(integration=integration, fmt=generic, content=content) == [
        f"the file looks {name}-separated (its header reads as one column) but format “Generic PSP” expects ',': "
        "change the format's delimiter (Payout formats › Generic PSP › Delimiter) or save the file ','-separated"
    ]


# --------------------------------------------------------------------------- merchant account (finding 13)
def test_rows_without_the_merchant_account_of_their_batch_are_named(integration, adyen):
    content = ADYEN + (
        "Co,KopplaEU,111,1001,2026-11-20 10:00:00,Settled,EUR,,100.00,EUR,,99.00,,1.00,,,42\n"
        "Co,,,,2026-11-20 10:00:00,MiscCosts,EUR,,,EUR,0.50,,,,,,42\n"
        "Co,KopplaEU,,,2026-11-21 06:00:00,MerchantPayout,EUR,98.50,,EUR,98.50,,,,,,42\n"
    )
    assert problems_of(integration=integration, fmt=adyen, content=content) == [
        "Row(s) 3: no merchant account in column Merchant Account while the other rows of payout 42 have one "
        "(KopplaEU); fill in the merchant account the row(s) belong to"
    ]


@pytest.mark.django_db(transaction=True)
def test_the_identity_migration_names_a_settlement_imported_twice_and_changes_nothing(integration):
    """Before 0016 one settlement could be imported under two formats of one provider; the migration says
    which payouts repeat which, instead of failing on the new unique rule with a database error."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("sync", "0015_payout_identity_merchant_account_row_kinds")]
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        PayoutFormat = apps.get_model("sync", "PayoutFormat")
        Payout = apps.get_model("sync", "Payout")
        first = PayoutFormat.objects.create(name="Adyen", preset="adyen")
        copy = PayoutFormat.objects.create(name="Adyen (copy)", preset="adyen")
        kept = Payout.objects.create(
            integration_id=integration.pk, format=first, merchant_account="KopplaEU", reference="42"
        )
        extra = Payout.objects.create(
            integration_id=integration.pk, format=copy, merchant_account="KopplaEU", reference="42"
        )

        with pytest.raises(RuntimeError) as exc:
            MigrationExecutor(connection).migrate(latest)
        assert f"payout #{extra.pk} repeats payout #{kept.pk} (adyen 42)" in str(exc.value)
        assert "Delete the extra payout" in str(exc.value)

        Payout.objects.filter(pk=extra.pk).delete()
        MigrationExecutor(connection).migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)
