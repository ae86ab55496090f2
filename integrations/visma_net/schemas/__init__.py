"""Visma.net ERP write payloads, built from plain Python values.

Every field of a Visma.net write body is wrapped: `{"customerNumber": {"value": "10001"}}`.
Flows never write that by hand: they fill the dataclasses of this package with
plain values (str, int, bool, Decimal, date, datetime) and call `.body()`.

Parts: values.py (JSON numbers, dates and the `{"value": …}` wrapper), customers.py
(Address, Contact, CustomerPayload), documents.py (invoices and credit notes),
orders.py (sales orders and journal transactions) and payments.py (payments and refunds). Import them from here.

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

from .customers import Address, Contact, ContactPerson, CustomerPayload
from .documents import Application, CreditNotePayload, DocumentLine, InvoicePayload, TaxDetail
from .orders import JournalLine, JournalTransactionPayload, SalesOrderLine, SalesOrderPayload
from .payments import PaymentLine, PaymentPayload, payment_release_body
from .values import MAX_EXACT_DIGITS, json_date, json_number, json_value, unwrap, wrap, wrapped

__all__ = [
    "MAX_EXACT_DIGITS",
    "Address",
    "Application",
    "Contact",
    "ContactPerson",
    "CreditNotePayload",
    "CustomerPayload",
    "DocumentLine",
    "InvoicePayload",
    "JournalLine",
    "JournalTransactionPayload",
    "PaymentLine",
    "PaymentPayload",
    "SalesOrderLine",
    "SalesOrderPayload",
    "TaxDetail",
    "json_date",
    "json_number",
    "json_value",
    "payment_release_body",
    "unwrap",
    "wrap",
    "wrapped",
]
