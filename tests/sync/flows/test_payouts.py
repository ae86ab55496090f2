"""Payouts PSP → Visma.net customer payments, against the Visma.net sandbox.

Invoices and credit notes are made in the sandbox through the client and
bound here as the orders and refunds flows bind them, so these tests do not
depend on those flows.
"""

from decimal import Decimal
from pathlib import Path

import pytest

from config.errors import ApplicationError
from integrations.visma_net import demo_data
from integrations.visma_net import sandbox as visma
from integrations.visma_net.client import VismaNetClient
from integrations.visma_net.schemas import (
    Address,
    Contact,
    CreditNotePayload,
    CustomerPayload,
    DocumentLine,
    InvoicePayload,
)
from sync.bindings import binding_save
from sync.erp import ErpDocument
from sync.flows.base import RecordFailed
from sync.models import ExternalRef, Flow, Integration, Payout, PayoutFormat, PayoutLine, RecordLog, SyncRun
from sync.payouts import flow as payouts_flow
from sync.payouts.flow import payment_draft_for
from sync.payouts.services import demo_fee, payout_csv_demo, payout_format_from_preset, payout_import, payout_report
from sync.services import flow_run, integration_flows_ensure
from tests.factories import ConnectionFactory
from tests.fakes import FakeClock

FIXTURES = Path(__file__).parent.parent / "fixtures" / "payouts"
HEADER = "type,order_number,psp_reference,gross,fee,currency,date,payout\n"


@pytest.fixture
def erp(visma_connection):
    demo_data.seed()
    return VismaNetClient(visma_connection, clock=FakeClock())


@pytest.fixture
def shop(erp, visma_connection):
    integration = Integration.objects.create(
        name="Payout shop",
        shop=ConnectionFactory(system="centra"),
        erp=visma_connection,
        fee_writeoff_reason_code="PSPFEE",
        payment_cash_account="1582",
    )
    integration_flows_ensure(integration=integration)
    return integration


@pytest.fixture
def generic(db):
    return payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)


def customer(erp, email="anna@example.com") -> str:
    return erp.customer_create(
        CustomerPayload(
            name="Anna Svensson",
            customer_class="DOMESTIC",
            credit_terms="0",
            currency="SEK",
            payment_method="ADYEN",
            main_contact=Contact(name="Anna Svensson", email=email),
            main_address=Address(line1="Storgatan 1", postal_code="111 22", city="Stockholm", country="SE"),
        )
    )


def invoiced_order(erp, integration, order: str, price: str, *, customer_number=None) -> tuple[str, Decimal]:
    """A released invoice for a shop order, bound as the orders flow binds it."""
    customer_number = customer_number or customer(erp, f"order{order}@example.com")
    number = erp.invoice_create(
        InvoicePayload(
            customer_number=customer_number,
            currency="SEK",
            customer_ref_number=order,
            payment_method="ADYEN",
            lines=(DocumentLine("Merino T-shirt", unit_price=Decimal(price), vat_category="SE25", account="3001"),),
        )
    )
    erp.invoice_release(number)
    total = erp.invoice_get(number)["amount"]
    binding_save(
        integration=integration,
        kind=ExternalRef.Kind.INVOICE,
        source_id=order,
        target_id=number,
        data={"customer_number": customer_number, "currency": "SEK", "total": str(total)},
    )
    return number, total


def credited_return(erp, integration, *, order: str, return_id: str, price: str) -> tuple[str, Decimal]:
    """A released credit note for a shop return (open: the refund has not been paid out yet), bound."""
    invoice = erp.invoice_get(ExternalRef.objects.get(kind="invoice", source_id=order).target_id)
    customer_number = invoice["customer"]["number"]
    number = erp.credit_note_create(
        CreditNotePayload(
            customer_number=customer_number,
            currency="SEK",
            customer_ref_number=return_id,
            lines=(DocumentLine("Return", unit_price=Decimal(price), vat_category="SE25", account="3001"),),
        )
    )
    erp.credit_note_release(number)
    total = erp.credit_note_get(number)["amount"]
    binding_save(
        integration=integration,
        kind=ExternalRef.Kind.CREDIT_NOTE,
        source_id=return_id,
        target_id=number,
        data={"order_number": int(order), "customer_number": customer_number, "total": str(total)},
    )
    return number, total


def payout_file(rows: list[tuple[str, str, Decimal, Decimal]], reference="PO-1") -> str:
    """Generic-format CSV of (type, order, gross, fee) rows plus the bank transfer of the net."""
    lines, net = [], Decimal("0")
    for number, (kind, order, gross, fee) in enumerate(rows, start=1):
        lines.append(f"{kind},{order},psp-{number},{gross:.2f},{fee:.2f},SEK,2026-11-20,{reference}")
        net += (gross if kind == "payment" else -gross) - fee
    lines.append(f"payout,,,{net:.2f},0,SEK,2026-11-21,{reference}")
    return HEADER + "\n".join(lines) + "\n"


def run_payouts(integration, **kwargs):
    return flow_run(integration=integration, flow=Flow.PAYOUTS, trigger=kwargs.pop("trigger", "manual"), **kwargs)


def payments_by_invoice() -> dict[str, dict]:
    return {p["paymentLines"][0]["refNbr"]: p for p in visma.payments()}


# --------------------------------------------------------------------------- settling invoices
def test_payments_settle_the_invoices_with_the_fee_written_off(erp, shop, generic):
    invoices = {order: invoiced_order(erp, shop, order, price) for order, price in (("1", "399"), ("2", "1199.20"))}
    rows = [("payment", order, total, demo_fee(total)) for order, (_, total) in invoices.items()]
    payout = payout_import(integration=shop, fmt=generic, content=payout_file(rows + [("payment", "999", 250, 4)]))

    run = run_payouts(shop)

    assert run.status == "succeeded", run.message
    assert (run.ok_count, run.skipped_count, run.failed_count) == (2, 1, 0)
    paid = payments_by_invoice()
    for order, (invoice_number, total) in invoices.items():
        invoice = erp.invoice_get(invoice_number)
        assert (invoice["status"], invoice["balance"]) == ("Closed", Decimal("0")), order
        payment = paid[invoice_number]
        line = payment["paymentLines"][0]
        fee = demo_fee(total)
        assert line["writeOffReasonCode"]["id"] == "PSPFEE"
        assert (Decimal(str(line["balanceWriteOff"])), Decimal(str(line["amountPaid"]))) == (fee, total - fee)
        assert (payment["status"], payment["cashAccount"], payment["paymentMethod"]["id"]) == (
            "Closed",
            "1582",
            "ADYEN",
        )
        booked = payout.lines.get(order_number=order)
        assert (booked.status, booked.target_id) == (PayoutLine.Status.BOOKED, payment["refNbr"])
        assert payment["paymentRef"] == f"PO-1/{booked.line_no}"
        ref = ExternalRef.objects.get(integration=shop, kind="payment", source_id=booked.source_id)
        assert ref.target_id == payment["refNbr"] and ref.data["document"] == invoice_number
        assert f"paid on invoice {invoice_number}, fee {fee}\u00a0SEK written off (PSPFEE)" in booked.message

    report = payout_report(payout=payout)
    assert report.payments == sum(t for _, t in invoices.values()) + 250
    assert report.fees == sum(demo_fee(t) for _, t in invoices.values()) + 4
    assert report.net == payout.bank_amount and report.balances
    assert (report.booked, report.unmatched, report.failed, report.waiting) == (2, 1, 0, 0)
    assert report.booked_cash == sum(t - demo_fee(t) for _, t in invoices.values())  # not the unmatched line
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PARTIAL  # the unmatched line is not booked


def test_a_line_without_an_invoice_is_listed_as_unmatched_not_guessed(erp, shop, generic):
    invoiced_order(erp, shop, "1", "399")
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("payment", "12345", Decimal("498.75"), Decimal("7.73"))])
    )

    run = run_payouts(shop)

    line = payout.lines.get(order_number="12345")
    assert line.status == PayoutLine.Status.UNMATCHED and line.target_id == ""
    assert "No invoice in Visma.net is known for order 12345" in line.message
    log = run.records.get(source_id=line.source_id)
    assert log.status == RecordLog.Status.SKIPPED and "order 12345" in log.error
    assert visma.payment_count() == 0
    assert erp.invoice_get(ExternalRef.objects.get(source_id="1").target_id)["status"] == "Open"


def test_a_refund_pays_out_the_open_credit_note(erp, shop, generic):
    invoice_number, total = invoiced_order(erp, shop, "7", "1199")
    note, refunded = credited_return(erp, shop, order="7", return_id="R-7", price="399")
    payout = payout_import(
        integration=shop,
        fmt=generic,
        content=payout_file([("payment", "7", total, demo_fee(total)), ("refund", "7", refunded, Decimal("0"))]),
    )

    run = run_payouts(shop)

    assert run.status == "succeeded" and run.ok_count == 2, run.message
    credit_note = erp.credit_note_get(note)
    assert (credit_note["status"], credit_note["balance"]) == ("Closed", Decimal("0"))
    assert erp.invoice_get(invoice_number)["balance"] == Decimal("0")
    refund = next(p for p in visma.payments() if p["type"] == "Refund")
    assert refund["paymentLines"][0]["documentType"] == "CreditNote"
    assert refund["paymentLines"][0]["refNbr"] == note
    assert Decimal(str(refund["paymentAmount"])) == refunded
    line = payout.lines.get(kind="refund")
    assert (line.status, line.target_id) == (PayoutLine.Status.BOOKED, refund["refNbr"])
    assert f"against credit note {note}" in line.message
    payout.refresh_from_db()
    assert payout.status == Payout.Status.BOOKED


def test_a_refund_without_an_open_credit_note_is_unmatched(erp, shop, generic):
    invoiced_order(erp, shop, "8", "399")
    credited_return(erp, shop, order="8", return_id="R-8", price="100")  # 125.00 open
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("refund", "8", Decimal("200.00"), Decimal("0"))])
    )

    run_payouts(shop)

    line = payout.lines.get(kind="refund")
    assert line.status == PayoutLine.Status.UNMATCHED
    assert "No credit note of order 8 has 200.00\u00a0SEK open" in line.message and "open 125" in line.message
    assert visma.payment_count() == 0


# --------------------------------------------------------------------------- exactly once
def test_a_rerun_books_nothing_twice_even_when_the_bindings_are_gone(erp, shop, generic):
    _, total = invoiced_order(erp, shop, "1", "399")
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("payment", "1", total, demo_fee(total))])
    )
    run_payouts(shop)
    assert visma.payment_count() == 1

    second = run_payouts(shop)
    assert second.done == 0 and visma.payment_count() == 1

    # The binding is lost (e.g. its commit never happened): the ERP is searched by our reference.
    ExternalRef.objects.filter(kind=ExternalRef.Kind.PAYMENT).delete()
    payout.lines.update(status=PayoutLine.Status.PENDING, target_id="")
    third = run_payouts(shop)

    assert third.status == "succeeded" and visma.payment_count() == 1
    line = payout.lines.get(kind="payment")
    payment = visma.payments()[0]
    assert (line.status, line.target_id) == (PayoutLine.Status.BOOKED, payment["refNbr"])
    assert "found in Visma.net by its reference" in line.message
    assert ExternalRef.objects.get(kind="payment", source_id=line.source_id).target_id == payment["refNbr"]


def test_a_refund_whose_binding_is_lost_is_found_and_not_paid_out_twice(erp, shop, generic):
    invoiced_order(erp, shop, "7", "1199")
    note, refunded = credited_return(erp, shop, order="7", return_id="R-7", price="399")
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("refund", "7", refunded, Decimal("0"))])
    )
    run_payouts(shop)
    assert erp.credit_note_get(note)["status"] == "Closed"

    ExternalRef.objects.filter(kind=ExternalRef.Kind.PAYMENT).delete()
    payout.lines.update(status=PayoutLine.Status.PENDING)
    rerun = run_payouts(shop)

    assert rerun.ok_count == 0 and rerun.skipped_count == 1 and visma.payment_count() == 1
    line = payout.lines.get(kind="refund")
    assert line.status == PayoutLine.Status.BOOKED and "found in Visma.net by its reference" in line.message
    assert ExternalRef.objects.get(kind="payment", source_id=line.source_id).data["document"] == note


def test_a_crash_right_after_the_create_is_recovered_by_the_search(erp, shop, generic, monkeypatch):
    invoice_number, total = invoiced_order(erp, shop, "1", "399")
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("payment", "1", total, demo_fee(total))])
    )
    real_save = payouts_flow.binding_save

    def crash(**kwargs):
        raise ConnectionError("database went away before the binding was committed")

    monkeypatch.setattr(payouts_flow, "binding_save", crash)
    first = run_payouts(shop)
    assert first.failed_count == 1 and visma.payment_count() == 1
    line = payout.lines.get(kind="payment")
    assert line.status == PayoutLine.Status.FAILED and "database went away" in line.message
    assert not ExternalRef.objects.filter(kind="payment").exists()
    assert erp.invoice_get(invoice_number)["status"] == "Open"  # created, never released

    monkeypatch.setattr(payouts_flow, "binding_save", real_save)
    retry = run_payouts(shop, trigger="resync", source_ids=[line.source_id])

    assert retry.ok_count == 1 and visma.payment_count() == 1
    line.refresh_from_db()
    assert line.status == PayoutLine.Status.BOOKED and "released" in line.message
    assert erp.invoice_get(invoice_number)["balance"] == Decimal("0")


# --------------------------------------------------------------------------- the reason code
def test_an_unknown_reason_code_fails_with_where_to_fix_it_and_is_tried_once(erp, shop, generic):
    shop.fee_writeoff_reason_code = "FEE"
    shop.save()
    totals = [invoiced_order(erp, shop, order, "399")[1] for order in ("1", "2")]
    payout = payout_import(
        integration=shop,
        fmt=generic,
        content=payout_file([("payment", str(i + 1), t, demo_fee(t)) for i, t in enumerate(totals)]),
    )

    run = run_payouts(shop)

    assert run.failed_count == 2 and visma.payment_count() == 0
    for line in payout.lines.filter(kind="payment"):
        assert line.status == PayoutLine.Status.FAILED
        assert "reason code 'FEE'" in line.message and "Integrations › Payouts" in line.message
    first, second = run.records.order_by("pk")
    assert any(c["method"] == "POST" for c in first.calls)
    assert not any(c["method"] == "POST" for c in second.calls)  # not sent again in the same run


def test_a_fee_without_a_reason_code_is_refused_before_anything_is_sent(erp, shop, generic):
    shop.fee_writeoff_reason_code = ""
    shop.save()
    _, total = invoiced_order(erp, shop, "1", "399")
    payout = payout_import(integration=shop, fmt=generic, content=payout_file([("payment", "1", total, Decimal("6"))]))

    run_payouts(shop)

    line = payout.lines.get(kind="payment")
    assert line.status == PayoutLine.Status.FAILED and "no fee write-off reason code" in line.message
    assert visma.payment_count() == 0


def test_dry_run_books_nothing(erp, shop, generic):
    shop.mode = Integration.Mode.DRY_RUN
    shop.save()
    _, total = invoiced_order(erp, shop, "1", "399")
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("payment", "1", total, demo_fee(total))])
    )

    run = run_payouts(shop)

    log = run.records.get()
    assert log.status == RecordLog.Status.DRY_RUN
    assert log.request["paymentLines"][0]["writeOffReasonCode"] == {"value": "PSPFEE"}
    assert visma.payment_count() == 0 and payout.lines.get(kind="payment").status == PayoutLine.Status.PENDING


# --------------------------------------------------------------------------- mapping (pure)
def test_payment_payload_pays_gross_minus_fee_and_writes_the_fee_off(shop, generic):
    payout = Payout.objects.create(integration=shop, format=generic, reference="B-9", currency="SEK")
    line = PayoutLine(
        payout=payout,
        line_no=4,
        kind="payment",
        order_number="3",
        gross=Decimal("1000"),
        fee=Decimal("15.25"),
        currency="SEK",
    )
    invoice = ErpDocument(
        kind="invoice",
        number="100003",
        customer_number="10002",
        currency="SEK",
        balance=Decimal("1000"),
        status="Open",
        released=True,
        payment_method="ADYEN",
    )

    payload = payment_draft_for(line, invoice, reason_code="PSPFEE", cash_account="1582")

    assert (payload.amount, payload.reference, payload.cash_account) == (Decimal("984.75"), "B-9/4", "1582")
    (applied,) = payload.lines
    assert (applied.document_number, applied.amount_paid, applied.write_off, applied.write_off_reason) == (
        "100003",
        Decimal("984.75"),
        Decimal("15.25"),
        "PSPFEE",
    )
    too_much = ErpDocument(
        kind="invoice",
        number="100003",
        customer_number="10002",
        currency="SEK",
        balance=Decimal("900"),
        status="Open",
        released=True,
    )
    with pytest.raises(
        RecordFailed, match="captured 1,000.00\u00a0SEK but invoice 100003 has only 900.00\u00a0SEK open"
    ):
        payment_draft_for(line, too_much, reason_code="PSPFEE")
    euro = ErpDocument(
        kind="invoice",
        number="100003",
        customer_number="10002",
        currency="EUR",
        balance=Decimal("1000"),
        status="Open",
        released=True,
    )
    with pytest.raises(RecordFailed, match="paid in SEK but invoice 100003 is in EUR"):
        payment_draft_for(line, euro, reason_code="PSPFEE")


# --------------------------------------------------------------------------- the demo file
def test_the_demo_payout_file_books_end_to_end(erp, shop):
    for order, price in (("1", "399"), ("2", "699"), ("3", "1499"), ("10", "249.50")):
        invoiced_order(erp, shop, order, price)
    note, refunded = credited_return(erp, shop, order="2", return_id="R-2", price="699")
    adyen = payout_format_from_preset(name="Adyen", preset=PayoutFormat.Preset.ADYEN)

    content = payout_csv_demo(integration=shop, format_preset="adyen", limit=40, reference="4711")

    assert content.splitlines()[0].startswith("Company Account,Merchant Account,Type,Psp Reference,Merchant Reference")
    payout = payout_import(integration=shop, fmt=adyen, content=content, file_name="adyen.csv")
    report = payout_report(payout=payout)
    assert report.balances and payout.reference == "4711"
    assert payout.lines.filter(kind="payment").count() == 5  # four invoices and one order without one
    assert report.refunds == refunded

    run = run_payouts(shop)

    report = payout_report(payout=payout)
    assert (report.booked, report.unmatched, report.failed) == (5, 1, 0), run.message
    for ref in ExternalRef.objects.filter(kind="invoice"):
        assert erp.invoice_get(ref.target_id)["balance"] == Decimal("0"), ref.source_id
    assert erp.credit_note_get(note)["balance"] == Decimal("0")
    fees = sorted(Decimal(str(p["writeOffAmount"])) for p in visma.payments() if p["type"] == "Payment")
    totals = [erp.invoice_get(r.target_id)["amount"] for r in ExternalRef.objects.filter(kind="invoice")]
    assert fees == sorted(demo_fee(t) for t in totals)
    # Every invoice is paid now: a second file would only capture them again.
    with pytest.raises(ApplicationError, match="invoices in Visma.net are all paid"):
        payout_csv_demo(integration=shop, format_preset="adyen")


@pytest.mark.parametrize("preset", ["generic", "klarna", "stripe"])
def test_the_demo_file_reads_back_in_every_preset(erp, shop, preset):
    for order, price in (("1", "399"), ("2", "699")):
        invoiced_order(erp, shop, order, price)
    fmt = payout_format_from_preset(name=preset, preset=preset)

    content = payout_csv_demo(integration=shop, format_preset=preset, reference=f"D-{preset}")

    bank = None
    if preset == "klarna":  # no transfer line in Klarna files
        bank = sum(
            (t - demo_fee(t) for t in (erp.invoice_get(r.target_id)["amount"] for r in ExternalRef.objects.all())),
            Decimal("499.00") - demo_fee(Decimal("499.00")),
        )
    payout = payout_import(integration=shop, fmt=fmt, content=content, bank_amount=bank)
    report = payout_report(payout=payout)
    assert report.balances, (report.net, report.bank_amount)
    assert payout.lines.filter(kind="payment").count() == 3


# --------------------------------------------------------------------------- admin
def test_book_now_in_the_payout_admin(admin_client, erp, shop, generic, django_capture_on_commit_callbacks):
    from django.urls import reverse

    invoice_number, total = invoiced_order(erp, shop, "1", "399")
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("payment", "1", total, demo_fee(total))])
    )
    changelist = reverse("admin:sync_payout_changelist")
    data = {"action": "book_now", "_selected_action": [payout.pk]}

    response = admin_client.post(changelist, data, follow=True)  # the flow is off: told so, nothing booked
    page = response.content.decode()
    assert "flow of Payout shop is off" in page and "Nothing to book" not in page and visma.payment_count() == 0

    shop.flows.filter(flow=Flow.PAYOUTS).update(enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(changelist, data, follow=True)

    assert "Queued 1 line(s) for booking" in response.content.decode()
    assert visma.payment_count() == 1 and erp.invoice_get(invoice_number)["balance"] == Decimal("0")
    booking = SyncRun.objects.get(integration=shop, flow=Flow.PAYOUTS)
    assert booking.trigger == SyncRun.Trigger.BOOKING and booking.requested_by is not None
    page = admin_client.get(reverse("admin:sync_payout_change", args=[payout.pk])).content.decode()
    assert "1 booked in visma.net erp" in page.lower() and "booked in the erp" not in page.lower()


# --------------------------------------------------------------------------- every fee reaches the ERP


def erp_cash_movement() -> Decimal:
    """What the ERP's payments moved through the cash account: payments in, refunds out."""
    moved = Decimal("0")
    for payment in visma.payments():
        amount = Decimal(str(payment["paymentAmount"]))
        moved += -amount if payment["type"] == "Refund" else amount
    return moved


def test_15_the_refund_fee_is_written_off_so_the_erp_cash_equals_the_bank_amount(erp, shop, generic):
    _, total = invoiced_order(erp, shop, "1001", "1000")
    assert total == Decimal("1250.00")
    invoiced_order(erp, shop, "1003", "800")
    note, refunded = credited_return(erp, shop, order="1003", return_id="R-1003", price="160")
    assert refunded == Decimal("200.00")
    payout = payout_import(
        integration=shop, fmt=generic, content=(FIXTURES / "15_generic_refund_with_fee.csv").read_text()
    )

    run = run_payouts(shop)

    assert run.status == "succeeded" and run.ok_count == 2, run.message
    payment = next(p for p in visma.payments() if p["type"] == "Payment")
    line = payment["paymentLines"][0]
    assert (Decimal(str(line["amountPaid"])), Decimal(str(line["balanceWriteOff"]))) == (
        Decimal("1218.25"),
        Decimal("31.75"),
    )
    assert erp_cash_movement() == Decimal("1018.25") == payout.bank_amount
    report = payout_report(payout=payout)
    assert report.erp_equals_bank and report.booked_cash == Decimal("1018.25")
    refund = payout.lines.get(kind="refund")
    assert refund.status == PayoutLine.Status.BOOKED
    assert "fee 0.50\u00a0SEK on this refund is written off with the payment of row 2" in refund.message
    assert (
        "fee 31.75\u00a0SEK written off (PSPFEE), incl. 0.50\u00a0SEK of the payout's refund, chargeback and fee rows"
        in payout.lines.get(kind="payment").message
    )


def test_fee_rows_and_a_chargeback_fee_are_written_off_and_the_chargeback_left_to_book_by_hand(erp, shop):
    stripe = payout_format_from_preset(name="Stripe", preset=PayoutFormat.Preset.STRIPE)
    for order, price in (("1001", "1000"), ("1002", "399.20"), ("1003", "800")):
        invoiced_order(erp, shop, order, price)
    credited_return(erp, shop, order="1003", return_id="R-1003", price="160")
    content = (FIXTURES / "stripe_balance_transactions_po_1QxY.csv").read_text()
    payout = payout_import(integration=shop, fmt=stripe, content=content)

    run = run_payouts(shop)

    assert run.ok_count == 3 and run.failed_count == 0, run.message
    report = payout_report(payout=payout)
    # Koppla booked payments less every fee (incl. the dispute fee 150.00 and the usage fee 25.00) and the refund;
    # what is left to the bank amount is the chargeback of 300.00, to book by hand.
    assert erp_cash_movement() == report.erp_cash == report.booked_cash == Decimal("1345.91")
    assert report.by_hand == Decimal("-300.00") and report.net == payout.bank_amount
    assert payout.lines.get(kind="chargeback").status == PayoutLine.Status.MANUAL
    assert set(payout.lines.filter(kind="fee").values_list("status", flat=True)) == {PayoutLine.Status.INFO}


@pytest.mark.parametrize("fee", [Decimal("0.50")])
def test_a_carried_fee_too_large_for_the_payment_fails_clearly(shop, generic, fee):
    from sync.erp import ErpDocument
    from sync.flows.base import RecordFailed
    from sync.payouts.flow import payment_draft_for

    content = (
        "type,order_number,psp_reference,gross,fee,currency,date,payout\n"
        "payment,1,p1,10.00,9.00,SEK,2026-11-20,PO-5\n"
        f"refund,2,p2,5.00,{fee},SEK,2026-11-20,PO-5\n"
        "payout,,,4.50,0,SEK,2026-11-21,PO-5\n"
    )
    payout = payout_import(integration=shop, fmt=generic, content=content)
    line = payout.lines.get(kind="payment")
    assert line.carried_fee == fee
    line.gross = Decimal("9.40")  # as if the file had been edited after the import
    document = ErpDocument(
        kind="invoice",
        number="100",
        customer_number="C1",
        currency="SEK",
        balance=Decimal("10.00"),
        status="Open",
        released=True,
    )
    with pytest.raises(
        RecordFailed,
        match=r"the fee 9.50\u00a0SEK \(incl. 0.50\u00a0SEK of other rows of the payout\) is not less than the captured amount 9.40\u00a0SEK",
    ):
        payment_draft_for(line, document, reason_code="PSPFEE")
