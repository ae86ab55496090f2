"""VismaNetErp's customers-out part (capability CUSTOMERS_OUT; mixed into integrations/visma_net/adapter.py).

CustomerDto → ErpCustomer with what customers ERP → shop needs (sync/flows/erp_customers.py). Visma.net
customers carry no company/person flag (spec CustomerDto); a customer counts as a company when it has an
organisation number (corporateId), a VAT registration id, or an attention line on its main contact (the
contact person Koppla writes for a company, payloads.customer_payload). Listed by number, filtered on
lastModifiedDateTime (>=).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from integrations.http import NotFound
from sync.erp import ErpCustomer

# Customer statuses under which the customer is not active (CustomerDto.status).
INACTIVE_STATUSES = ("Inactive", "OneTime")


def _text(value) -> str:
    return str(value or "").strip()


def erp_customer_from_visma(node: dict) -> ErpCustomer:
    """A Visma.net CustomerDto as customers ERP → shop sees it."""
    contact = node.get("mainContact") or {}
    address = node.get("mainAddress") or {}
    country = address.get("country")
    if isinstance(country, dict):
        country = country.get("id")
    attention = _text(contact.get("attention"))
    corporate_id, vat_number = _text(node.get("corporateId")), _text(node.get("vatRegistrationId"))
    is_company = bool(corporate_id or vat_number or attention)
    return ErpCustomer(
        number=_text(node.get("number")),
        name=_text(node.get("name")),
        email=_text(contact.get("email")),
        updated_at=_text(node.get("lastModifiedDateTime")),
        active=_text(node.get("status") or "Active") not in INACTIVE_STATUSES,
        is_company=is_company,
        contact_name=(attention or _text(contact.get("name"))) if is_company else "",
        phone=_text(contact.get("phone1")),
        vat_number=vat_number,
        corporate_id=corporate_id,
        address1=_text(address.get("addressLine1")),
        address2=_text(address.get("addressLine2")),
        zip_code=_text(address.get("postalCode")),
        city=_text(address.get("city")),
        country=_text(country).upper(),
    )


class VismaNetCustomersOut:
    client = None  # the VismaNetClient, set by VismaNetErp

    def customers_changed(self, *, updated_from: datetime | None) -> Iterator[ErpCustomer]:
        """Customers modified since `updated_from` (every customer when None), one page held at a time."""
        return (erp_customer_from_visma(node) for node in self.client.customer_list(modified_since=updated_from))

    def customer_get(self, number: str) -> ErpCustomer | None:
        try:
            return erp_customer_from_visma(self.client.customer_get(number))
        except NotFound:
            return None
