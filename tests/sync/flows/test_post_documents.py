"""Integration.post_documents off: invoices and credit notes are created exactly once and left unposted.

Against the Centra and Fortnox sandboxes (Fortnox "posts" by bookkeeping, Booked true). With the setting on
(the default) every invoice is booked; off, none is, and a second run sends nothing again.
"""

from collections import Counter

from integrations.centra import demo_data as centra_demo
from integrations.fortnox.sandbox import INVOICE
from integrations.sandbox.models import SandboxObject
from sync.models import ExternalRef, Flow, RecordLog
from sync.services import flow_run

from .test_fortnox_accounting import fortnox_integration  # noqa: F401 (fixture)


def fortnox_invoices() -> list[dict]:
    return list(SandboxObject.objects.filter(system="fortnox", kind=INVOICE).values_list("data", flat=True))


def test_invoices_are_booked_by_default(fortnox_integration):  # noqa: F811
    centra_demo.seed(orders=4)
    flow_run(integration=fortnox_integration, flow=Flow.ORDERS, trigger="manual")

    invoices = fortnox_invoices()
    assert invoices and all(invoice["Booked"] for invoice in invoices)


def test_with_posting_off_invoices_and_credit_notes_stay_unposted_and_are_sent_once(fortnox_integration):  # noqa: F811
    fortnox_integration.post_documents = False
    fortnox_integration.save()
    centra_demo.seed(orders=8)

    run = flow_run(integration=fortnox_integration, flow=Flow.ORDERS, trigger="manual")
    invoices = fortnox_invoices()
    assert invoices and not any(invoice["Booked"] for invoice in invoices)
    ok = RecordLog.objects.filter(run=run, status="ok")
    assert ok.exists() and all(log.error.startswith("Created invoice") for log in ok)

    flow_run(integration=fortnox_integration, flow=Flow.ORDERS, trigger="manual")  # nothing sent twice
    counts = Counter(
        invoice["ExternalInvoiceReference1"] for invoice in fortnox_invoices() if invoice["Credit"] != "true"
    )
    assert counts and max(counts.values()) == 1
    assert len(counts) == ExternalRef.objects.filter(integration=fortnox_integration, kind="invoice").count()

    refunds = flow_run(integration=fortnox_integration, flow=Flow.REFUNDS, trigger="manual")
    credited = RecordLog.objects.filter(run=refunds, status="ok")
    assert credited.exists()  # the demo's refunds of these orders: unposted too, and said so
    credits = [invoice for invoice in fortnox_invoices() if invoice["Credit"] == "true"]
    assert credits and not any(credit["Booked"] for credit in credits)
    assert all("Left unposted" in log.error for log in credited)
