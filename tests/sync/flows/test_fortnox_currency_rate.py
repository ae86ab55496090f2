"""The shop's currency rate on Fortnox documents (issue 16: "currency and rate").

Centra's orders state their rate (grandTotal.conversionRate, SEK per unit in the Centra sandbox, whose rates
are deliberately not the Fortnox demo company's sell rates). An order in a foreign currency reaches Fortnox
with the shop's rate as CurrencyRate (CurrencyUnit 1), so Fortnox books the SEK amounts the shop converted;
a SEK order sends none. A credit invoice mirrors its invoice's rate.
"""

from decimal import Decimal

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.fortnox import demo_data as fortnox_demo
from integrations.fortnox.client import FortnoxClient
from sync.models import ExternalRef, Flow, RecordLog
from sync.services import flow_run
from tests.contracts.openapi import fortnox as fortnox_spec
from tests.contracts.openapi import problems
from tests.fakes import FakeClock

from .test_fortnox_accounting import d, fortnox_integration  # noqa: F401 (fixture)

SHOP_EUR = Decimal(centra.CONVERSION_RATES["EUR"])  # 11.4823
FORTNOX_EUR = next(rate for code, _name, rate in fortnox_demo.CURRENCIES if code == "EUR")  # 11.50


def invoiced(integration) -> dict[str, str]:
    return dict(
        ExternalRef.objects.filter(integration=integration, kind="invoice").values_list("source_id", "target_id")
    )


def currencies() -> dict[str, str]:
    return {str(node["number"]): node["grandTotal"]["currency"]["code"] for node in centra.orders()}


def test_a_eur_order_reaches_fortnox_at_the_shops_rate_and_a_sek_order_at_none(fortnox_integration):  # noqa: F811
    assert SHOP_EUR != FORTNOX_EUR  # else the test could not tell whose rate Fortnox booked
    centra_demo.seed(orders=20, named=False)
    run = flow_run(integration=fortnox_integration, flow=Flow.ORDERS, trigger="manual")
    fortnox = FortnoxClient(fortnox_integration.erp, clock=FakeClock())
    bound, currency_of = invoiced(fortnox_integration), currencies()
    requests = dict(RecordLog.objects.filter(run=run, status="ok").values_list("source_id", "request"))
    spec = fortnox_spec()
    validator = spec.validator(spec.request_schema("POST", "/3/invoices"))

    eur = [n for n in bound if currency_of[n] == "EUR"]
    sek = [n for n in bound if currency_of[n] == "SEK"]
    assert eur and sek, currency_of
    for number in eur:
        sent = requests[number]["Invoice"]
        assert (sent["Currency"], sent["CurrencyRate"], sent["CurrencyUnit"]) == ("EUR", float(SHOP_EUR), 1)
        assert problems(validator, requests[number]) == []
        invoice = fortnox.invoice_get(bound[number])
        assert (d(invoice["CurrencyRate"]), d(invoice["CurrencyUnit"])) == (SHOP_EUR, 1), number
        ref = ExternalRef.objects.get(integration=fortnox_integration, kind="invoice", source_id=number)
        assert ref.data["currency_rate"] == "11.4823"
    for number in sek:
        sent = requests[number]["Invoice"]
        assert "CurrencyRate" not in sent and "CurrencyUnit" not in sent
        assert problems(validator, requests[number]) == []
        assert d(fortnox.invoice_get(bound[number])["CurrencyRate"]) == 1
        ref = ExternalRef.objects.get(integration=fortnox_integration, kind="invoice", source_id=number)
        assert "currency_rate" not in ref.data


def test_a_credit_invoice_carries_the_rate_of_the_invoice_it_credits(fortnox_integration):  # noqa: F811
    centra_demo.seed(orders=20, named=False)
    flow_run(integration=fortnox_integration, flow=Flow.ORDERS, trigger="manual")
    bound, currency_of = invoiced(fortnox_integration), currencies()
    # the shop's rate changes after the invoice: the credit still books at the invoice's rate
    for node in centra.orders():
        if node["grandTotal"]["currency"]["code"] == "EUR":
            centra.order_put({**node, "grandTotal": {**node["grandTotal"], "conversionRate": 12.0}})
    run = flow_run(integration=fortnox_integration, flow=Flow.REFUNDS, trigger="manual")
    fortnox = FortnoxClient(fortnox_integration.erp, clock=FakeClock())
    notes = ExternalRef.objects.filter(integration=fortnox_integration, kind="credit_note")
    requests = dict(RecordLog.objects.filter(run=run, status="ok").values_list("source_id", "request"))

    eur_notes = [ref for ref in notes if currency_of[ref.data["order_number"]] == "EUR"]
    assert eur_notes, currency_of
    for ref in eur_notes:
        assert ref.data["order_number"] in bound
        note = fortnox.invoice_get(ref.target_id)
        assert note["Credit"] == "true" and note["Currency"] == "EUR"
        assert (d(note["CurrencyRate"]), d(note["CurrencyUnit"])) == (SHOP_EUR, 1), ref.source_id
        sent = (requests.get(ref.source_id) or {}).get("Invoice")
        if sent is not None:  # a credit invoice of rows (a full refund goes through Fortnox's credit action)
            assert sent["CurrencyRate"] == float(SHOP_EUR)


def test_the_invoice_binding_gives_the_credit_note_its_rate_or_none():
    from sync.flows.refunds import invoice_rate

    assert invoice_rate(ExternalRef(data={"currency_rate": "11.4823"})) == Decimal("11.4823")
    for data in ({}, None, {"currency_rate": ""}, {"currency_rate": "abc"}, {"currency_rate": "0"}):
        assert invoice_rate(ExternalRef(data=data)) is None, data
