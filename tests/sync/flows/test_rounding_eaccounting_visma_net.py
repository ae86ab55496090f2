"""eAccounting's öre rounding (SEK documents rounded to whole kronor) on Visma.net documents: a line of its own,
outside VAT, on the rounding account, so that the invoice, credit note, sales order and journal entry total what
the customer paid and carry the shop's VAT per category exactly. Both sandboxes, no network."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from integrations.adapters import adapter_for
from integrations.eaccounting import demo_data as ea_demo
from integrations.eaccounting import sandbox as ea
from integrations.systems import Role
from integrations.visma_net import sandbox as visma
from mappings.selectors import MappingSet, TaxZone
from sync.drafts import Figures
from sync.flows.journal_mapping import QueuedShare, journal_draft, shares_of
from sync.flows.order_mapping import invoice_draft
from sync.flows.refund_mapping import credit_note_draft

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0")
SWEDEN = MappingSet(
    home_country="SE",
    tax_country_source="billing",
    default_customer_number="",
    tax_zones={("SE", "B2C"): TaxZone("SE", "B2C", "DOMESTIC", "SE", "SE25", "3001")},
    payment_methods={"invoice": ("INVOICE", "1930")},
    payment_terms={"B2C": "0", "B2B": "30"},
    shipping={"*": ("FREIGHT", "Shipping", "")},
    currencies={"SEK": ("SEK", 2)},
    vat_rates={("SE", D("6")): ("SE6", "3003")},
    category_rates={"SE25": (("2000-01-01", D(25)),), "SE6": (("2000-01-01", D(6)),)},
    rounding_account="3740",
)
# (book price → net + VAT), what eAccounting rounds it by: a T-shirt 100.00 at 25 % and a book at 6 %
CASES = {
    "up": (D("10.00"), D("0.40")),  # 125.00 + 10.60 = 135.60 → 136
    "down": (D("5.00"), D("-0.30")),  # 125.00 + 5.30 = 130.30 → 130
}


@pytest.fixture
def adapters(eaccounting_connection, visma_connection, erp_seeded):
    ea_demo.seed()
    return adapter_for(eaccounting_connection, role=Role.SHOP), adapter_for(visma_connection, role=Role.ERP)


def _order(shop, book_price: D):
    anna = next(c for c in ea.store.obj_list(ea.SYSTEM, ea.CUSTOMER) if c["EmailAddress"] == "anna.svensson@example.se")
    node = ea.order_create(
        customer_id=anna["Id"],
        rows=[
            {"ArticleNumber": "1001", "Quantity": 1, "UnitPrice": D("100.00")},
            {"ArticleNumber": "2001", "Quantity": 1, "UnitPrice": book_price},
        ],
        order_date=date.today(),
    )
    listed = shop.orders_changed(statuses=["Ongoing"], created_from=None, updated_from=None)
    return node, next(o for o in listed if o.id == node["Id"])


def _paid(node: dict) -> D:
    return D(str(node["Amount"])) + D(str(node["VatAmount"])) + D(str(node["RoundingsAmount"]))


def _vat_by_category(document: dict) -> dict[str, D]:
    return {d["taxId"]: D(str(d["vatAmount"])) for d in document["taxDetails"]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_invoice_totals_what_the_customer_paid_with_the_rounding_outside_vat(adapters, case):
    shop, erp = adapters
    book_price, rounding = CASES[case]
    node, order = _order(shop, book_price)
    assert D(str(node["RoundingsAmount"])) == rounding and order.rounding_amount == rounding
    assert order.grand_total == _paid(node)

    draft = invoice_draft(order, SWEDEN)
    assert erp.invoice_problems(draft) == []
    customer = erp.customer_create(draft.customer)
    invoice = visma.document_get(visma.INVOICE, erp.invoice_create(draft, customer_number=customer))

    assert D(str(invoice["amount"])) == _paid(node)  # to the öre: 136.00 / 130.00
    assert _vat_by_category(invoice) == {"SE25": D("25.00"), "SE6": book_price * D("0.06"), "EXEMPT": ZERO}
    assert D(str(invoice["vatTotal"])) == D(str(node["VatAmount"]))
    (line,) = [x for x in invoice["invoiceLines"] if x["account"]["number"] == "3740"]
    assert (D(str(line["amount"])), line["vatCode"]["id"]) == (rounding, "EXEMPT")
    assert D(str(invoice["vatExemptTotal"])) == rounding  # booked outside VAT, not as a sale at 25 %


def test_a_full_credit_mirrors_the_invoice_and_a_partial_one_credits_its_own_rounding(adapters):
    shop, erp = adapters
    node, order = _order(shop, D("10.00"))  # 135.60 paid as 136.00
    draft = invoice_draft(order, SWEDEN)
    customer = erp.customer_create(draft.customer)
    number = erp.invoice_create(draft, customer_number=customer)
    erp.invoice_post(number)
    ea_invoice = ea.invoice_from_order(node["Id"], invoice_date=date.today())

    partial = ea.credit_invoice_create(ea_invoice["Id"], invoice_date=date.today(), lines={"2001": D(1)})
    full = ea.credit_invoice_create(ea_invoice["Id"], invoice_date=date.today(), lines={"1001": D(1)})
    refunds = {r.id: r for r in shop.refunds_changed(updated_from=None)}
    first, second = refunds[partial["Id"]], refunds[full["Id"]]
    # the book back: 10.60 → 11.00 (rounding 0.40); then the T-shirt: 125.00, no rounding
    assert (first.total, first.rounding_amount) == (D("11.00"), D("0.40"))
    assert (second.total, second.rounding_amount) == (D("125.00"), ZERO)

    common = dict(invoice_number=number, customer_number=customer, vat_zone="SE")
    note = credit_note_draft(first, order, SWEDEN, invoiced=Figures.of(draft), credited=[], **common)
    assert not note.full and note.gross_total == D("11.00")
    assert {(t.vat_category, t.taxable, t.vat) for t in note.tax_details} == {("SE6", D("10.00"), D("0.60"))}
    assert [(x.account, x.amount, x.vat_category) for x in note.lines if x.account == "3740"] == [
        ("3740", D("0.40"), "")
    ]
    assert erp.credit_note_problems(note) == []
    made = visma.document_get(visma.CREDIT_NOTE, erp.credit_note_create(note))
    assert D(str(made["amount"])) == D("11.00")
    assert _vat_by_category(made) == {"SE6": D("0.60"), "EXEMPT": ZERO}

    rest = credit_note_draft(second, order, SWEDEN, invoiced=Figures.of(draft), credited=[Figures.of(note)], **common)
    assert rest.full  # all that was left: the T-shirt and what is left of the invoice's rounding (0)
    made = visma.document_get(visma.CREDIT_NOTE, erp.credit_note_create(rest))
    assert D(str(made["amount"])) == D("125.00") and _vat_by_category(made)["SE25"] == D("25.00")


def test_a_full_credit_invoice_reverses_the_rounding_line_too(adapters):
    shop, erp = adapters
    node, order = _order(shop, D("5.00"))  # 130.30 paid as 130.00
    draft = invoice_draft(order, SWEDEN)
    customer = erp.customer_create(draft.customer)
    number = erp.invoice_create(draft, customer_number=customer)
    ea_invoice = ea.invoice_from_order(node["Id"], invoice_date=date.today())
    credit = ea.credit_invoice_create(ea_invoice["Id"], invoice_date=date.today())
    refund = next(r for r in shop.refunds_changed(updated_from=None) if r.id == credit["Id"])
    assert (refund.total, refund.rounding_amount) == (D("130.00"), D("-0.30"))

    note = credit_note_draft(
        refund, order, SWEDEN, invoiced=Figures.of(draft), credited=[], invoice_number=number,
        customer_number=customer, vat_zone="SE",
    )  # fmt: skip
    assert note.full
    made = visma.document_get(visma.CREDIT_NOTE, erp.credit_note_create(note))
    invoice = visma.document_get(visma.INVOICE, number)
    assert D(str(made["amount"])) == D(str(invoice["amount"])) == D("130.00")
    assert _vat_by_category(made) == _vat_by_category(invoice)  # the invoice's VAT per category, reversed


def test_the_sales_order_totals_what_the_customer_paid(adapters):
    shop, erp = adapters
    node, order = _order(shop, D("10.00"))
    draft = invoice_draft(order, SWEDEN)
    items = {"1001": "1001-BLK-S", "2001": "3001-NAT-OS"}  # the Visma.net items of the eAccounting articles
    lines = tuple(
        replace(line, inventory_number=next((i for sku, i in items.items() if f"({sku})" in line.description), ""))
        for line in draft.lines
    )
    draft = replace(draft, lines=lines)
    visma.inventory_item_put("ROUNDING", "Öre rounding", price=ZERO, stock=False)  # setting VISMA_NET_ROUNDING_ITEM
    assert erp.sales_order_problems(draft) == []
    customer = erp.customer_create(draft.customer)
    made = visma.document_get(visma.SALES_ORDER, erp.sales_order_create(draft, customer_number=customer))

    assert D(str(made["orderTotal"])) == _paid(node) == D("136.00")
    assert D(str(made["taxTotal"])) == D(str(node["VatAmount"]))
    (line,) = [x for x in made["lines"] if x["inventory"]["number"] == "ROUNDING"]
    assert line["taxCategory"] == "EXEMPT"


def test_the_journal_entry_debits_what_the_customer_paid_and_books_the_rounding_outside_vat(adapters):
    shop, erp = adapters
    node, order = _order(shop, D("5.00"))  # 130.30 paid as 130.00
    shares = shares_of(invoice_draft(order, SWEDEN))
    assert sum((s.gross for s in shares), ZERO) == _paid(node)
    assert {s.vat_category: s.vat for s in shares} == {"SE25": D("25.00"), "SE6": D("0.30")}

    share = next(s for s in shares if s.untaxed)
    entry = journal_draft(
        reference=f"KOPPLA-{date.today()}-SEK-{share.vat_category}-1", day=str(date.today()), currency="SEK",
        vat_category=share.vat_category, shares=[QueuedShare(order.number, share)], receivable_account="1580",
        vat_account=erp.journal_vat_account(share.vat_category), places=2,
    )  # fmt: skip
    assert erp.journal_transaction_problems(entry) == []
    batch = visma.document_get(visma.JOURNAL, erp.journal_transaction_create(entry))
    by_account = {
        x["accountNumber"]: D(str(x["creditAmountInCurrency"])) - D(str(x["debitAmountInCurrency"]))
        for x in batch["journalTransactionLines"]
    }
    assert by_account["3740"] == D("-0.30") and by_account["1580"] == -share.gross
    rounding = next(x for x in batch["journalTransactionLines"] if x["accountNumber"] == "3740")
    assert not rounding.get("vatCode") and not rounding.get("vat")  # outside VAT
