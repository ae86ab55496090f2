"""Visma.net ERP write payloads, built from plain Python values.

Every field of a Visma.net write body is wrapped: `{"customerNumber": {"value": "10001"}}`.
Flows never write that by hand: they fill the dataclasses below with plain
values (str, int, bool, Decimal, date, datetime) and call `.body()`.

Conventions:
- A field left at `None` is not sent at all. Visma.net's PUT is partial (only
  the fields in the body change), so `None` means "leave as is" and `""`
  means "clear".
- Money and quantities are `Decimal` (or `int`). They go out as JSON numbers
  through `json_number`: an integral value becomes a JSON integer, any other
  value a float whose shortest repr is exactly the decimal (Python prints the
  shortest string that round-trips, so `Decimal("19.99")` is written `19.99`,
  never `19.989999…`). A value that a double cannot carry exactly (more than
  15 significant digits) raises instead of being rounded silently; a float
  argument raises too, so binary rounding never enters a payload.
- Dates go out as `YYYY-MM-DDT00:00:00` (the spec types them `date-time`, and
  that is how the ERP returns them); datetimes as ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

MAX_EXACT_DIGITS = 15  # a double carries any decimal of up to 15 significant digits exactly through repr


# --------------------------------------------------------------------------- values
def json_number(value: Decimal | int) -> int | float:
    """A JSON number for a Decimal/int, without binary rounding errors (see the module docstring)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"Money and quantities must be Decimal or int, not {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return value
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if len(value.normalize().as_tuple().digits) > MAX_EXACT_DIGITS or Decimal(repr(number)) != value:
        raise ValueError(f"{value} cannot be sent as a JSON number without rounding")
    return number


def json_date(value: date | datetime | str) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00"
    return value


def json_value(value: Any) -> Any:
    """A plain Python value as the JSON the ERP expects (nested dicts/lists are converted recursively)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (Decimal, int, float)):
        return json_number(value)
    if isinstance(value, (date, datetime)):
        return json_date(value)
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    raise TypeError(f"Cannot send {type(value).__name__} to Visma.net: {value!r}")


def wrap(value: Any) -> dict:
    """`{"value": <value>}`: the wrapper of every Visma.net write field."""
    return {"value": json_value(value)}


def wrapped(**fields: Any) -> dict:
    """Wrap each field that is not None: wrapped(name="A", note=None) == {"name": {"value": "A"}}."""
    return {name: wrap(value) for name, value in fields.items() if value is not None}


def unwrap(body: dict) -> dict:
    """The plain values of a wrapped body (tests and logs): {"a": {"value": 1}} → {"a": 1}."""
    plain: dict = {}
    for key, item in body.items():
        if isinstance(item, dict) and set(item) == {"value"}:
            inner = item["value"]
            plain[key] = unwrap(inner) if isinstance(inner, dict) else inner
        elif isinstance(item, list):
            plain[key] = [unwrap(x) if isinstance(x, dict) else x for x in item]
        else:
            plain[key] = item
    return plain


# --------------------------------------------------------------------------- customers
@dataclass(frozen=True)
class Address:
    """AddressUpdateDto."""

    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    county: str | None = None

    def body(self) -> dict:
        return wrapped(
            addressLine1=self.line1,
            addressLine2=self.line2,
            addressLine3=self.line3,
            postalCode=self.postal_code,
            city=self.city,
            countryId=self.country,
            county=self.county,
        )


@dataclass(frozen=True)
class Contact:
    """ContactInfoUpdateDto."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    attention: str | None = None

    def body(self) -> dict:
        return wrapped(name=self.name, email=self.email, phone1=self.phone, attention=self.attention)


@dataclass(frozen=True)
class CustomerPayload:
    """CustomerUpdateDto, for POST /v1/customer (create) and PUT /v1/customer/{number} (update).

    `number` is normally left empty: the ERP takes the next number of its
    customer numbering. Every field left None is not sent (PUT keeps it).
    """

    name: str | None = None
    number: str | None = None
    status: str | None = None  # Active, OnHold, CreditHold, Inactive, OneTime
    customer_class: str | None = None
    vat_zone: str | None = None
    credit_terms: str | None = None
    currency: str | None = None
    vat_registration_id: str | None = None
    corporate_id: str | None = None
    main_address: Address | None = None
    main_contact: Contact | None = None
    invoice_address: Address | None = None
    invoice_contact: Contact | None = None
    delivery_address: Address | None = None
    delivery_contact: Contact | None = None
    payment_method: str | None = None  # the customer's default payment method
    note: str | None = None

    def body(self) -> dict:
        body = wrapped(
            number=self.number,
            name=self.name,
            status=self.status,
            customerClassId=self.customer_class,
            vatZoneId=self.vat_zone,
            creditTermsId=self.credit_terms,
            currencyId=self.currency,
            vatRegistrationId=self.vat_registration_id,
            corporateId=self.corporate_id,
            note=self.note,
        )
        for key, part in (
            ("mainAddress", self.main_address),
            ("mainContact", self.main_contact),
            ("invoiceAddress", self.invoice_address),
            ("invoiceContact", self.invoice_contact),
            ("deliveryAddress", self.delivery_address),
            ("deliveryContact", self.delivery_contact),
        ):
            if part is not None:
                body[key] = {"value": part.body()}
        if self.payment_method is not None:
            body["defaultPaymentMethod"] = {"value": wrapped(paymentMethodId=self.payment_method, isDefault=True)}
        return body


# --------------------------------------------------------------------------- documents
@dataclass(frozen=True)
class DocumentLine:
    """One line of an invoice (CustomerInvoiceLinesUpdateDto) or credit note (CustomerCreditNoteLineUpdateDto).

    `amount` is the ERP's manual amount: the exact net of the line, which the
    ERP then uses instead of quantity × price − discount.
    """

    description: str
    quantity: Decimal | int = 1
    unit_price: Decimal | int | None = None
    amount: Decimal | int | None = None
    vat_category: str | None = None  # vatCodeId: a VAT category id, e.g. "SE25"
    account: str | None = None
    inventory_number: str | None = None
    discount_percent: Decimal | int | None = None
    discount_amount: Decimal | int | None = None
    uom: str | None = None
    note: str | None = None

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(
                inventoryNumber=self.inventory_number,
                description=self.description,
                quantity=self.quantity,
                unitPriceInCurrency=self.unit_price,
                manualAmountInCurrency=self.amount,
                accountNumber=self.account,
                vatCodeId=self.vat_category,
                uom=self.uom,
                discountPercent=self.discount_percent,
                discountAmountInCurrency=self.discount_amount,
                note=self.note,
            ),
        }


@dataclass(frozen=True)
class TaxDetail:
    """TaxDetailUpdateDto: the document's VAT for one VAT id, overriding the ERP's own sum of line VAT."""

    vat_id: str
    vat_amount: Decimal | int
    taxable_amount: Decimal | int | None = None

    def body(self) -> dict:
        return wrapped(taxId=self.vat_id, taxableAmount=self.taxable_amount, vatAmount=self.vat_amount)


@dataclass(frozen=True)
class InvoicePayload:
    """CustomerInvoiceUpdateDto for POST /v2/customerinvoice.

    Put the shop's order number in `customer_ref_number` (and, if wanted,
    `external_reference`): the client finds existing invoices by it before
    creating one, since the API has no idempotency key.
    """

    customer_number: str
    lines: tuple[DocumentLine, ...]
    document_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    customer_ref_number: str | None = None
    external_reference: str | None = None
    text: str | None = None
    payment_method: str | None = None
    credit_terms: str | None = None
    vat_zone: str | None = None
    tax_details: tuple[TaxDetail, ...] = ()
    billing_address: Address | None = None
    hold: bool | None = None
    note: str | None = None

    def body(self) -> dict:
        body = wrapped(
            customerNumber=self.customer_number,
            documentDate=self.document_date,
            documentDueDate=self.due_date,
            currencyId=self.currency,
            customerRefNumber=self.customer_ref_number,
            externalReference=self.external_reference,
            invoiceText=self.text,
            paymentMethodId=self.payment_method,
            creditTermsId=self.credit_terms,
            customerVatZoneId=self.vat_zone,
            hold=self.hold,
            note=self.note,
        )
        if self.billing_address is not None:
            body["billingAddress"] = {"value": {**wrapped(overrideAddress=True), **self.billing_address.body()}}
        if self.tax_details:
            body["taxDetailLines"] = [t.body() for t in self.tax_details]
        body["invoiceLines"] = [line.body() for line in self.lines]
        return body


@dataclass(frozen=True)
class Application:
    """Apply a credit note (or a payment line) to an open invoice (PaymentLineBaseUpdateDto)."""

    invoice_number: str
    amount: Decimal | int
    document_type: str = "Invoice"

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(documentType=self.document_type, refNbr=self.invoice_number, amountPaid=self.amount),
        }


@dataclass(frozen=True)
class CreditNotePayload:
    """CustomerCreditNoteUpdateDto for POST /v2/customerCreditNote.

    `customer_ref_number` carries our reference (the shop's return/refund
    number); `applications` apply the credit note to the original invoice
    when it is released.
    """

    customer_number: str
    lines: tuple[DocumentLine, ...]
    document_date: date | None = None
    currency: str | None = None
    customer_ref_number: str | None = None
    external_reference: str | None = None
    text: str | None = None
    vat_zone: str | None = None
    tax_details: tuple[TaxDetail, ...] = ()
    applications: tuple[Application, ...] = ()
    orig_invoice_date: date | None = None
    hold: bool | None = None
    note: str | None = None

    def body(self) -> dict:
        body = wrapped(
            customerNumber=self.customer_number,
            documentDate=self.document_date,
            origInvoiceDate=self.orig_invoice_date,
            currencyId=self.currency,
            customerRefNumber=self.customer_ref_number,
            externalReference=self.external_reference,
            invoiceText=self.text,
            customerVatZoneId=self.vat_zone,
            hold=self.hold,
            note=self.note,
        )
        if self.tax_details:
            body["taxDetails"] = [t.body() for t in self.tax_details]
        if self.applications:
            body["applicationLines"] = [a.body() for a in self.applications]
        body["lines"] = [line.body() for line in self.lines]
        return body


# --------------------------------------------------------------------------- payments
@dataclass(frozen=True)
class PaymentLine:
    """PaymentLinesUpdateDto: what a payment settles on one document.

    `write_off` is the balance written off (e.g. the PSP's fee) with
    `write_off_reason`, a write-off reason code of the ERP (e.g. "PSPFEE").
    amount_paid + write_off (+ cash_discount) settle that much of the invoice.
    """

    invoice_number: str
    amount_paid: Decimal | int
    write_off: Decimal | int | None = None
    write_off_reason: str | None = None
    cash_discount: Decimal | int | None = None
    document_type: str = "Invoice"

    def body(self) -> dict:
        return {
            "operation": "Insert",
            **wrapped(
                documentType=self.document_type,
                refNbr=self.invoice_number,
                amountPaid=self.amount_paid,
                balanceWriteOff=self.write_off,
                writeOffReasonCode=self.write_off_reason,
                cashDiscountTaken=self.cash_discount,
            ),
        }


@dataclass(frozen=True)
class PaymentPayload:
    """PaymentUpdateDto for POST /v1/customerPayment.

    `reference` goes to paymentRef: our reference (e.g. the PSP settlement
    line), which the client searches by before creating a payment.
    `payment_type` "Payment" settles invoices; "Refund" (a customer refund)
    pays out open credit notes, with lines of document_type "CreditNote".
    """

    customer_number: str
    amount: Decimal | int
    lines: tuple[PaymentLine, ...] = ()
    payment_method: str | None = None
    cash_account: str | None = None
    currency: str | None = None
    payment_date: date | None = None
    reference: str | None = None
    text: str | None = None
    hold: bool | None = None
    payment_type: str = "Payment"

    def body(self) -> dict:
        body = wrapped(
            type=self.payment_type,
            customer=self.customer_number,
            paymentMethod=self.payment_method,
            cashAccount=self.cash_account,
            currency=self.currency,
            paymentAmount=self.amount,
            applicationDate=self.payment_date,
            paymentRef=self.reference,
            invoiceText=self.text,
            hold=self.hold,
        )
        if self.lines:
            body["paymentLines"] = [line.body() for line in self.lines]
        return body


def payment_release_body(payment_type: str = "Payment") -> dict:
    """ReleasePaymentActionDto."""
    return wrapped(type=payment_type)
