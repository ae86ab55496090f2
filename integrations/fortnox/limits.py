"""What Fortnox would refuse in a customer or a document, told before the first write of a record.

Where the numbers come from:
- Spec fortnox-v3 (Customer): ZipCode 10, CountryCode 2, Currency 3 characters; (InvoicePayload):
  ExternalInvoiceReference1 80, YourOrderNumber 75; row AccountNumber 1000–9999; row VAT an int32.
- api-notes § A5: at most 500 invoice rows (Junipeer's Fortnox page), row Description 255.
- Koppla defaults, not facts of the API (the spec allows 1024 characters): name, address lines,
  city and e-mail at most 100 characters, phone 30. A longer address or e-mail is refused, not
  cut: a shortened one sends the invoice astray. Change them with the Django setting FORTNOX_LIMITS.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from sync.drafts import DraftLine, TaxDetail

from .payloads import booked_vat, document_rows, drafted_vat, vat_remainder_rows

DEFAULTS: dict[str, int] = {
    "document_lines": 500,
    "name": 100,
    "address_line": 100,
    "city": 100,
    "postal_code": 10,
    "email": 100,
    "phone": 30,
    "order_reference": 80,
}
CUSTOMER_FIELDS = {
    "Name": "name",
    "Address1": "address_line",
    "Address2": "address_line",
    "City": "city",
    "ZipCode": "postal_code",
    "Email": "email",
    "Phone1": "phone",
}
SETTING = "FORTNOX_LIMITS"


def limit(name: str) -> int:
    return int({**DEFAULTS, **(getattr(settings, SETTING, None) or {})}[name])


def _shown(text: str) -> str:
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def customer_problems(body: dict) -> list[str]:
    problems = []
    customer = body["Customer"]
    for field, name in CUSTOMER_FIELDS.items():
        text = customer.get(field)
        if isinstance(text, str) and len(text) > limit(name):
            problems.append(
                f"{field} {_shown(text)} has {len(text)} characters, Koppla sends at most {limit(name)} to Fortnox "
                f"(setting {SETTING}['{name}'])"
            )
    return problems


def fortnox_account(account: str) -> bool:
    """An account Fortnox books to: 4 digits, 1000–9999 (spec: row AccountNumber, WriteOff AccountNumber,
    ModeOfPaymentAccount). Koppla's settings take 4 to 10 digits (other ERPs have longer accounts)."""
    return account.isdigit() and 1000 <= int(account) <= 9999


def account_origin(line: DraftLine, *, zone: str = "") -> str:
    """Where a document line's account is set, by the line's key (sync/flows/order_mapping.py, document_vat.py)."""
    zone = f" {zone}" if zone else ""
    if line.key.startswith("rounding:"):
        return "the integration's rounding account (Integrations › VAT)"
    if line.key.startswith("shipping"):
        return (
            f"the shipping option's sales account in Mappings › Shipping, or where that is blank the tax zone's "
            f"sales account in Mappings › Tax zones{zone}"
        )
    return (
        f"the tax zone's sales account in Mappings › Tax zones{zone}, or the account of the row for this rate in "
        "Mappings › VAT rates"
    )


def document_problems(
    body: dict,
    lines: tuple[DraftLine, ...],
    tax: tuple[TaxDetail, ...],
    *,
    what: str,
    currency: str,
    sign: int = 1,
    rounding_account: str = "",
    zone: str = "",
) -> list[str]:
    """What Fortnox would refuse in an invoice / credit invoice / sales order body (rows × `sign`: -1 for a
    credit invoice's negated rows), and figures it would book otherwise. Invoice rows take whole VAT
    percentages (InvoiceRow VAT is an int32 in the spec), order rows any (OrderRow VAT is a double).

    An account outside 1000–9999 is named with the setting it comes from (account_origin; `zone` is the
    tax zone as "SE/B2C"); the rounding account only when the VAT per rate needs a remainder row on it."""
    problems = []
    rows = document_rows(body)
    fields = body.get("Order") or body["Invoice"]
    document = "order" if "Order" in body else "invoice"
    most = limit("document_lines")
    if len(rows) > most:
        problems.append(f"the {what} has {len(rows):,} lines, Fortnox takes at most {most:,} rows in one {document}")
    reference = fields.get("ExternalInvoiceReference1", "")
    if len(reference) > limit("order_reference"):
        problems.append(f"the order number {_shown(reference)} is longer than the 80 characters Fortnox keeps")
    for index, line in enumerate(lines, start=1):
        if line.rate != line.rate.to_integral_value() and document == "invoice":
            problems.append(
                f"line {index} '{line.description[:40]}' is at {line.rate.normalize():f} % VAT: Fortnox takes whole "
                "percentages on an invoice row, so it cannot book this rate"
            )
            break
        if not fortnox_account(line.account):
            problems.append(
                f"line {index} '{line.description[:40]}' has account '{line.account}': Fortnox books to 4-digit "
                f"accounts 1000–9999 only. The account is {account_origin(line, zone=zone)}: set a 4-digit one there"
            )
            break
    if not problems and rounding_account and not fortnox_account(rounding_account):
        drafted = {rate: vat * sign for rate, vat in drafted_vat(lines, tax).items()}
        if vat_remainder_rows(rows, drafted, account="9999"):  # a remainder row is needed, and has no account
            problems.append(
                f"the {what}'s VAT per rate needs a rounding row on the integration's rounding account "
                f"'{rounding_account}', but Fortnox books to 4-digit accounts 1000–9999 only: set a 4-digit rounding "
                "account (e.g. 3740) under Integrations › VAT"
            )
    if not problems:
        problems.extend(_figures_problems(body, lines, tax, what=what, currency=currency, sign=sign))
    return problems


def _figures_problems(body, lines, tax, *, what: str, currency: str, sign: int) -> list[str]:
    """The invariant: Fortnox's VAT per rate, computed from the rows, equals the draft's to the öre."""
    booked, drafted = booked_vat(body), drafted_vat(lines, tax)
    document = "order" if "Order" in body else "invoice"
    problems = []
    for rate in sorted(set(booked) | set(drafted)):
        fortnox, ours = booked.get(rate, Decimal(0)) * sign, drafted.get(rate, Decimal(0))
        if fortnox != ours:
            problems.append(
                f"Fortnox computes the VAT at {rate:f} % from the rows as {fortnox} {currency}, the {what} states "
                f"{ours} {currency}: Fortnox cannot carry the difference of {ours - fortnox} {currency} (it takes no "
                f"VAT amount and no rounding remainder on an {document}), so the figures would not match; book it by hand"
            )
    return problems
