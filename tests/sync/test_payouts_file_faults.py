"""Settlement files built to break the import: each fault gets one sentence naming its row (the file's line
number) and column, and nothing is written (the confirm step imports through the same checks)."""

from decimal import Decimal

import pytest

from mappings.models import CurrencyMapping
from sync.models import Payout, PayoutFormat, PayoutLine
from sync.money import money_text
from sync.payouts.services import (
    AlreadyImported,
    PayoutFileError,
    payout_file_import,
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


def problems_of(integration, fmt, content: str) -> list[str]:
    """The file's problems; asserts that the import wrote nothing."""
    with pytest.raises(PayoutFileError) as exc:
        payout_file_import(integration=integration, fmt=fmt, content=content)
    assert not Payout.objects.exists() and not PayoutLine.objects.exists()
    return exc.value.problems


# --------------------------------------------------------------------------- 1: letter case of ids and accounts
def test_payout_ids_differing_in_letter_case_are_one_payout_and_already_imported(integration, generic):
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,BATCH-1\npayout,,,99.00,0,SEK,2026-11-21,batch-1\n"
    payout = payout_import(integration=integration, fmt=generic, content=content)
    assert payout.reference == "BATCH-1" and payout.bank_amount == Decimal("99.00") and payout.lines.count() == 2

    with pytest.raises(PayoutFileError) as exc:
        payout_file_import(integration=integration, fmt=generic, content=content.replace("BATCH-1", "Batch-1"))
    assert isinstance(exc.value.problems[0], AlreadyImported) and "was already imported" in exc.value.problems[0]
    assert Payout.objects.count() == 1


def test_merchant_accounts_differing_in_letter_case_are_one_payout(integration):
    adyen = payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)
    content = (
        ADYEN
        + "KopplaEU,A1,1001,2026-11-20 10:00:00,Settled,EUR,,100.00,EUR,,99.00,1.00,,,,42\n"
        + "kopplaeu,,,2026-11-21 06:00:00,MerchantPayout,EUR,99.00,,EUR,99.00,,,,,,42\n"
    )
    payout = payout_import(integration=integration, fmt=adyen, content=content)
    assert payout.merchant_account == "KopplaEU" and payout.bank_amount == Decimal("99.00")
    assert Payout.objects.count() == 1


# --------------------------------------------------------------------------- 2: an id longer than its field
def test_a_payout_id_longer_than_the_field_is_refused_naming_the_limit(integration, generic):
    long_id = "PO-" + "9" * 98  # 101 characters; Payout.reference holds 100
    content = GEN + f"payment,1001,p1,100.00,1.00,SEK,2026-11-20,{long_id}\n"
    problems = problems_of(integration, generic, content)
    assert problems == [
        f"Row 2, column payout (value '{long_id[:40]}…', 101 characters): a payout id holds at most 100 characters"
    ]


# --------------------------------------------------------------------------- 3: a row exported twice
def test_a_repeated_row_is_refused_naming_both_rows(integration, generic):
    row = "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\n"
    content = GEN + row + "payment,1002,p2,50.00,0.50,SEK,2026-11-20,PO-1\n" + row + "payout,,,148.50,0,SEK,,PO-1\n"
    problems = problems_of(integration, generic, content)
    assert problems == [
        "Row 4 repeats row 2 exactly (the same value in every column): it would be counted twice; remove the "
        "repeated row"
    ]


# --------------------------------------------------------------------------- 4: a column named twice
def test_a_column_named_twice_in_the_header_refuses_the_file(integration, generic):
    content = (
        "type,order_number,psp_reference,gross,fee,Fee,currency,date,payout\n"
        "payment,1001,p1,100.00,1.00,9.00,SEK,2026-11-20,PO-1\n"
    )
    problems = problems_of(integration, generic, content)
    assert problems == [
        "Row 1: the header names column fee 2 times (columns 5, 6): Koppla cannot tell which one format “Demo PSP” "
        "should read; remove or rename the extra one(s)"
    ]


# --------------------------------------------------------------------------- 5: a negative fee (Generic)
def test_a_negative_fee_is_refused_in_a_generic_format(integration, generic):
    content = GEN + "payment,1001,p1,100.00,-1.00,SEK,2026-11-20,PO-1\npayout,,,101.00,0,SEK,,PO-1\n"
    problems = problems_of(integration, generic, content)
    assert problems == [
        "Row 2, column fee (value '-1.00'): fees are costs the provider kept, written as positive numbers in format "
        "“Demo PSP”; a fee the provider paid back is an adjustment row"
    ]


# --------------------------------------------------------------------------- 6: ISO 4217 currency codes
def test_currency_codes_not_in_iso_4217_are_refused_with_the_code(integration, generic):
    content = (
        GEN
        + "payment,1001,p1,100.00,1.00,EURO,2026-11-20,PO-1\n"
        + "payment,1002,p2,100.00,1.00,XXX,2026-11-20,PO-1\n"
        + "payout,,,198.00,0,eur,,PO-1\n"  # letter case is not a fault
    )
    problems = problems_of(integration, generic, content)
    assert problems == [
        "Row 2, column currency (value 'EURO'): not an ISO 4217 currency code (three letters, such as EUR, SEK, USD)",
        "Row 3, column currency (value 'XXX'): not an ISO 4217 currency code (three letters, such as EUR, SEK, USD)",
    ]


# --------------------------------------------------------------------------- 7: more digits than stored
def test_amounts_with_more_digits_than_the_field_are_refused(integration, generic):
    content = GEN + "payment,1001,p1,1234567890123.00,1.00,SEK,2026-11-20,PO-1\n"
    assert problems_of(integration, generic, content) == [
        "Row 2, column gross (value '1234567890123.00'): 13 digits before the decimal separator, but a payout "
        "amount holds at most 12 (14 digits with 2 decimals)"
    ]
    # Each transfer row fits, their sum (the bank amount) does not.
    content = GEN + "payout,,,999999999999.00,0,SEK,2026-11-21,PO-1\npayout,,,999999999999.00,0,SEK,2026-11-22,PO-1\n"
    assert problems_of(integration, generic, content) == [
        "payout PO-1: the bank amount 1999999999998.00 has more than 12 digits before the decimal separator: a "
        "payout amount holds at most 14 digits with 2 decimals"
    ]


# --------------------------------------------------------------------------- 8: decimals beyond the minor unit
def test_decimals_beyond_the_currencys_minor_unit_are_refused(integration, generic):
    content = (
        GEN
        + "payment,1001,p1,10.005,0.10,EUR,2026-11-20,PO-1\n"
        + "payment,1002,p2,100.5,0,JPY,2026-11-20,PO-2\n"
        + "payment,1003,p3,100.00,0,JPY,2026-11-20,PO-3\n"  # zeros lose nothing: read as 100
    )
    problems = problems_of(integration, generic, content)
    assert problems == [
        "Row 2, column gross (value '10.005'): 3 decimals, but EUR has 2 decimals (ISO 4217 minor unit): the "
        "amount cannot be booked exactly",
        "Row 3, column gross (value '100.5'): 1 decimal, but JPY has 0 decimals (ISO 4217 minor unit): the amount "
        "cannot be booked exactly",
    ]


# --------------------------------------------------------------------------- 9: a quote left open
def test_an_unclosed_quote_names_the_row_where_it_opened(integration, generic):
    content = (
        GEN
        + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\n"
        + 'payment,1002,"p2,50.00,0.50,SEK,2026-11-20,PO-1\n'
        + "payment,1003,p3,20.00,0.20,SEK,2026-11-20,PO-1\n"
        + "payout,,,168.30,0,SEK,2026-11-21,PO-1\n"
    )
    problems = problems_of(integration, generic, content)
    assert problems == [
        'Row 3, column psp_reference: a quote (") opens in this value and is not closed on its row, so rows 3 to 5 '
        "were read as one value; close the quote or remove it"
    ]


def test_an_unclosed_quote_in_a_large_file_names_its_row_not_the_csv_field_limit(integration, generic):
    rows = "".join(f"payment,{2000 + n},p{n},10.00,0.10,SEK,2026-11-20,PO-1\n" for n in range(5000))  # > 128 KB
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\n" + 'payment,1002,"p2,5.00,0,SEK,,PO-1\n' + rows
    problems = problems_of(integration, generic, content)
    assert problems == [
        'Row 3: a quote (") opens in this row and is not closed, so the rest of the file was read as one value; '
        "close the quote or remove it"
    ]


def test_a_note_over_two_lines_in_a_column_not_read_is_accepted_and_rows_keep_their_numbers(integration, generic):
    content = (
        "type,order_number,psp_reference,gross,fee,currency,date,payout,note\n"
        + 'payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1,"first line\nsecond line"\n'
        + "payout,,,99.00,0,SEK,2026-11-21,PO-1,\n"
    )
    payout = payout_import(integration=integration, fmt=generic, content=content)
    assert list(payout.lines.values_list("line_no", "kind")) == [(2, "payment"), (4, "payout")]


# --------------------------------------------------------------------------- invisible characters, Excel's rewrites, typed amounts
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
    with pytest.raises(PayoutFileError) as refused:
        payout_file_preview(integration=integration, fmt=generic, content=content, bank_amount=Decimal("990.00"))
    assert "row(s) 3 (column type) say 99.00\u00a0SEK reached the bank" in "; ".join(refused.value.problems)


def test_a_typed_bank_amount_finer_than_the_currency_is_refused_and_never_balances(integration, generic):
    """Input: a JPY settlement file without a transfer row (payment 1050 JPY, fee 50 JPY) and the bank amount
    typed on the import form as 1000.40 (the form accepts two decimals whatever the currency). Today: imported
    with bank amount 1000.40 JPY, and the report says the payout balances (difference '-0'), although yen have
    no decimals (ISO 4217 minor unit 0) and the bank cannot have received 1000.40. Expected: refused like a
    file amount finer than its currency ("2 decimals, but JPY has 0 decimals"), or at least not reported as
    balancing."""
    content = GEN + "payment,1001,p1,1050,50,JPY,2026-11-20,PO-J\n"
    problems = "; ".join(_typed(integration, generic, content, "1000.40"))
    assert "JPY has 0 decimals (ISO 4217 minor unit)" in problems


def test_a_difference_finer_than_the_mapped_currency_decimals_is_not_rounded_away(integration, generic):
    """Input: Mappings › Currencies books HUF in whole forints (decimals 0, as many ERPs do although ISO 4217
    gives HUF 2); the provider's file has a payment of 10000.40 HUF without fee and a transfer of 10000 HUF.
    Today: imported, and the report rounds the net to 10000 and says the payout balances (difference 0),
    while 0.40 HUF of the file is nowhere. Expected: the row is refused for having decimals the integration's
    HUF does not have (as a file amount finer than the ISO minor unit is), or the report shows the 0.40
    difference."""
    CurrencyMapping.objects.create(integration=integration, shop_currency="HUF", erp_currency="HUF", decimals=0)
    content = GEN + "payment,1001,p1,10000.40,0,HUF,2026-11-20,PO-H\npayout,,,10000,0,HUF,2026-11-21,PO-H\n"
    payout = payout_import(integration=integration, fmt=generic, content=content)
    report = payout_report(payout=payout)
    assert not report.balances and report.difference == Decimal("0.40")
    assert money_text(report.difference, "HUF", report.places) == "0.4\u00a0HUF"


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
    draft = payout_file_preview(integration=integration, fmt=fmt, content=content).payouts[0]
    payment = next(line for line in draft.lines if line.order_number == "1001")
    assert (payment.gross, payment.fee) == (Decimal("100.00"), Decimal("0.85"))
    assert draft.balances


def test_an_invisible_character_inside_an_id_is_refused_naming_row_column_and_character(integration, generic):
    content = GEN + "payment,10\u200b01,p1,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-21,PO-1\n"
    problems = "; ".join(problems_of(integration, generic, content))
    assert "Row 2, column order_number (value '10\\u200b01')" in problems and "zero width space (U+200B)" in problems


def test_no_break_spaces_and_tabs_around_ids_and_a_typed_payout_id_are_stripped(integration, generic):
    content = (
        GEN + "payment,1001\t,\xa0p1,100.00,1.00,SEK,2026-11-20,\ufeffPO-1\npayout,,,99.00,0,SEK,2026-11-21,PO-1\n"
    )
    payout = payout_import(integration=integration, fmt=generic, content=content, reference="PO-1\u200b")
    line = payout.lines.get(kind=PayoutLine.Kind.PAYMENT)
    assert (payout.reference, line.order_number, line.psp_reference) == ("PO-1", "1001", "p1")


def test_scientific_notation_names_excel_and_the_text_column_fix(integration, generic):
    content = GEN + "payment,1001,1.11111E+15,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-21,PO-1\n"
    problems = "; ".join(problems_of(integration, generic, content))
    assert "Row 2, column psp_reference (value '1.11111E+15')" in problems
    assert "a number Excel rewrote in scientific notation" in problems and "Text" in problems


def test_a_typed_bank_amount_equal_to_the_files_transfer_row_is_accepted(integration, generic):
    content = GEN + "payment,1001,p1,100.00,1.00,SEK,2026-11-20,PO-1\npayout,,,99.00,0,SEK,2026-11-21,PO-1\n"
    payout = payout_import(integration=integration, fmt=generic, content=content, bank_amount=Decimal("99"))
    assert payout.bank_amount == Decimal("99.00")


def test_a_typed_bank_amount_finer_than_the_mapped_decimals_is_refused(integration, generic):
    CurrencyMapping.objects.create(integration=integration, shop_currency="HUF", erp_currency="HUF", decimals=0)
    content = GEN + "payment,1001,p1,10000.00,0,HUF,2026-11-20,PO-H\n"
    problems = "; ".join(_typed(integration, generic, content, "9999.50"))
    assert "HUF has 0 decimals (Mappings › Currencies)" in problems


def _typed(integration, fmt, content, amount):
    with pytest.raises(PayoutFileError) as exc:
        payout_import(integration=integration, fmt=fmt, content=content, bank_amount=Decimal(amount))
    assert not Payout.objects.exists()
    return exc.value.problems
