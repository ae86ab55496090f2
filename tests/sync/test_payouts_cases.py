"""The ops cases of settlement files (issue 13: 11a, 12, 13, 14b, 15) and one realistic file per preset."""

from decimal import Decimal
from pathlib import Path

import pytest

from sync.models import Payout, PayoutFormat, PayoutLine
from sync.payouts.files import amount_parse
from sync.payouts.services import (
    PayoutFileError,
    payout_file_import,
    payout_file_preview,
    payout_format_from_preset,
    payout_import,
    payout_report,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "payouts"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def problems_of(**kwargs) -> list[str]:
    with pytest.raises(PayoutFileError) as exc:
        payout_file_import(**kwargs)
    assert not Payout.objects.exists() and not PayoutLine.objects.exists()
    return exc.value.problems


# --------------------------------------------------------------------------- 11a: amounts at the format's scale
def test_11a_decimal_commas_in_a_decimal_point_format_are_refused_not_read_at_100_times(integration, generic):
    generic.delimiter = ";"
    generic.save()
    problems = problems_of(integration=integration, fmt=generic, content=read("11a_payout_semicolon_decimal_comma.csv"))
    assert problems[0] == (
        "The amounts use the decimal separator ',' (e.g. '1250,00'), but format “Generic PSP” reads '.': choose a format "
        "whose decimal separator is ',', or change it under Payout formats › Generic PSP › Decimal separator"
    )
    assert problems[1] == (
        "Row 2, column gross (value '1250,00'): not an amount for this format (decimal separator '.'); "
        "Row 2, column fee (value '31,25'): not an amount for this format (decimal separator '.')"
    )
    assert any(p.startswith("Row 4, column gross (value '1705,27')") for p in problems)


def test_no_separator_hint_when_a_refused_amount_is_no_amount_either_way(integration, generic):
    content = read("12_payout_totals_footer.csv").replace("499.00", "4x9.00")
    problems = problems_of(integration=integration, fmt=generic, content=content)
    assert problems == ["Row 3, column gross (value '4x9.00'): not an amount for this format (decimal separator '.')"]


def test_11a_the_same_file_with_a_decimal_comma_format_balances(integration, generic):
    generic.delimiter, generic.decimal_separator = ";", ","
    generic.save()
    payout = payout_import(integration=integration, fmt=generic, content=read("11a_payout_semicolon_decimal_comma.csv"))
    report = payout_report(payout=payout)
    assert report.payments == Decimal("1749.00") and report.fees == Decimal("43.73")
    assert report.net == Decimal("1705.27") == payout.bank_amount and report.balances


@pytest.mark.parametrize(
    "text, separator, expected",
    [
        ("1250,00", ".", None),
        ("1.250,00", ".", None),
        ("1,250", ".", None),  # could be 1.25 with a decimal comma: refused
        ("1,250.00", ".", Decimal("1250.00")),
        ("1 250.00", ".", Decimal("1250.00")),
        ("12.345", ".", None),  # a third decimal would be rounded away
        ("-200.00", ".", Decimal("-200.00")),
        ("200.00-", ".", Decimal("-200.00")),
        ("1250.00", ",", None),
        ("1.250", ",", None),
        ("1.250,00", ",", Decimal("1250.00")),
        ("1 250,50", ",", Decimal("1250.50")),
        ("", ".", Decimal("0")),
    ],
)
def test_amounts_are_read_at_the_formats_scale_or_refused(text, separator, expected):
    assert amount_parse(text, decimal_separator=separator) == expected


def test_an_unquoted_decimal_comma_in_a_comma_file_is_refused_not_shifted(integration, generic):
    content = "type,order_number,psp_reference,gross,fee,currency,date,payout\npayment,1001,p1,1250,00,31,25,SEK,2026-11-20,PO-1\n"
    problems = problems_of(integration=integration, fmt=generic, content=content)
    assert problems == [
        "Row 2: 10 values but the header has 8 columns (an amount with a decimal comma in a file separated by ','? "
        "quote it, or change the format's delimiter)"
    ]


# --------------------------------------------------------------------------- 12: totals rows
def test_12_the_totals_footer_is_skipped_and_its_fee_never_counted(integration, generic):
    preview = payout_file_preview(integration=integration, fmt=generic, content=read("12_payout_totals_footer.csv"))
    assert preview.skipped == ["Row 6 ('Total'): a totals row, not counted"]
    payout = payout_import(integration=integration, fmt=generic, content=read("12_payout_totals_footer.csv"))
    assert list(payout.lines.values_list("line_no", flat=True)) == [2, 3, 4]
    report = payout_report(payout=payout)
    assert report.fees == Decimal("43.73") and report.payments == Decimal("1749.00")
    assert report.net == Decimal("1705.27") and report.balances


@pytest.mark.parametrize("word", ["Totals", "SUM", "Summa", "Total:"])
def test_other_totals_words_and_typeless_amount_rows_are_skipped(integration, generic, word):
    content = read("12_payout_totals_footer.csv").replace("Total,", f"{word},") + ",,,1749.00,43.73,SEK,,\n"
    preview = payout_file_preview(integration=integration, fmt=generic, content=content)
    assert len(preview.skipped) == 2 and preview.payouts[0].figures.fees == Decimal("43.73")


def test_an_unknown_row_type_is_refused_naming_the_known_types(integration, generic):
    content = read("12_payout_totals_footer.csv").replace("payment,1002", "payment_reversal,1002")
    problems = problems_of(integration=integration, fmt=generic, content=content)
    assert problems == [
        "Row 3, column type (value 'payment_reversal'): not a row type of format “Generic PSP”; known types: "
        "payment: payment; refund: refund; chargeback: chargeback; fee: fee; adjustment: adjustment; "
        "bank transfer: payout. Add it to the format's type values or remove the row"
    ]


# --------------------------------------------------------------------------- 13: identity per merchant account
def test_13_two_merchant_accounts_in_one_batch_make_two_payouts(integration, adyen):
    payouts = payout_file_import(
        integration=integration, fmt=adyen, content=read("13_adyen_two_merchant_accounts_same_batch.csv")
    )
    assert [(p.reference, p.merchant_account, p.bank_amount) for p in payouts] == [
        ("42", "KopplaEU", Decimal("99.15")),
        ("42", "KopplaNL", Decimal("198.30")),
    ]
    for payout in payouts:
        report = payout_report(payout=payout)
        assert report.net == payout.bank_amount and report.balances and report.erp_equals_bank
    assert str(payouts[1]) == "Adyen payout 42 (KopplaNL)"
    with pytest.raises(PayoutFileError) as exc:
        payout_file_import(
            integration=integration, fmt=adyen, content=read("13_adyen_two_merchant_accounts_same_batch.csv")
        )
    assert [p.split(" was already imported")[0] for p in exc.value.problems] == [
        "Payout 42 (KopplaEU)",
        "Payout 42 (KopplaNL)",
    ]
    assert Payout.objects.count() == 2


def test_13_a_second_file_for_another_account_is_not_already_imported(integration, adyen):
    header, eu1, eu2, nl1, nl2 = read("13_adyen_two_merchant_accounts_same_batch.csv").splitlines()
    payout_import(integration=integration, fmt=adyen, content="\n".join([header, eu1, eu2]))
    nl = payout_import(integration=integration, fmt=adyen, content="\n".join([header, nl1, nl2]))
    assert (nl.merchant_account, nl.bank_amount) == ("KopplaNL", Decimal("198.30"))
    assert payout_report(payout=nl).balances


def test_13_a_file_of_several_payouts_takes_no_typed_reference_or_bank_amount(integration, adyen):
    problems = problems_of(
        integration=integration,
        fmt=adyen,
        content=read("13_adyen_two_merchant_accounts_same_batch.csv"),
        bank_amount=Decimal("297.45"),
    )
    assert problems[0].startswith("the file holds 2 payouts (42 (KopplaEU), 42 (KopplaNL)): leave the payout id")


# --------------------------------------------------------------------------- 14b: currencies
def test_14b_gross_in_sek_and_net_in_eur_is_refused_naming_both(integration, adyen):
    problems = problems_of(integration=integration, fmt=adyen, content=read("14b_adyen_gross_sek_net_eur.csv"))
    assert len(problems) == 1
    assert problems[0].startswith(
        "Row 2: gross currency SEK (column Gross Currency) differs from net currency EUR (column Net Currency); "
        "Koppla books a payout in one currency and does not convert"
    )


def test_rows_of_one_payout_in_two_currencies_are_refused(integration, generic):
    content = read("15_generic_refund_with_fee.csv").replace("200.00,0.50,SEK", "200.00,0.50,EUR")
    problems = problems_of(integration=integration, fmt=generic, content=content)
    assert problems == [
        "payout PO-78 has rows in EUR and SEK (EUR: row(s) 3; SEK: row(s) 2, 4): a payout is paid in one currency; "
        "correct the file or the format's currency column"
    ]


# --------------------------------------------------------------------------- 15: every fee reaches the ERP
def test_15_the_fee_on_a_refund_is_written_off_with_a_payment_so_the_erp_cash_equals_the_bank(integration, generic):
    payout = payout_import(integration=integration, fmt=generic, content=read("15_generic_refund_with_fee.csv"))
    report = payout_report(payout=payout)
    assert report.fees == Decimal("31.75") and report.net == Decimal("1018.25") and report.balances
    # Cash booked in the ERP: payment 1250.00 − written off (31.25 + 0.50) − refund 200.00.
    assert report.erp_cash == Decimal("1018.25") == payout.bank_amount and report.erp_equals_bank
    payment, refund = payout.lines.get(kind="payment"), payout.lines.get(kind="refund")
    assert (payment.fee, payment.carried_fee) == (Decimal("31.25"), Decimal("0.50"))
    assert refund.message == "Fee 0.50\u00a0SEK written off with the payment of row 2 (order 1001)."


def test_a_fee_no_payment_can_carry_is_to_book_by_hand_and_the_report_says_so(integration, generic):
    content = (
        "type,order_number,psp_reference,gross,fee,currency,date,payout\n"
        "refund,1003,psp-3,200.00,0.50,SEK,2026-11-21,PO-79\n"
        "payout,,,200.50,0,SEK,2026-11-22,PO-79\n"
    ).replace("200.50,0", "-200.50,0")
    payout = payout_import(integration=integration, fmt=generic, content=content)
    report = payout_report(payout=payout)
    assert report.net == Decimal("-200.50") and report.erp_cash == Decimal("-200.00")
    assert report.by_hand == Decimal("-0.50") and not report.erp_equals_bank
    assert "no payment of this payout can carry it" in payout.lines.get(kind="refund").message


# --------------------------------------------------------------------------- realistic files per preset
@pytest.mark.parametrize(
    "preset, name, bank, expected",
    [
        (
            PayoutFormat.Preset.ADYEN,
            "adyen_settlement_details_batch118.csv",
            None,
            # payments, refunds, chargebacks, fees, adjustments, net, erp cash, by hand, (account, reference)
            ("1749.00", "200.00", "300.00", "59.23", "5.00", "1194.77", "1489.77", "-295.00", ("KopplaSE", "118")),
        ),
        (
            PayoutFormat.Preset.KLARNA,
            "klarna_settlement_2611210001.csv",
            Decimal("1203.10"),
            ("1500.00", "150.00", "80.00", "61.90", "-5.00", "1203.10", "1288.10", "-85.00", ("K501234", "2611210001")),
        ),
        (
            PayoutFormat.Preset.STRIPE,
            "stripe_balance_transactions_po_1QxY.csv",
            None,
            ("1749.00", "200.00", "300.00", "203.09", "0", "1045.91", "1345.91", "-300.00", ("", "po_1QxY")),
        ),
    ],
)
def test_each_presets_sample_file_counts_every_row_kind_and_balances(integration, preset, name, bank, expected):
    fmt = payout_format_from_preset(name=preset.label, preset=preset)
    payout = payout_import(integration=integration, fmt=fmt, content=read(name), bank_amount=bank)
    report = payout_report(payout=payout)
    figures = (report.payments, report.refunds, report.chargebacks, report.fees, report.adjustments, report.net)
    assert figures + (report.erp_cash, report.by_hand) == tuple(Decimal(v) for v in expected[:8])
    assert (payout.merchant_account, payout.reference, payout.currency) == (*expected[8], "SEK")
    assert report.balances and report.net == payout.bank_amount
    kinds = set(payout.lines.values_list("kind", flat=True))
    assert {"payment", "refund", "chargeback", "fee"} <= kinds
    chargeback = payout.lines.get(kind="chargeback")
    assert chargeback.status == PayoutLine.Status.MANUAL and "book it by hand" in chargeback.message
    # Every fee off a payment row is written off with one payment: all of them reach the ERP.
    carried = payout.lines.exclude(carried_fee=0).get()
    assert carried.carried_fee == report.fees - sum(payout.lines.filter(kind="payment").values_list("fee", flat=True))


def test_a_row_whose_net_is_not_gross_less_fees_is_refused(integration, adyen):
    content = read("13_adyen_two_merchant_accounts_same_batch.csv").replace(",99.15,,0.50", ",99.50,,0.50")
    problems = problems_of(integration=integration, fmt=adyen, content=content)
    assert problems == [
        "Row 2: gross 100.00\u00a0EUR − fees 0.85\u00a0EUR is 99.15\u00a0EUR, but the file's net (column Net Credit (NC)) is "
        "99.50\u00a0EUR: the format reads this row wrongly (check its fee columns)"
    ]


def test_the_migration_fills_existing_preset_formats_with_the_presets_new_values():
    import importlib

    migration = importlib.import_module("sync.migrations.0015_payout_identity_merchant_account_row_kinds")
    from sync.payouts.presets import PRESETS

    for preset, values in migration.NEW_PRESET_VALUES.items():
        assert values == {name: PRESETS[preset][name] for name in values}, preset
        assert all(PRESETS[preset][name] for name in values)


def test_a_type_value_under_two_kinds_is_refused_when_the_format_is_saved(generic):
    from django.core.exceptions import ValidationError

    generic.type_adjustment = "adjustment, Fee"
    with pytest.raises(ValidationError) as exc:
        generic.full_clean()
    assert exc.value.message_dict["type_adjustment"] == [
        "'Fee' is also a type value of “fee types”: a row type can be one kind only."
    ]
    for preset in PayoutFormat.Preset.values:  # every preset is valid
        payout_format_from_preset(name=f"check {preset}", preset=preset).full_clean()
