"""Settlement files shaped after what ops people upload, that the payout import still reads wrongly.

Each test states the input, what happens today and what a user expects. Nothing here is fixed yet: every
test fails on the current code.
"""

from decimal import Decimal

import pytest

from mappings.models import CurrencyMapping
from sync.models import Payout, PayoutFormat
from sync.payouts.services import (
    PayoutFileError,
    payout_file_preview,
    payout_format_from_preset,
    payout_import,
    payout_report,
)

pytestmark = pytest.mark.django_db

GEN = "type,order_number,psp_reference,gross,fee,currency,date,payout\n"
ADYEN = (
    "Merchant Account,Psp Reference,Merchant Reference,Creation Date,Type,Gross Currency,Gross Debit (GC),"
    "Gross Credit (GC),Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC),Scheme Fees (NC),"
    "Interchange (NC),Batch Number\n"
)


@pytest.fixture
def generic():
    return payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)


def test_a_payout_id_with_a_zero_width_space_is_still_the_payout_already_imported(integration, generic):
    """Input: PO-1 imported; then the same file again, its payout ids copied from a web page or an e-mail with a
    trailing zero-width space (U+200B) ('PO-1\\u200b'). Today: the id is kept with the invisible character, the
    already-imported check (letter case ignored) misses it and a second payout PO-1 is imported: its payments
    would be booked twice. Expected: the id is read without invisible characters (or the file is refused naming
    the invisible character), and the file is refused as already imported."""
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-21,PO-1\n"
    payout_import(integration=integration, fmt=generic, content=content)

    with pytest.raises(PayoutFileError):
        payout_file_preview(integration=integration, fmt=generic, content=content.replace("PO-1", "PO-1\u200b"))
    assert Payout.objects.count() == 1


def test_psp_references_turned_into_scientific_notation_by_excel_are_refused(integration):
    """Input: an Adyen settlement report opened in Excel and saved again as CSV: the 16-digit Psp Reference
    1111111111111111 becomes '1.11111E+15' on both payment rows (Excel keeps 15 significant digits and shows
    long numbers in scientific notation). Today: imported; two different payments carry the same, truncated
    reference '1.11111E+15'. Expected: refused naming the row and column (the value is a number Excel rewrote;
    export the report again, or open it as text), as the file's decimal commas are."""
    adyen = payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)
    content = (
        ADYEN
        + "KopplaEU,1.11111E+15,1001,2026-11-20 10:00:00,Settled,EUR,,100.00,EUR,,99.00,1.00,,,,42\n"
        + "KopplaEU,1.11111E+15,1002,2026-11-20 10:00:00,Settled,EUR,,100.00,EUR,,99.00,1.00,,,,42\n"
        + "KopplaEU,,,2026-11-21 06:00:00,MerchantPayout,EUR,198.00,,EUR,198.00,,,,,,42\n"
    )
    with pytest.raises(PayoutFileError) as refused:
        payout_file_preview(integration=integration, fmt=adyen, content=content)
    assert "Row 2, column Psp Reference" in "; ".join(refused.value.problems)


def test_order_numbers_and_payout_ids_in_scientific_notation_are_refused(integration, generic):
    """Input: a Generic file saved by Excel where the 12-digit order number 100123456789 and the payout id
    202611210001 were rewritten as '1.00123E+11' and '2.02611E+11'. Today: imported as payout '2.02611E+11'
    with a payment of order '1.00123E+11' (an order that cannot be found; the payout id matches nothing the
    provider or the bank shows). Expected: refused naming row and column of each rewritten id."""
    content = (
        GEN
        + "payment,1.00123E+11,p1,100.00,1.00,SEK,2026-11-20,2.02611E+11\n"
        + "payout,,,99.00,0,SEK,2026-11-21,2.02611E+11\n"
    )
    with pytest.raises(PayoutFileError) as refused:
        payout_file_preview(integration=integration, fmt=generic, content=content)
    problems = "; ".join(refused.value.problems)
    assert "column order_number" in problems and "column payout" in problems


def test_a_typed_bank_amount_that_contradicts_the_files_transfer_row_is_refused(integration, generic):
    """Input: a file whose payout row says 99.00 reached the bank; on the import form the user types 990.00 as
    the bank amount (a slip of the finger). Today: the typed 990.00 silently replaces the file's 99.00 as the
    payout's bank amount. Expected: refused ("the file's transfer row says 99.00; leave the bank amount blank
    or correct it"), as a typed payout id that differs from the file's is refused."""
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-21,PO-1\n"
    try:
        preview = payout_file_preview(
            integration=integration, fmt=generic, content=content, bank_amount=Decimal("990.00")
        )
    except PayoutFileError:
        return
    assert preview.payouts[0].bank_amount == Decimal("99.00"), "the typed amount replaced the file's transfer row"


def test_a_typed_bank_amount_finer_than_the_currency_is_refused_and_never_balances(integration, generic):
    """Input: a JPY settlement file without a transfer row (payment 1050 JPY, fee 50 JPY) and the bank amount
    typed on the import form as 1000.40 (the form accepts two decimals whatever the currency). Today: imported
    with bank amount 1000.40 JPY, and the report says the payout balances (difference '-0'), although yen have
    no decimals (ISO 4217 minor unit 0) and the bank cannot have received 1000.40. Expected: refused like a
    file amount finer than its currency ("2 decimals, but JPY has 0 decimals"), or at least not reported as
    balancing."""
    content = GEN + "payment,1001,p1,1050,50,JPY,2026-11-20,PO-J\n"
    try:
        payout = payout_import(integration=integration, fmt=generic, content=content, bank_amount=Decimal("1000.40"))
    except PayoutFileError as exc:
        assert "JPY" in "; ".join(exc.problems)
        return
    report = payout_report(payout=payout)
    assert not report.balances, f"bank {payout.bank_amount} JPY against net {report.net} JPY reported as balancing"


def test_a_difference_finer_than_the_mapped_currency_decimals_is_not_rounded_away(integration, generic):
    """Input: Mappings › Currencies books HUF in whole forints (decimals 0, as many ERPs do although ISO 4217
    gives HUF 2); the provider's file has a payment of 10000.40 HUF without fee and a transfer of 10000 HUF.
    Today: imported, and the report rounds the net to 10000 and says the payout balances (difference 0),
    while 0.40 HUF of the file is nowhere. Expected: the row is refused for having decimals the integration's
    HUF does not have (as a file amount finer than the ISO minor unit is), or the report shows the 0.40
    difference."""
    CurrencyMapping.objects.create(integration=integration, shop_currency="HUF", erp_currency="HUF", decimals=0)
    content = GEN + "payment,1001,p1,10000.40,0,HUF,2026-11-20,PO-H\npayout,,,10000,0,HUF,2026-11-21,PO-H\n"
    try:
        payout = payout_import(integration=integration, fmt=generic, content=content)
    except PayoutFileError as exc:
        assert "Row 2, column gross" in "; ".join(exc.problems)
        return
    report = payout_report(payout=payout)
    assert not report.balances, f"net {report.figures.net} HUF against bank {payout.bank_amount} HUF balances"


def test_a_payment_row_given_as_net_and_fee_is_captured_as_net_plus_fee(integration):
    """Input: a format reading both a gross and a net column (Gross 'gross', Net 'net', Fee 'fee'); the
    provider's payment row for order 1001 leaves gross blank and gives net 99.15 and fee 0.85; transfer 99.15.
    Today: the payment is read as captured 99.15 with a fee of 0.85 on top, so the payout's net is 98.30, the
    report says it differs from the bank by 0.85, and booking would apply only 99.15 (98.30 paid + 0.85
    written off) to the invoice of 100.00. Expected: captured = net + fees = 100.00 (as adjustment rows are
    read already), and the payout balances; or the row is refused for lacking its gross."""
    fmt = payout_format_from_preset(name="Gross, net and fee", preset=PayoutFormat.Preset.GENERIC)
    fmt.col_net = "net"
    fmt.save()
    content = (
        "type,order_number,psp_reference,gross,net,fee,currency,date,payout\n"
        "payment,1001,p1,,99.15,0.85,EUR,2026-11-20,N-1\n"
        "payout,,,99.15,,0,EUR,2026-11-21,N-1\n"
    )
    try:
        draft = payout_file_preview(integration=integration, fmt=fmt, content=content).payouts[0]
    except PayoutFileError as exc:
        assert "Row 2" in "; ".join(exc.problems)
        return
    payment = next(line for line in draft.lines if line.order_number == "1001")
    assert (payment.gross, payment.fee) == (Decimal("100.00"), Decimal("0.85"))
    assert draft.balances
