"""A company customer gets the person its address names as a Visma.net contact (POST /v1/contact: the
customer DTO holds no persons); a person customer, or a company address without a name, gets none."""

from dataclasses import replace

import pytest

from integrations.sandbox.models import SandboxFault
from integrations.visma_net import sandbox
from integrations.visma_net.adapter import VismaNetErp
from sync.drafts import CustomerDraft
from sync.shop import ShopAddress


@pytest.fixture
def erp(visma_connection, seeded, clock):
    return VismaNetErp(visma_connection, clock=clock)


COMPANY = CustomerDraft(
    email="inkoop@muster.example",
    name="Muster AB",
    is_company=True,
    vat_number="SE556677889901",
    customer_type="B2B",
    customer_class="DOMESTIC",
    vat_zone="SE",
    country="SE",
    address=ShopAddress(
        first_name="Erika",
        last_name="Muster",
        company="Muster AB",
        address1="Storgatan 1",
        zip_code="111 22",
        city="Stockholm",
        country="SE",
        phone="+46 8 123456",
        email="inkoop@muster.example",
    ),
    currency="SEK",
    credit_terms="",
    payment_method="",
)


def test_a_company_gets_the_person_its_address_names_as_its_contact(erp):
    number = erp.customer_create(COMPANY)

    [contact] = sandbox.contacts()
    assert (contact["businessAccount"]["id"], contact["firstName"], contact["lastName"]) == (number, "Erika", "Muster")
    assert (contact["email"], contact["phone1"]) == ("inkoop@muster.example", "+46 8 123456")
    customer = sandbox.document_get(sandbox.CUSTOMER, number)
    assert customer["name"] == "Muster AB" and customer["mainContact"]["attention"] == "Erika Muster"


@pytest.mark.parametrize(
    "draft",
    [
        replace(COMPANY, is_company=False, name="Erika Muster"),
        replace(COMPANY, address=replace(COMPANY.address, first_name="", last_name="")),
    ],
    ids=["person", "company-without-a-name"],
)
def test_a_person_or_a_nameless_company_address_makes_no_contact(erp, draft):
    erp.customer_create(draft)
    assert sandbox.contacts() == []


def test_a_refused_contact_leaves_the_customer_created_and_its_number_returned(erp, caplog):
    SandboxFault.objects.create(
        system="visma_net", endpoint="POST .*/v1/contact$", kind="server_error", status_code=400
    )

    number = erp.customer_create(COMPANY)

    assert sandbox.document_get(sandbox.CUSTOMER, number) is not None and sandbox.contacts() == []
    assert f"customer {number} created without its contact person" in caplog.text
