"""Payouts PSP → Fortnox invoice payments, against the Fortnox sandbox: the fee is written off to an account.

Fortnox has no write-off reason codes (its adapter declares PAYMENT_WRITE_OFF_ACCOUNT): the integration's
fee write-off account takes the fee. Invoices are made in the sandbox through the client and bound as
the orders flow binds them.
"""

from decimal import Decimal

import pytest

from integrations.fortnox import sandbox as fortnox
from integrations.fortnox.client import FortnoxClient
from sync.bindings import binding_save
from sync.models import ExternalRef, Flow, Integration, PayoutFormat, PayoutLine
from sync.payouts import flow as payouts_flow
from sync.payouts.services import demo_fee, payout_format_from_preset, payout_import
from sync.services import flow_run, integration_flows_ensure
from tests.factories import ConnectionFactory
from tests.fakes import FakeClock

from .test_payouts import payout_file


@pytest.fixture
def client(fortnox_connection):
    return FortnoxClient(fortnox_connection, clock=FakeClock())


@pytest.fixture
def shop(fortnox_connection):
    integration = Integration.objects.create(
        name="Payout shop (Fortnox)",
        shop=ConnectionFactory(system="centra"),
        erp=fortnox_connection,
        fee_writeoff_account="6064",
        payment_cash_account="1930",
    )
    integration_flows_ensure(integration=integration)
    return integration


@pytest.fixture
def generic(db):
    return payout_format_from_preset(name="Demo PSP", preset=PayoutFormat.Preset.GENERIC)


def invoiced_order(client, integration, order: str, price: str) -> tuple[str, Decimal]:
    """A bookkept Fortnox invoice for a shop order, bound as the orders flow binds it."""
    customer = client.customer_create({"Customer": {"Name": "Anna Svensson", "Email": f"order{order}@example.com"}})
    created = client.invoice_create(
        {
            "Invoice": {
                "CustomerNumber": customer,
                "InvoiceDate": "2026-11-02",
                "Currency": "SEK",
                "ExternalInvoiceReference1": order,
                "InvoiceRows": [
                    {"Description": "Merino T-shirt", "Price": price, "DeliveredQuantity": "1.00", "VAT": 25,
                     "AccountNumber": 3001}
                ],
            }
        }
    )  # fmt: skip
    number = str(created["DocumentNumber"])
    client.invoice_bookkeep(number)
    total = Decimal(str(client.invoice_get(number)["Total"]))
    binding_save(
        integration=integration,
        kind=ExternalRef.Kind.INVOICE,
        source_id=order,
        target_id=number,
        data={"customer_number": customer, "currency": "SEK", "total": str(total)},
    )
    return number, total


def run_payouts(integration, **kwargs):
    return flow_run(integration=integration, flow=Flow.PAYOUTS, trigger=kwargs.pop("trigger", "manual"), **kwargs)


def payments_of(client, invoice_number: str) -> list[dict]:
    return [client.payment_get(str(p["Number"])) for p in client.payment_list(invoice_number=invoice_number)]


def test_a_fee_is_written_off_to_the_fee_account_and_the_invoice_is_settled(client, shop, generic):
    invoice_number, total = invoiced_order(client, shop, "1", "399")
    fee = demo_fee(total)
    payout = payout_import(integration=shop, fmt=generic, content=payout_file([("payment", "1", total, fee)]))

    run = run_payouts(shop)

    assert run.status == "succeeded" and run.ok_count == 1, run.message
    invoice = client.invoice_get(invoice_number)
    assert (Decimal(str(invoice["Balance"])), invoice["FinalPayDate"]) == (Decimal("0"), "2026-11-20")
    [payment] = payments_of(client, invoice_number)
    assert Decimal(str(payment["AmountCurrency"])) == total - fee
    assert [(w["AccountNumber"], Decimal(str(w["Amount"]))) for w in payment["WriteOffs"]] == [(6064, fee)]
    assert payment["Booked"] is True and payment["ModeOfPaymentAccount"] == 1930
    line = payout.lines.get(kind="payment")
    assert (line.status, line.target_id) == (PayoutLine.Status.BOOKED, str(payment["Number"]))
    assert f"fee {fee}\u00a0SEK written off to account 6064" in line.message


def test_a_fee_without_a_fee_account_is_refused_naming_the_setting_before_anything_is_sent(client, shop, generic):
    shop.fee_writeoff_account = ""
    shop.fee_writeoff_reason_code = "PSPFEE"  # Fortnox has no reason codes: this setting does not help
    shop.save()
    invoice_number, total = invoiced_order(client, shop, "1", "399")
    payout = payout_import(integration=shop, fmt=generic, content=payout_file([("payment", "1", total, Decimal("6"))]))

    run_payouts(shop)

    line = payout.lines.get(kind="payment")
    assert line.status == PayoutLine.Status.FAILED
    assert "no fee write-off account" in line.message
    assert "enter the fee account (e.g. 6570) under Integrations › Payouts" in line.message
    assert payments_of(client, invoice_number) == []
    assert Decimal(str(client.invoice_get(invoice_number)["Balance"])) == total


def test_a_fee_account_fortnox_has_not_got_fails_with_where_to_fix_it_and_is_tried_once(client, shop, generic):
    shop.fee_writeoff_account = "6999"
    shop.save()
    totals = [invoiced_order(client, shop, order, "399")[1] for order in ("1", "2")]
    payout = payout_import(
        integration=shop,
        fmt=generic,
        content=payout_file([("payment", str(i + 1), t, demo_fee(t)) for i, t in enumerate(totals)]),
    )

    run = run_payouts(shop)

    assert run.failed_count == 2 and fortnox._rows(fortnox.PAYMENT).count() == 0
    for line in payout.lines.filter(kind="payment"):
        assert line.status == PayoutLine.Status.FAILED
        assert "fee write-off account 6999" in line.message and "Integrations › Payouts" in line.message
    first, second = run.records.order_by("pk")
    assert any(c["method"] == "POST" for c in first.calls)
    assert not any(c["method"] == "POST" for c in second.calls)  # not sent again in the same run


def test_a_payout_without_fees_needs_no_fee_account(client, shop, generic):
    shop.fee_writeoff_account = ""
    shop.save()
    invoice_number, total = invoiced_order(client, shop, "1", "399")
    payout_import(integration=shop, fmt=generic, content=payout_file([("payment", "1", total, Decimal("0"))]))

    run = run_payouts(shop)

    assert run.ok_count == 1, run.message
    [payment] = payments_of(client, invoice_number)
    assert payment["WriteOffs"] == [] and Decimal(str(client.invoice_get(invoice_number)["Balance"])) == 0


def test_a_crash_right_after_a_fee_less_payment_is_created_is_recovered_without_paying_twice(
    client, shop, generic, monkeypatch
):
    invoice_number, total = invoiced_order(client, shop, "1", "399")
    payout = payout_import(integration=shop, fmt=generic, content=payout_file([("payment", "1", total, Decimal("0"))]))

    def crash(**kwargs):
        raise ConnectionError("database went away before the binding was committed")

    real_save = payouts_flow.binding_save
    monkeypatch.setattr(payouts_flow, "binding_save", crash)
    first = run_payouts(shop)
    line = payout.lines.get(kind="payment")
    assert first.failed_count == 1 and line.status == PayoutLine.Status.FAILED
    assert not ExternalRef.objects.filter(kind=ExternalRef.Kind.PAYMENT).exists()
    [created] = payments_of(client, invoice_number)
    assert created["WriteOffs"] == [] and created["Booked"] is False  # created, never bookkept
    assert created["ExternalInvoiceReference1"] == f"{payout.reference}/{line.line_no}"  # our reference rides along

    monkeypatch.setattr(payouts_flow, "binding_save", real_save)
    retry = run_payouts(shop, trigger="resync", source_ids=[line.source_id])

    assert retry.ok_count == 1, retry.message
    [payment] = payments_of(client, invoice_number)  # found, not booked a second time
    assert payment["Number"] == created["Number"] and payment["Booked"] is True
    line.refresh_from_db()
    assert (line.status, line.target_id) == (PayoutLine.Status.BOOKED, str(created["Number"]))
    assert "found in Fortnox by its reference" in line.message
    assert Decimal(str(client.invoice_get(invoice_number)["Balance"])) == 0


def test_a_five_digit_fee_account_is_refused_naming_the_setting_and_nothing_reaches_fortnox(client, shop, generic):
    shop.fee_writeoff_account = "65700"  # Koppla takes up to 10 digits (other ERPs); Fortnox 1000–9999
    shop.save()
    invoice_number, total = invoiced_order(client, shop, "1", "399")
    payout = payout_import(
        integration=shop, fmt=generic, content=payout_file([("payment", "1", total, demo_fee(total))])
    )

    run = run_payouts(shop)

    line = payout.lines.get(kind="payment")
    assert run.failed_count == 1 and line.status == PayoutLine.Status.FAILED
    assert "fee write-off account '65700'" in line.message and "Integrations › Payouts" in line.message
    assert payments_of(client, invoice_number) == []
    assert not any(c["method"] == "POST" for c in run.records.get().calls)
