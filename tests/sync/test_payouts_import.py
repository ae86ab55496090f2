from decimal import Decimal

import pytest

from sync.models import Payout, PayoutFormat, PayoutLine
from sync.payouts.services import PayoutFileError, payout_format_from_preset, payout_import, payout_report

pytestmark = pytest.mark.django_db

GENERIC = """type,order_number,psp_reference,gross,fee,currency,date,payout
payment,1001,psp-1,1250.00,31.25,SEK,2026-11-20,PO-77
payment,1002,psp-2,499.00,12.48,SEK,2026-11-20,PO-77
refund,1003,psp-3,200.00,0,SEK,2026-11-21,PO-77
fee,,,0,15.00,SEK,2026-11-21,PO-77
payout,,,1490.27,0,SEK,2026-11-22,PO-77
"""


@pytest.fixture
def generic():
    return payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)


def test_generic_file_imports_and_the_report_balances(integration, generic):
    payout = payout_import(integration=integration, fmt=generic, content=GENERIC, file_name="po77.csv")
    assert payout.reference == "PO-77" and payout.currency == "SEK" and payout.bank_amount == Decimal("1490.27")
    kinds = list(payout.lines.values_list("line_no", "kind", "status"))
    assert kinds == [
        (2, "payment", "pending"),
        (3, "payment", "pending"),
        (4, "refund", "pending"),
        (5, "fee", "info"),
        (6, "payout", "info"),
    ]
    report = payout_report(payout=payout)
    assert report.payments == Decimal("1749.00")
    assert report.refunds == Decimal("200.00")
    assert report.fees == Decimal("58.73")
    assert report.net == Decimal("1490.27") and report.balances


def test_report_shows_a_difference_to_the_bank(integration, generic):
    payout = payout_import(integration=integration, fmt=generic, content=GENERIC.replace("1490.27", "1490.00"))
    report = payout_report(payout=payout)
    assert report.difference == Decimal("0.27") and not report.balances


def test_bad_rows_are_all_reported_and_nothing_is_imported(integration, generic):
    bad = GENERIC.replace("1250.00", "12.5x").replace("2026-11-21,PO-77\nfee", "21/11/2026,PO-77\nfee")
    bad = bad.replace("payment,1002", "payment,")
    with pytest.raises(PayoutFileError) as exc:
        payout_import(integration=integration, fmt=generic, content=bad)
    problems = exc.value.problems
    assert "Row 2, column gross (value '12.5x'): not an amount for this format (decimal separator '.')" in problems
    assert "Row 3, column order_number: a payment row needs an order number" in problems
    assert any(p.startswith("Row 4, column date (value '21/11/2026'): not a date") for p in problems)
    assert not Payout.objects.exists() and not PayoutLine.objects.exists()


def test_missing_columns_and_double_import_are_refused(integration, generic):
    with pytest.raises(PayoutFileError) as exc:
        payout_import(integration=integration, fmt=generic, content="order_number,gross\n1,2\n")
    assert "missing column(s)" in exc.value.problems[0]
    payout_import(integration=integration, fmt=generic, content=GENERIC)
    with pytest.raises(PayoutFileError) as exc:
        payout_import(integration=integration, fmt=generic, content=GENERIC)
    assert "already imported" in exc.value.problems[0]


def test_adyen_style_credit_debit_and_summed_fee_columns(integration):
    fmt = payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)
    content = (
        "Merchant Account,Merchant Reference,Psp Reference,Type,Creation Date,Gross Currency,Gross Debit (GC),"
        "Gross Credit (GC),Net Currency,Net Debit (NC),Net Credit (NC),"
        "Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC),Batch Number\n"
        "ShopEU,1001,A1,Settled,2026-11-20 10:00:00,EUR,,100.00,EUR,,99.15,0.50,0.10,0.05,0.20,42\n"
        "ShopEU,1002,A2,Refunded,2026-11-20 11:00:00,EUR,30.00,,EUR,30.00,,,,,,42\n"
        "ShopEU,,,MerchantPayout,2026-11-21 06:00:00,EUR,69.15,,EUR,69.15,,,,,,42\n"
    )
    payout = payout_import(integration=integration, fmt=fmt, content=content)
    payment = payout.lines.get(kind="payment")
    assert payment.gross == Decimal("100.00") and payment.fee == Decimal("0.85")
    assert payout.lines.get(kind="refund").gross == Decimal("30.00")
    assert payout.bank_amount == Decimal("69.15") and payout_report(payout=payout).balances


def test_klarna_style_fee_rows_fold_into_the_orders_payment(integration):
    fmt = payout_format_from_preset(name="Klarna", preset=PayoutFormat.Preset.KLARNA)
    content = (
        "merchant_id,type,merchant_reference1,order_id,amount,currency_code,capture_date,payment_reference\n"
        "K1,SALE,1001,k-1,500.00,SEK,2026-11-20,KP-9\n"
        "K1,FEE,1001,k-1,-12.25,SEK,2026-11-20,KP-9\n"
        "K1,SALE,1002,k-2,100.00,SEK,2026-11-20,KP-9\n"
    )
    payout = payout_import(integration=integration, fmt=fmt, content=content, bank_amount=Decimal("587.75"))
    assert payout.lines.count() == 2
    assert payout.lines.get(order_number="1001").fee == Decimal("12.25")
    assert payout_report(payout=payout).balances


def test_comma_decimals_and_semicolons(integration):
    fmt = payout_format_from_preset(name="EU bank style", preset=PayoutFormat.Preset.GENERIC)
    fmt.delimiter, fmt.decimal_separator = ";", ","
    fmt.save()
    content = (
        "type;order_number;psp_reference;gross;fee;currency;date;payout\n"
        "payment;1001;p1;1.250,00;31,25;SEK;2026-11-20;PO-8\n"
        "payout;;;1.218,75;0;SEK;2026-11-21;PO-8\n"
    )
    payout = payout_import(integration=integration, fmt=fmt, content=content)
    assert payout.lines.get(order_number="1001").gross == Decimal("1250.00")
    assert payout_report(payout=payout).balances
