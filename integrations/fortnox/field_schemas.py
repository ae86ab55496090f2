"""What field rules may target in the bodies the Fortnox adapter sends (integrations/spec_fields.py).

Requests from the official spec in spec/; bodies are the spec's envelopes, so a rule targets
`Invoice.Remarks`, `Invoice.InvoiceRows.*.Description`, `Customer.Name`. Lengths come from the spec's
maxLength where it gives one. A credit invoice is an invoice body; Fortnox's credit action (a full refund)
sends no body, so credit-note rules do not apply to it. No journal transactions: the adapter has none.
"""

from __future__ import annotations

from pathlib import Path

SPEC = Path(__file__).resolve().parent / "spec" / "fortnox-v3.openapi.json"

OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "invoice": (("POST", "/3/invoices"),),
    "credit_note": (("POST", "/3/invoices"),),
    "sales_order": (("POST", "/3/orders"),),
    "customer": (("POST", "/3/customers"),),
    "payment": (("POST", "/3/invoicepayments"),),
}
# Fields the adapter finds a record by again: field rules may not change them (spec_fields.key_check).
KEYS: dict[str, tuple[str, ...]] = {
    "invoice": ("Invoice.ExternalInvoiceReference1", "Invoice.ExternalInvoiceReference2"),  # invoice_find
    "credit_note": ("Invoice.ExternalInvoiceReference1", "Invoice.ExternalInvoiceReference2"),  # credit_note_find
    "sales_order": ("Order.ExternalInvoiceReference1",),  # sales_order_find
    "customer": ("Customer.Email",),  # customer_find_by_email
}

LENGTHS_SOURCE = "Koppla's Fortnox row text limit (payloads.ROW_TEXT; the spec gives none)"


def lengths() -> dict[tuple[str, str], int]:
    """(kind, path) → the length Koppla sends at most where the spec gives no maxLength."""
    from .payloads import ROW_TEXT

    return {
        ("invoice", "Invoice.InvoiceRows.*.Description"): ROW_TEXT,
        ("credit_note", "Invoice.InvoiceRows.*.Description"): ROW_TEXT,
        ("sales_order", "Order.OrderRows.*.Description"): ROW_TEXT,
    }
