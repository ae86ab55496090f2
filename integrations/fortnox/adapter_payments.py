"""FortnoxErp's payments part (mixed into integrations/fortnox/adapter.py).

PaymentDraft → POST /3/invoicepayments {"InvoicePayment": {...}} on the (credit) invoice of its first
line, a fee as a write-off to `write_off_account` (Fortnox has no reason codes: api-notes § A6), then
bookkeep. Rules of Fortnox's the booking follows (api-notes § A6):
- the payment date is never before the invoice date (Fortnox refuses it): a payout settled before the
  invoice's date is booked on the invoice's date;
- the payment is in the invoice's currency: a draft in another currency is refused before anything is sent;
- a refund paid out against a credit invoice is a negative payment.
Koppla's reference (the payout line's, "PO-77/12") is sent as the payment's ExternalInvoiceReference1
(spec: fortnox_InvoicePayment; Fortnox copies the invoice's when none is sent) and as the
TransactionInformation of a fee's write-off. `payment_find` reads every payment of the invoice and
compares either field exactly, so a payment is found whether or not it wrote a fee off (payments booked
before the reference was sent carry it in the write-off only).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.http import NotFound
from sync.drafts import PaymentDraft
from sync.erp import ErpPayment
from sync.flows.base import RecordFailed

from .limits import fortnox_account
from .payloads import amount, flag, number


def payment_body(draft: PaymentDraft, *, invoice: dict | None = None) -> dict:
    line = draft.lines[0]
    sign = Decimal(-1) if draft.refund else Decimal(1)
    paid_on = draft.payment_date.isoformat() if isinstance(draft.payment_date, date) else str(draft.payment_date or "")
    invoice_date = str((invoice or {}).get("InvoiceDate") or "")[:10]
    if invoice_date and (not paid_on or paid_on < invoice_date):
        paid_on = invoice_date
    currency = draft.currency or str((invoice or {}).get("Currency") or "")
    fields = {
        "InvoiceNumber": int(line.document_number) if line.document_number.isdigit() else line.document_number,
        "AmountCurrency": number(line.amount_paid * sign),
        "PaymentDate": paid_on,
        "ModeOfPayment": draft.payment_method,
        "ModeOfPaymentAccount": int(draft.cash_account) if draft.cash_account.isdigit() else None,
        "ExternalInvoiceReference1": draft.reference,
    }
    if currency in ("SEK", ""):
        fields["Amount"] = fields["AmountCurrency"]
    if line.write_off:
        account = line.write_off_account
        fields["WriteOffs"] = [
            {
                "AccountNumber": int(account) if account.isdigit() else account,
                "Amount": number(line.write_off * sign),
                "Currency": currency,
                "Description": (draft.text or "Fee")[:100],
                "TransactionInformation": draft.reference,
            }
        ]
    return {"InvoicePayment": {key: value for key, value in fields.items() if value not in ("", None)}}


def payment_problems(draft: PaymentDraft) -> list[str]:
    """What Fortnox would refuse in the payment's settings, each naming the setting to fix (empty: nothing).

    Accounts are 4 digits, 1000–9999 (spec: WriteOff AccountNumber, ModeOfPaymentAccount); Koppla's
    settings take up to 10 digits for other ERPs.
    """
    line = draft.lines[0]
    problems = []
    if line.write_off and not line.write_off_account:
        problems.append(
            f"A fee of {line.write_off} is to be written off, but no fee account is set: Fortnox writes fees "
            "off to an account. Set the integration's fee account, then resync."
        )
    elif line.write_off and not fortnox_account(line.write_off_account):
        problems.append(
            f"A fee of {line.write_off} is to be written off to the integration's fee write-off account "
            f"'{line.write_off_account}', but Fortnox books to 4-digit accounts 1000–9999 only: set a 4-digit fee "
            "write-off account (e.g. 6570) under Integrations › Payouts, then resync. Nothing was booked."
        )
    if draft.cash_account and not fortnox_account(draft.cash_account):
        problems.append(
            f"The integration's payment cash account '{draft.cash_account}' is not a Fortnox account: Fortnox books "
            "payments to 4-digit accounts 1000–9999 only. Set a 4-digit payment cash account (e.g. 1930) under "
            "Integrations › Payouts, then resync. Nothing was booked."
        )
    return problems


def payment_references(node: dict) -> set[str]:
    """The references a Fortnox payment carries: its ExternalInvoiceReference1 and its write-offs' texts."""
    texts = [node.get("ExternalInvoiceReference1")]
    texts += [w.get("TransactionInformation") for w in node.get("WriteOffs") or []]
    return {str(text) for text in texts if text}


def payment_from_fortnox(node: dict) -> ErpPayment:
    write_offs = node.get("WriteOffs") or []
    written = [str(w.get("TransactionInformation")) for w in write_offs if w.get("TransactionInformation")]
    booked = flag(node.get("Booked"))
    paid = amount(node.get("AmountCurrency", node.get("Amount"))) or Decimal(0)
    raw = Decimal(str(node.get("AmountCurrency", node.get("Amount")) or 0))
    return ErpPayment(
        number=str(node.get("Number") or ""),
        reference=written[0] if written else str(node.get("ExternalInvoiceReference1") or ""),
        status="Booked" if booked else "Not booked",
        released=booked,
        amount=paid,
        currency=str(node.get("Currency") or ""),
        refund=raw < 0,
        awaiting_release=not booked,
        document_numbers=(str(node.get("InvoiceNumber") or ""),),
        amount_paid=paid,
        written_off=sum((amount(w.get("Amount")) or Decimal(0) for w in write_offs), Decimal(0)),
        write_off_account=str(write_offs[0].get("AccountNumber") or "") if write_offs else "",
    )


class FortnoxPayments:
    client = None  # the FortnoxClient, set by FortnoxErp

    def payment_find(
        self, reference: str, *, document_number: str = "", customer_number: str = ""
    ) -> ErpPayment | None:
        """The payment of the invoice `document_number` that carries `reference` exactly, or None.

        Fortnox lists payments by invoice number only (no customer filter). With `customer_number` alone (a
        refund paid out on one of the customer's credit invoices), each of the customer's credit invoices is
        searched in turn, so a refund whose binding was lost is found, not paid out twice. The listing has no
        references, so each payment of an invoice is read.
        """
        if not reference:
            return None
        if not document_number:
            if not customer_number:
                return None
            # One search parameter per request: the customer's invoices. The list rows carry no Credit flag;
            # a credit invoice's Total is negative, so rows with a positive total are passed over.
            for credit in self.client.invoice_list(customer_number=customer_number):
                if str(credit.get("CustomerNumber") or "") != customer_number:
                    continue  # substring search: 12 also lists customer 123's
                if Decimal(str(credit.get("Total") or 0)) > 0:
                    continue
                found = self.payment_find(reference, document_number=str(credit.get("DocumentNumber") or ""))
                if found is not None:
                    return found
            return None
        for listed in self.client.payment_list(invoice_number=document_number):
            if str(listed.get("InvoiceNumber") or "") != document_number:
                continue  # Fortnox's filters may match a part of the number
            node = self.client.payment_get(str(listed.get("Number")))
            if reference in payment_references(node):
                return payment_from_fortnox(node)
        return None

    def payment_request(self, draft: PaymentDraft) -> dict:
        return self.body_finish("payment", payment_body(draft))

    def payment_book(self, draft: PaymentDraft) -> str:
        line = draft.lines[0]
        problems = payment_problems(draft)
        if problems:
            raise RecordFailed(" ".join(problems))
        try:
            invoice = self.client.invoice_get(line.document_number)
        except NotFound:
            raise RecordFailed(f"Invoice {line.document_number} is not in Fortnox: nothing was booked.") from None
        currency = str(invoice.get("Currency") or "")
        if draft.currency and currency and draft.currency != currency:
            raise RecordFailed(
                f"The payment is in {draft.currency} but invoice {line.document_number} is in {currency}: Fortnox books "
                "a payment in its invoice's currency only. Nothing was booked."
            )
        created = self.client.payment_create(self.body_finish("payment", payment_body(draft, invoice=invoice)))
        return str(created.get("Number") or "")

    def payment_get(self, number: str) -> ErpPayment | None:
        try:
            return payment_from_fortnox(self.client.payment_get(number))
        except NotFound:
            return None

    def payment_post(self, number: str, *, refund: bool = False) -> str:
        self.client.payment_bookkeep(number)
        return "Booked"
