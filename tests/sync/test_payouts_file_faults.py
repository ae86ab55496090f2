"""Settlement files built to break the import: each fault gets one sentence naming its row (the file's line
number) and column, and nothing is written (the confirm step imports through the same checks)."""

from decimal import Decimal

import pytest

from sync.models import Payout, PayoutFormat, PayoutLine
from sync.payouts.services import (
    AlreadyImported,
    PayoutFileError,
    payout_file_import,
    payout_format_from_preset,
    payout_import,
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
