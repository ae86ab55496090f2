"""Invoices and credit notes Visma.net → Centra: shown on the shop order, each version once."""

from decimal import Decimal

import pytest

from integrations.centra import sandbox as centra
from integrations.clients import client_for
from integrations.http import record_calls
from integrations.visma_net import sandbox as visma
from integrations.visma_net.payloads import attachment_link
from integrations.visma_net.schemas import (
    Address,
    Application,
    Contact,
    CreditNotePayload,
    CustomerPayload,
    DocumentLine,
    InvoicePayload,
)
from sync.bindings import binding_save
from sync.erp import ErpDocument
from sync.flows.documents import document_attributes
from sync.models import ExternalRef, Flow, Integration, RecordLog, SyncRecord
from sync.services import flow_run, integration_flows_ensure


@pytest.fixture
def shop_erp(db, centra_connection, visma_connection, erp_seeded):
    integration = Integration.objects.create(
        name="Documents test", shop=centra_connection, erp=visma_connection, home_country="SE"
    )
    integration_flows_ensure(integration=integration)
    return integration


@pytest.fixture
def erp(shop_erp):
    return client_for(shop_erp.erp)


@pytest.fixture
def customer(erp):
    return erp.customer_create(
        CustomerPayload(
            name="Anna Svensson",
            customer_class="DOMESTIC",
            credit_terms="0",
            currency="SEK",
            payment_method="KLARNA",
            main_contact=Contact(name="Anna Svensson", email="anna@example.com"),
            main_address=Address(line1="Storgatan 1", postal_code="111 22", city="Stockholm", country="SE"),
        )
    )


LINE = DocumentLine("Merino T-shirt", quantity=1, unit_price=Decimal("400"), vat_category="SE25", account="3001")


def shop_order(number: int) -> None:
    centra.order_put({"number": number, "status": "SHIPPED", "grandTotal": {"value": 500, "currency": {"code": "SEK"}}})


def invoiced(integration, erp, customer, order_number: int, *, release=True) -> str:
    """An order Koppla invoiced: the invoice in the ERP and its INVOICE binding."""
    shop_order(order_number)
    number = erp.invoice_create(
        InvoicePayload(customer_number=customer, lines=(LINE,), customer_ref_number=str(order_number))
    )
    if release:
        erp.invoice_release(number)
    binding_save(
        integration=integration, kind="invoice", source_id=str(order_number), target_id=number, data={"released": True}
    )
    return number


def credited(integration, erp, customer, order_number: int, return_id: str, invoice: str, amount: Decimal) -> str:
    """A return Koppla credited: the credit note (applied to the invoice) and its CREDIT_NOTE binding."""
    number = erp.credit_note_create(
        CreditNotePayload(
            customer_number=customer,
            lines=(DocumentLine("Return", quantity=1, unit_price=amount, vat_category="SE25", account="3001"),),
            customer_ref_number=f"R{return_id}",
            applications=(Application(invoice, amount * Decimal("1.25")),),
        )
    )
    erp.credit_note_release(number)
    binding_save(
        integration=integration,
        kind="credit_note",
        source_id=return_id,
        target_id=number,
        data={"order_number": str(order_number), "released": True},
    )
    return number


def run_documents(integration, trigger="manual", **kwargs):
    return flow_run(integration=integration, flow=Flow.DOCUMENTS, trigger=trigger, **kwargs)


def test_a_released_invoice_is_shown_on_its_order(shop_erp, erp, customer):
    number = invoiced(shop_erp, erp, customer, 5001)

    run = run_documents(shop_erp)

    assert run.status == "succeeded" and run.ok_count == 1
    invoice = visma.document_get(visma.INVOICE, number)
    assert centra.order_attributes(5001) == {
        "erp_invoice_number": number,
        "erp_invoice_date": invoice["documentDate"][:10],
        "erp_invoice_status": "Open",
    }
    ref = ExternalRef.objects.get(integration=shop_erp, kind="document", source_id=f"invoice:{number}")
    assert ref.target_id == "5001" and ref.checksum
    # What the shop staff read comes back through the client too.
    assert client_for(shop_erp.shop).order_attributes_get(5001)["erp_invoice_number"] == number


def test_the_erp_attachment_is_linked(shop_erp, erp, customer):
    number = invoiced(shop_erp, erp, customer, 5008)
    stored = visma._get(visma.INVOICE, number)
    stored["attachments"] = [
        {"name": f"Invoice {number}.pdf", "id": "6f1c8a52-0000-4000-8000-000000000001", "revision": 1}
    ]
    visma._put(visma.INVOICE, number, stored)

    with record_calls() as calls:
        run_documents(shop_erp)

    link = centra.order_attributes(5008)["erp_invoice_pdf"]
    assert link == f"{shop_erp.erp.base_url}/v1/attachment/6f1c8a52-0000-4000-8000-000000000001"
    lists = [c["url"] for c in calls if c["system"] == "visma_net" and "/v1/customerinvoice?" in c["url"]]
    assert lists and all("expandAttachments=true" in url for url in lists)


def test_each_version_is_attached_once(shop_erp, erp, customer):
    number = invoiced(shop_erp, erp, customer, 5001)
    run_documents(shop_erp)
    calls = centra.call_count("assignAttributes")

    again = run_documents(shop_erp)
    assert again.total == 0 and centra.call_count("assignAttributes") == calls

    credited(shop_erp, erp, customer, 5001, "9001", number, Decimal("400"))  # settles the invoice: Closed
    later = run_documents(shop_erp)

    assert centra.order_attributes(5001)["erp_invoice_status"] == "Closed"
    assert RecordLog.objects.filter(run=later, source_id=f"invoice:{number}", status="ok").count() == 1
    assert centra.call_count("assignAttributes") == calls + 2  # the invoice's new status, the credit note
    assert run_documents(shop_erp).total == 0


def test_credit_notes_of_an_order_are_listed_together(shop_erp, erp, customer):
    invoice = invoiced(shop_erp, erp, customer, 5002)
    first = credited(shop_erp, erp, customer, 5002, "9001", invoice, Decimal("100"))
    run_documents(shop_erp)
    second = credited(shop_erp, erp, customer, 5002, "9002", invoice, Decimal("50"))

    run_documents(shop_erp)

    attributes = centra.order_attributes(5002)
    assert attributes["erp_credit_note_number"] == f"{first}, {second}"
    assert attributes["erp_credit_note_status"] == "Closed, Closed"  # fully applied to the invoice
    assert attributes["erp_invoice_number"] == invoice


def test_unreleased_and_foreign_documents_are_not_shown(shop_erp, erp, customer):
    invoiced(shop_erp, erp, customer, 5003, release=False)  # Balanced, not released
    erp.invoice_release(erp.invoice_create(InvoicePayload(customer_number=customer, lines=(LINE,))))  # not ours

    run = run_documents(shop_erp)

    assert run.total == 0 and centra.order_attributes(5003) == {}


def test_an_order_missing_in_the_shop_fails_with_the_shops_message(shop_erp, erp, customer):
    number = invoiced(shop_erp, erp, customer, 5004)
    from integrations.sandbox.models import SandboxObject

    SandboxObject.objects.filter(system="centra", kind=centra.ORDER, key="5004").delete()

    run = run_documents(shop_erp)

    log = RecordLog.objects.get(run=run, source_id=f"invoice:{number}")
    assert log.status == "failed" and "Could not find Order with ID 5004" in log.error


def test_a_credit_note_binding_without_an_order_number_fails_alone(shop_erp, erp, customer):
    invoice = invoiced(shop_erp, erp, customer, 5005)
    number = credited(shop_erp, erp, customer, 5005, "9005", invoice, Decimal("10"))
    ExternalRef.objects.filter(kind="credit_note", target_id=number).update(data={})

    run = run_documents(shop_erp)

    assert (run.ok_count, run.failed_count) == (1, 1)
    assert "resync the return" in RecordLog.objects.get(run=run, source_id=f"credit_note:{number}").error


def test_dry_run_attaches_nothing(shop_erp, erp, customer):
    invoiced(shop_erp, erp, customer, 5006)
    shop_erp.mode = Integration.Mode.DRY_RUN
    shop_erp.save()

    run = run_documents(shop_erp)

    log = RecordLog.objects.get(run=run)
    assert log.status == "dry_run" and log.request["order"] == "5006"
    assert centra.order_attributes(5006) == {}
    assert not ExternalRef.objects.filter(integration=shop_erp, kind="document").exists()


def test_resync_of_one_document(shop_erp, erp, customer):
    number = invoiced(shop_erp, erp, customer, 5007)
    run = run_documents(shop_erp, trigger="resync", source_ids=[f"invoice:{number}"])
    assert run.ok_count == 1 and centra.order_attributes(5007)["erp_invoice_number"] == number


def test_a_document_is_named_the_same_whether_it_could_be_read_or_not(shop_erp, erp, customer):
    """Records, bindings and resyncs name the invoice "Invoice <number> (order <number>)"; the key
    "invoice:<number>" stays in the database."""
    number = invoiced(shop_erp, erp, customer, 5008)

    run = run_documents(shop_erp)

    log = RecordLog.objects.get(run=run, source_id=f"invoice:{number}")
    assert log.source_label == f"Invoice {number} (order 5008)"
    assert str(log) == f"Invoice {number} (order 5008): OK"
    ref = ExternalRef.objects.get(integration=shop_erp, kind="document", source_id=f"invoice:{number}")
    assert str(ref) == f"Invoice {number} (order 5008)"

    gone = run_documents(shop_erp, trigger="resync", source_ids=["invoice:999999"])

    log = RecordLog.objects.get(run=gone, source_id="invoice:999999")
    assert log.status == "failed" and log.source_label == "Invoice 999999"
    assert str(SyncRecord.objects.get(integration=shop_erp, source_id="invoice:999999")) == "Invoice 999999"


# --------------------------------------------------------------------------- mapping (pure)
def test_the_newest_attachment_is_the_link():
    node = {"attachments": [{"id": "a1", "revision": 1}, {"id": "b2", "revision": 3}, {"name": "no id"}]}
    assert (
        attachment_link(node, base_url="https://erp.example.com/API/") == "https://erp.example.com/API/v1/attachment/b2"
    )
    assert attachment_link({}, base_url="https://erp.example.com") == ""


def test_attributes_with_a_pdf_link():
    document = ErpDocument(
        kind="invoice",
        number="000123",
        order_number="5001",
        date="2026-03-01",
        status="Open",
        link="https://erp/v1/attachment/x",
    )
    assert document_attributes([document]) == {
        "erp_invoice_number": "000123",
        "erp_invoice_date": "2026-03-01",
        "erp_invoice_status": "Open",
        "erp_invoice_pdf": "https://erp/v1/attachment/x",
    }
