"""Fortnox as an ErpPort (sync/ports.py): neutral drafts → Fortnox bodies, answers → neutral records.

This part: customers, VAT categories, invoices and credit notes (bodies and records in payloads.py,
what Fortnox would refuse in limits.py, VAT in vat.py). Payments are adapter_payments.py's, items,
stock and documents out adapter_items.py's.

- invoice_find / credit_note_find search Fortnox's substring filters and compare exactly here.
- invoice_post / credit_note_post bookkeep.
- credit_note_create: a full refund of an invoice that no credit has touched goes through Fortnox's
  credit action (PUT /3/invoices/{n}/credit, once per invoice), the credit invoice then gets the refund's
  reference; any other refund is a credit invoice of the refunded rows (negative prices) referencing
  the original (api-notes § A5).
- sales_order_*: the order as a Fortnox order (POST /3/orders, not booked: Fortnox invoices it later), with
  the invoice's rows and VAT rules (payloads.order_body); found by ExternalInvoiceReference1 compared exactly.
- Field rules (integrations.adapters.BodyFinishing): every body sent and every `*_request` goes through
  `body_finish`; the credit action of a full refund sends no body of the credit note, so no rule applies to it.
- Capabilities: a fee is written off to an account, not under a reason code ("payment_write_off_account");
  sales orders ("sales_order"); no journal transactions and no number series to read.
"""

from __future__ import annotations

from integrations.adapters import BodyFinishing
from integrations.clients import client_for
from integrations.http import RemoteError
from integrations.models import Connection
from sync import ports
from sync.drafts import CreditNoteDraft, CustomerDraft, InvoiceDraft
from sync.erp import CREDIT_NOTE, INVOICE, SALES_ORDER, ErpCustomer, ErpDocument, NumberSeries, VatCategory

from .adapter_items import FortnoxItems
from .adapter_payments import FortnoxPayments
from .limits import customer_problems, document_problems
from .payloads import (
    credit_invoice_body,
    credit_reference,
    customer_body,
    customer_from_fortnox,
    document_from_fortnox,
    flag,
    invoice_body,
    order_body,
    order_from_fortnox,
)
from .vat import VAT_CATEGORIES


class FortnoxErp(FortnoxItems, FortnoxPayments, BodyFinishing):
    system = "fortnox"
    display_name = "Fortnox"
    capabilities = frozenset({ports.PAYMENT_WRITE_OFF_ACCOUNT, ports.SALES_ORDER})
    call_floor = ports.CallFloor(
        order=2,  # POST /3/invoices + PUT /3/invoices/{n}/bookkeep
        new_customer=2,  # GET /3/customers?email= (no customer directory here) + POST /3/customers
        credit_note=2,  # a credit invoice of the rows + bookkeep; a full refund of an untouched invoice takes
        # Fortnox's credit action instead: + GET the invoice, + PUT the credit's reference (4 calls)
        note="Koppla reads no Fortnox customer listing by change, so each new e-mail is searched once.",
    )

    def __init__(self, connection: Connection, **kwargs):
        self.connection = connection
        self.client = client_for(connection, **kwargs)

    # -- customers ------------------------------------------------------------------------
    def customer_find_by_email(self, email: str) -> list[ErpCustomer]:
        return [customer_from_fortnox(node) for node in self.client.customer_find_by_email(email)]

    def customer_problems(self, draft: CustomerDraft) -> list[str]:
        return customer_problems(self.customer_request(draft))

    def customer_request(self, draft: CustomerDraft) -> dict:
        return self.body_finish("customer", customer_body(draft))

    def customer_create(self, draft: CustomerDraft) -> str:
        return self.client.customer_create(self.customer_request(draft))

    def customer_update(self, number: str, draft: CustomerDraft) -> None:
        self.client.customer_update(number, self.customer_request(draft))

    # -- VAT ----------------------------------------------------------------------------------
    def vat_categories(self) -> list[VatCategory]:
        """Koppla's VAT categories for Fortnox (vat.py: Fortnox keeps only a rate per row)."""
        return list(VAT_CATEGORIES)

    # -- invoices -------------------------------------------------------------------------------
    def invoice_problems(self, draft: InvoiceDraft) -> list[str]:
        """What Fortnox would refuse, or book differently from the draft (checked before the customer is resolved)."""
        body = self.body_finish(INVOICE, invoice_body(draft, customer_number=draft.default_customer_number or "0"))
        zone = f"{draft.country}/{draft.customer.customer_type}" if draft.country else ""
        return document_problems(
            body,
            draft.lines,
            draft.tax_details,
            what="invoice",
            currency=draft.currency,
            rounding_account=draft.rounding_account,
            zone=zone.rstrip("/"),
        )

    def invoice_request(self, draft: InvoiceDraft, *, customer_number: str) -> dict:
        return self.body_finish(INVOICE, invoice_body(draft, customer_number=customer_number))

    def invoice_create(self, draft: InvoiceDraft, *, customer_number: str) -> str:
        created = self.client.invoice_create(self.invoice_request(draft, customer_number=customer_number))
        return str(created.get("DocumentNumber") or "")

    def invoice_find(self, order_number: str) -> ErpDocument | None:
        found = [n for n in self.client.invoice_find(order_number) if not flag(n.get("Credit"))]
        found = [n for n in found if not n.get("ExternalInvoiceReference2", "").startswith("R")] or found
        return document_from_fortnox(INVOICE, found[0]) if found else None

    def invoice_get(self, number: str, *, figures: bool = False) -> ErpDocument:
        return document_from_fortnox(INVOICE, self.client.invoice_get(number), figures=figures)

    def invoice_post(self, number: str) -> None:
        self.client.invoice_bookkeep(number)

    # -- sales orders --------------------------------------------------------------------------
    def sales_order_problems(self, draft: InvoiceDraft) -> list[str]:
        """As invoice_problems, for the order body (order rows take any VAT percentage, e.g. 25.5)."""
        body = self.body_finish(SALES_ORDER, order_body(draft, customer_number=draft.default_customer_number or "0"))
        return document_problems(body, draft.lines, draft.tax_details, what="order", currency=draft.currency)

    def sales_order_request(self, draft: InvoiceDraft, *, customer_number: str) -> dict:
        return self.body_finish(SALES_ORDER, order_body(draft, customer_number=customer_number))

    def sales_order_create(self, draft: InvoiceDraft, *, customer_number: str) -> str:
        created = self.client.order_create(self.sales_order_request(draft, customer_number=customer_number))
        return str(created.get("DocumentNumber") or "")

    def sales_order_find(self, order_number: str) -> ErpDocument | None:
        """The order whose ExternalInvoiceReference1 is exactly the order number (a cancelled one too: it was sent)."""
        found = self.client.order_find(order_number)
        return order_from_fortnox(found[0]) if found else None

    def sales_order_get(self, number: str, *, figures: bool = False) -> ErpDocument:
        return order_from_fortnox(self.client.order_get(number), figures=figures)

    # -- credit notes -----------------------------------------------------------------------------
    def credit_note_problems(self, draft: CreditNoteDraft) -> list[str]:
        body = self.body_finish(CREDIT_NOTE, credit_invoice_body(draft))
        return document_problems(
            body,
            draft.lines,
            draft.tax_details,
            what="credit note",
            currency=draft.currency,
            sign=-1,
            rounding_account=draft.rounding_account,
        )

    def credit_note_request(self, draft: CreditNoteDraft) -> dict:
        return self.body_finish(CREDIT_NOTE, credit_invoice_body(draft))

    def credit_note_create(self, draft: CreditNoteDraft) -> str:
        """A full refund of an untouched invoice by Fortnox's credit action, else a credit invoice of the rows."""
        if draft.full and draft.invoice_number:
            original = self.client.invoice_get(draft.invoice_number)
            untouched = str(original.get("CreditInvoiceReference") or "0") in ("0", "")
            if untouched and str(original.get("Total")) and _same_total(original, draft):
                credited = self.client.invoice_credit(draft.invoice_number)
                number = str(credited.get("CreditInvoiceReference") or "")
                if number and number != "0":
                    try:
                        self.client.invoice_update(number, credit_reference_body(draft, original))
                    except RemoteError:
                        pass  # the caller binds the number at once; the reference only helps a later search
                    return number
        created = self.client.invoice_create(self.credit_note_request(draft))
        return str(created.get("DocumentNumber") or "")

    def credit_note_find(self, refund_id: str) -> ErpDocument | None:
        found = self.client.invoice_find(credit_reference(refund_id), field="ExternalInvoiceReference2")
        return document_from_fortnox(CREDIT_NOTE, found[0]) if found else None

    def credit_note_get(self, number: str, *, figures: bool = False) -> ErpDocument:
        return document_from_fortnox(CREDIT_NOTE, self.client.invoice_get(number), figures=figures)

    def credit_note_post(self, number: str) -> None:
        self.client.invoice_bookkeep(number)

    # -- number series ------------------------------------------------------------------------------
    def number_series_read(self, series_id: str) -> NumberSeries | None:
        """Fortnox numbers customers and invoices itself and the API shows no series: always None."""
        return None


def credit_reference_body(draft: CreditNoteDraft, original: dict) -> dict:
    """What a credit invoice made by Fortnox's credit action is updated with: the refund's reference."""
    customer = str(original.get("CustomerNumber") or draft.customer_number)
    return {"Invoice": {"CustomerNumber": customer, "ExternalInvoiceReference2": credit_reference(draft.refund_id)}}


def _same_total(original: dict, draft: CreditNoteDraft) -> bool:
    from decimal import Decimal

    net = original.get("Net")
    vat = original.get("TotalVAT")
    if net is None or vat is None:
        return False
    return abs(Decimal(str(net)) + Decimal(str(vat))) == draft.gross_total
