"""What field rules may target in the bodies the Visma.net adapter sends (integrations/spec_fields.py).

Requests from the official spec subset in spec/ (regenerated from the client's @operation markers, so a
kind whose operation the client does not call yet has no schema there). Every Visma.net write field is
wrapped: a rule targets `invoiceText.value`, `invoiceLines.*.description.value`. The spec declares no
maxLength anywhere (see limits.py), so "truncate to the target's length" uses Koppla's limits below.
"""

from __future__ import annotations

from pathlib import Path

from .limits import limit

SPEC = Path(__file__).resolve().parent / "spec" / "visma-net-erp-v1.subset.json"

OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "invoice": (("POST", "/v2/customerinvoice"),),
    "credit_note": (("POST", "/v2/customerCreditNote"),),
    "customer": (("POST", "/v1/customer"),),
    "payment": (("POST", "/v1/customerPayment"),),
    "sales_order": (("POST", "/v2/salesorder"), ("POST", "/v1/salesorder")),
    "journal_transaction": (("POST", "/v2/journaltransaction"), ("POST", "/v1/journaltransaction")),
}
# Fields the adapter finds a record by again: field rules may not change them (spec_fields.key_check).
KEYS: dict[str, tuple[str, ...]] = {
    "invoice": ("customerRefNumber.value",),  # invoice_find (client.py)
    "credit_note": ("customerRefNumber.value",),  # credit_note_find
    "sales_order": ("customerRefNo.value",),  # sales_order_find (adapter_orders.py)
    "journal_transaction": ("description.value",),  # journal_transaction_find: Koppla's reference
    "customer": ("mainContact.value.email.value",),  # customer_find_by_email
}

LENGTHS_SOURCE = "Koppla's Visma.net limits (setting VISMA_NET_LIMITS; the spec gives none)"


def lengths() -> dict[tuple[str, str], int]:
    """(kind, path) → the length Koppla sends at most (limits.py, settings VISMA_NET_LIMITS)."""
    description = limit("line_description")
    found = {
        ("invoice", "invoiceLines.*.description.value"): description,
        ("credit_note", "creditNoteLines.*.description.value"): description,
        ("sales_order", "lines.*.lineDescription.value"): description,
        ("customer", "name.value"): limit("customer_name"),
        ("customer", "vatRegistrationId.value"): limit("vat_registration_id"),
    }
    for part in ("mainAddress", "invoiceAddress", "deliveryAddress"):
        for field, name in (
            ("addressLine1", "address_line"),
            ("addressLine2", "address_line"),
            ("addressLine3", "address_line"),
            ("postalCode", "postal_code"),
            ("city", "city"),
        ):
            found[("customer", f"{part}.value.{field}.value")] = limit(name)
    for part in ("mainContact", "invoiceContact", "deliveryContact"):
        found[("customer", f"{part}.value.name.value")] = limit("contact_name")
        for field, name in (("email", "email"), ("phone1", "phone"), ("phone2", "phone")):
            found[("customer", f"{part}.value.{field}.value")] = limit(name)
    return found
