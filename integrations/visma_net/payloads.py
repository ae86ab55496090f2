"""Neutral drafts → Visma.net payloads, Visma.net answers → neutral records. Pure: no I/O.

VismaNetErp (adapter.py) is the only caller: flows never see these shapes.

- Payloads: a draft (sync/drafts.py) becomes the payload dataclasses of schemas.py. Texts the
  ERP would not take are cut to the limits of limits.py; tax details are keyed by the VAT id
  each VAT category holds (`vat_ids`), as Visma.net expects them.
- Records: CustomerInvoiceDto / CustomerCreditNoteDto → ErpDocument (with its Figures when the
  document was read in full), VatCategoryDto → VatCategory and the category → VAT id map.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.text_length import text_cut
from sync.drafts import CreditNoteDraft, CustomerDraft, DraftLine, Figures, InvoiceDraft
from sync.drafts import TaxDetail as DraftTaxDetail
from sync.erp import ErpCustomer, ErpDocument, VatCategory
from sync.shop import ShopAddress
from sync.vat import money

from .limits import limit
from .operations import vat_category_rate
from .schemas import (
    Address,
    Contact,
    ContactPerson,
    CreditNotePayload,
    CustomerPayload,
    DocumentLine,
    InvoicePayload,
    TaxDetail,
)

# Visma.net statuses of a document that has been released.
RELEASED = ("Open", "Closed")
# Not released yet (created, waiting for its release action).
AWAITING_RELEASE = "Balanced"


# --------------------------------------------------------------------------- payloads
def address_payload(address: ShopAddress) -> Address:
    return Address(
        line1=address.address1 or None,
        line2=address.address2 or None,
        postal_code=address.zip_code or None,
        city=address.city or None,
        country=address.country.upper() or None,
    )


def customer_payload(customer: CustomerDraft) -> CustomerPayload:
    contact = Contact(
        name=text_cut(customer.address.person_name or customer.name, limit("contact_name")),
        email=customer.email or None,
        phone=customer.address.phone or None,
        attention=customer.address.person_name if customer.is_company else None,
    )
    return CustomerPayload(
        name=text_cut(customer.name, limit("customer_name")),
        customer_class=customer.customer_class,
        vat_zone=customer.vat_zone,
        credit_terms=customer.credit_terms or None,
        currency=customer.currency or None,
        vat_registration_id=customer.vat_number or None,
        main_address=address_payload(customer.address),
        main_contact=contact,
        payment_method=customer.payment_method or None,
    )


def contact_person_payload(customer: CustomerDraft, *, customer_number: str) -> ContactPerson | None:
    """The contact person of a company customer whose address names a person (first and/or last name);
    None for a person customer or a company address without a name (issue 17: a company debtor with its
    contact)."""
    first, last = customer.address.first_name.strip(), customer.address.last_name.strip()
    if not customer.is_company or not (first or last):
        return None
    longest = limit("contact_name")
    return ContactPerson(
        customer_number=customer_number,
        first_name=text_cut(first, longest) or None,
        last_name=text_cut(last, longest) or None,
        email=customer.email or None,
        phone=customer.address.phone or None,
    )


def document_lines(lines: tuple[DraftLine, ...], *, exempt_category: str = "") -> tuple[DocumentLine, ...]:
    """The draft's lines; a line outside VAT (vat_category "", an öre rounding) under `exempt_category`, the
    company's VAT-exempt category (VismaNetErp.exempt_category): a line with no vatCodeId would take the
    item's or the VAT zone's category, and be taxed."""
    longest = limit("line_description")
    return tuple(
        DocumentLine(
            description=text_cut(line.description, longest),
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            vat_category=line.vat_category or exempt_category or None,
            account=line.account or None,
            inventory_number=line.inventory_number or None,
        )
        for line in lines
    )


def tax_details(draft: InvoiceDraft | CreditNoteDraft, vat_ids: dict[str, str]) -> tuple[TaxDetail, ...]:
    """The draft's VAT per category, keyed by the VAT id the ERP expects."""
    return tuple(
        TaxDetail(vat_id=vat_ids.get(t.vat_category, t.vat_category), vat_amount=t.vat, taxable_amount=t.taxable)
        for t in draft.tax_details
    )


def invoice_payload(
    draft: InvoiceDraft, *, customer_number: str, vat_ids: dict[str, str], exempt_category: str = ""
) -> InvoicePayload:
    return InvoicePayload(
        customer_number=customer_number,
        lines=document_lines(draft.lines, exempt_category=exempt_category),
        document_date=draft.document_date,
        currency=draft.currency,
        customer_ref_number=draft.order_number,
        external_reference=draft.order_number,
        text=draft.text,
        payment_method=draft.payment_method,
        credit_terms=draft.credit_terms,
        vat_zone=draft.vat_zone,
        tax_details=tax_details(draft, vat_ids),
    )


def credit_note_reference(refund_id: str) -> str:
    """What a credit note carries in customerRefNumber: the refund it credits."""
    return f"R{refund_id}"


def credit_note_payload(
    draft: CreditNoteDraft, *, vat_ids: dict[str, str], exempt_category: str = ""
) -> CreditNotePayload:
    return CreditNotePayload(
        customer_number=draft.customer_number,
        lines=document_lines(draft.lines, exempt_category=exempt_category),
        document_date=draft.document_date,
        currency=draft.currency,
        customer_ref_number=credit_note_reference(draft.refund_id),
        external_reference=draft.order_number,
        text=draft.text,
        vat_zone=draft.vat_zone,
        tax_details=tax_details(draft, vat_ids),
    )


# --------------------------------------------------------------------------- records
def customer_from_visma(node: dict) -> ErpCustomer:
    return ErpCustomer(
        number=str(node.get("number") or ""),
        name=str(node.get("name") or ""),
        email=str((node.get("mainContact") or {}).get("email") or ""),
    )


def vat_categories_read(categories: list[dict]) -> tuple[dict[str, str], list[VatCategory]]:
    """(category → its VAT id, for categories that hold exactly one VAT; each category with its rate
    history ((start date 'YYYY-MM-DD', rate percent), ...), ascending) from VatCategoryDtos."""
    ids: dict[str, str] = {}
    result = []
    for category in categories:
        category_id = str(category.get("vatCategoryId"))
        lines = category.get("vatCategoryLines") or []
        if len(lines) == 1 and lines[0].get("vatId"):
            ids[category_id] = str(lines[0]["vatId"])
        starts = sorted(
            {str(r.get("startDate") or "")[:10] for line in lines for r in line.get("vatRates") or []} - {""}
        )
        rates = tuple((start, vat_category_rate(category, on=date.fromisoformat(start))) for start in starts)
        result.append(VatCategory(id=category_id, rates=rates))
    return ids, result


def exempt_category_of(categories: list[dict]) -> str:
    """The first VatCategoryDto (by id) whose every VAT line is of type ExemptVat, "" when there is none."""
    exempt = [
        str(category.get("vatCategoryId") or "")
        for category in categories
        if category.get("vatCategoryLines")
        and all(line.get("type") == "ExemptVat" for line in category["vatCategoryLines"])
    ]
    return min((c for c in exempt if c), default="")


def payable_accounts_read(vats: list[dict]) -> dict[str, str]:
    """VAT id → the number of its VAT payable account (VatInformationDto.glAccounts.vatPayableAccount, GET
    /v1/vat), for the VATs that name one."""
    result = {}
    for vat in vats:
        account = ((vat.get("glAccounts") or {}).get("vatPayableAccount") or {}).get("number")
        if vat.get("vatId") and account:
            result[str(vat["vatId"])] = str(account)
    return result


def _amount(value) -> Decimal | None:
    return None if value is None else money(value)


def attachment_link(node: dict, *, base_url: str) -> str:
    """Link to the document's newest attachment (the ERP's PDF), '' when it has none."""
    attachments = [a for a in node.get("attachments") or [] if a.get("id")]
    if not attachments:
        return ""
    newest = max(attachments, key=lambda a: int(a.get("revision") or 0))
    return f"{base_url.rstrip('/')}/v1/attachment/{newest['id']}"


def document_from_visma(
    kind: str, node: dict, *, base_url: str = "", vat_ids: dict[str, str] | None = None
) -> ErpDocument:
    """An invoice or credit note as Visma.net holds it; with its figures when `vat_ids` are given."""
    method = node.get("paymentMethod") or {}
    status = str(node.get("status") or "")
    return ErpDocument(
        kind=kind,
        number=str(node.get("referenceNumber") or node.get("number") or ""),
        status=status,
        released=status in RELEASED,
        customer_number=str((node.get("customer") or {}).get("number") or ""),
        currency=str(node.get("currencyId") or ""),
        total=_amount(node.get("amountInCurrency", node.get("amount"))),
        balance=money(node.get("balanceInCurrency", node.get("balance")) or 0),
        order_number=str(node.get("customerRefNumber") or ""),
        date=str(node.get("documentDate") or "")[:10],
        payment_method=str(method.get("id") or "") if isinstance(method, dict) else "",
        link=attachment_link(node, base_url=base_url),
        vat_zone=str((node.get("customerVatZone") or {}).get("id") or ""),
        figures=None if vat_ids is None else figures_read(node, vat_ids),
        updated_at=str(node.get("lastModifiedDateTime") or ""),
        voided=status == "Voided",
        settled=status == "Closed",
        on_hold=status == "Hold",
        awaiting_release=status == AWAITING_RELEASE,
    )


def figures_read(document: dict, vat_ids: dict[str, str]) -> Figures:
    """The figures of an invoice or credit note as Visma.net holds it (CustomerInvoiceDto or
    CustomerCreditNoteDto). Lines keep their order, each with its VAT category and that category's
    rate; their `key` and `gross` are the caller's (sync/flows/erp_documents.py `figures_keyed`)."""
    category_of = {vat_id: category for category, vat_id in vat_ids.items()}
    rates: dict[str, Decimal] = {}
    tax = []
    for detail in document.get("taxDetails") or []:
        vat_id = str(detail.get("taxId") or (detail.get("vatId") or {}).get("number") or "")
        category = category_of.get(vat_id, vat_id)
        rates[category] = money(detail.get("vatRate"))
        tax.append(DraftTaxDetail(category, money(detail.get("taxableAmount")), money(detail.get("vatAmount"))))
    lines = []
    for line in document.get("invoiceLines") or document.get("lines") or []:
        category = str((line.get("vatCode") or {}).get("id") or "")
        lines.append(
            DraftLine(
                description=str(line.get("description") or ""),
                quantity=money(line.get("quantity") or 1),
                unit_price=money(line.get("unitPriceInCurrency", line.get("unitPrice"))),
                amount=money(line.get("amountInCurrency", line.get("amount"))),
                vat_category=category,
                account=str((line.get("account") or {}).get("number") or ""),
                inventory_number=str(line.get("inventoryNumber") or ""),
                rate=rates.get(category, Decimal(0)),
            )
        )
    return Figures(tuple(lines), tuple(tax), money(document.get("amountInCurrency", document.get("amount"))))
