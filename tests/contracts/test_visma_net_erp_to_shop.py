"""Contract: the Visma.net reads of the ERP → shop flows (products, stock, documents) use only query
parameters the official spec lists for the operation. These flows send no request bodies to Visma.net."""

from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from integrations.clients import client_for
from integrations.http import record_calls
from integrations.visma_net import demo_data
from integrations.visma_net import sandbox as visma
from integrations.visma_net.schemas import Address, Contact, CustomerPayload, DocumentLine, InvoicePayload
from mappings.models import SkuRule
from sync.bindings import binding_save
from sync.models import Flow, Integration
from sync.services import flow_run, integration_flows_ensure
from tests.contracts.openapi import visma_net

SPEC = visma_net()
API = "/sandbox/visma-net/api"


def operation_of(path: str) -> tuple[str, dict]:
    """The spec path template a concrete path belongs to, and its GET operation."""
    template = SPEC.template_for(path)
    assert template, f"{path} is not an operation of the spec subset"
    return template, SPEC.operation("GET", template)


@pytest.fixture
def integration(db, centra_connection, visma_connection):
    from integrations.sandbox.models import SandboxObject

    demo_data.seed()  # reference data for the invoice; of its items only a few are kept
    SandboxObject.objects.filter(system="visma_net", kind="inventory").exclude(key__startswith="1001-").delete()
    integration = Integration.objects.create(name="Contract", shop=centra_connection, erp=visma_connection)
    integration_flows_ensure(integration=integration)
    SkuRule.objects.create(
        integration=integration,
        product_source="segment:1",
        variant_source="segment:2",
        size_source="segment:3",
        separator="-",
    )
    return integration


def test_erp_reads_use_documented_parameters_only(integration):
    from integrations.centra import sandbox as centra

    erp = client_for(integration.erp)
    customer = erp.customer_create(
        CustomerPayload(
            name="Anna",
            customer_class="DOMESTIC",
            credit_terms="0",
            currency="SEK",
            main_contact=Contact(name="Anna", email="anna@example.com"),
            main_address=Address(line1="Storgatan 1", postal_code="11122", city="Stockholm", country="SE"),
        )
    )
    line = DocumentLine("Tee", unit_price=Decimal("100"), vat_category="SE25", account="3001")
    invoice = erp.invoice_create(InvoicePayload(customer_number=customer, lines=(line,), customer_ref_number="7001"))
    erp.invoice_release(invoice)
    centra.order_put({"number": 7001, "grandTotal": {"value": 125, "currency": {"code": "SEK"}}})
    binding_save(integration=integration, kind="invoice", source_id="7001", target_id=invoice)

    with record_calls() as calls:
        for flow in (Flow.PRODUCTS, Flow.STOCK, Flow.DOCUMENTS):
            assert flow_run(integration=integration, flow=flow, trigger="manual").status == "succeeded"
        visma.inventory_item_set("1001-BLK-M", available=3)
        flow_run(integration=integration, flow=Flow.STOCK, trigger="manual")  # with the availability cursor
        flow_run(integration=integration, flow=Flow.STOCK, trigger="resync", source_ids=["1001-BLK-M"])
        flow_run(integration=integration, flow=Flow.PRODUCTS, trigger="resync", source_ids=["1001-BLK-M"])
        flow_run(integration=integration, flow=Flow.DOCUMENTS, trigger="resync", source_ids=[f"invoice:{invoice}"])

    reads = [c for c in calls if c["system"] == "visma_net" and c["method"] == "GET"]
    assert {c["method"] for c in calls if c["system"] == "visma_net"} == {"GET"}  # no bodies sent
    seen = set()
    for call in reads:
        url = urlsplit(call["url"])
        template, operation = operation_of(url.path.split(API, 1)[1])
        documented = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        used = {name for name, _ in parse_qsl(url.query)}
        assert used <= documented, f"{template}: {sorted(used - documented)} not in the spec"
        seen.add(template)
        if "availabilityLastModifiedDateTime" in used:
            assert "availabilityLastModifiedDateTimeCondition" in used
    assert {"/v1/inventory", "/v1/customerinvoice", "/v1/customerCreditNote", "/v1/inventory/{inventoryNumber}"} <= seen
