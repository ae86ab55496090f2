"""The Fortnox emulator: envelopes, paging, substring search, token rotation, rate limit, rounding, credit, errors."""

from decimal import Decimal

import pytest
from django.test import override_settings

from integrations.fortnox import sandbox

from .conftest import SCOPES

D = Decimal


def invoice_body(*rows, customer="1", **fields) -> dict:
    return {"Invoice": {"CustomerNumber": customer, "InvoiceDate": "2026-11-02", "InvoiceRows": list(rows), **fields}}


def row(price, quantity="1", vat=25, **fields) -> dict:
    return {"Description": "Item", "Price": price, "DeliveredQuantity": quantity, "VAT": vat, **fields}


def create(api, *rows, **fields) -> dict:
    answer = api.post("/3/invoices", invoice_body(*rows, **fields))
    assert answer.status_code == 201, answer.content
    return answer.json()["Invoice"]


# --------------------------------------------------------------------------- envelopes and paging
def test_company_information_carries_the_tenant_id(api):
    info = api.get("/3/companyinformation").json()["CompanyInformation"]
    assert info["DatabaseNumber"] == 1_700_042


def test_a_created_invoice_comes_back_in_its_envelope(api):
    created = create(api, row(100))
    answer = api.get(f"/3/invoices/{created['DocumentNumber']}").json()
    assert list(answer) == ["Invoice"]
    assert (answer["Invoice"]["Total"], answer["Invoice"]["Credit"], answer["Invoice"]["Booked"]) == (125, "false", False)
