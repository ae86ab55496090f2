"""Visma.net sales orders (VismaNetErp.sales_order_*): exact line amounts and VAT, order type, branch and
warehouse from the integration, the exact find, the body hook, and what the sandbox refuses."""

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest

from integrations.http import ValidationFailed, record_calls
from integrations.visma_net import sandbox
from integrations.visma_net.adapter import VismaNetErp
from integrations.visma_net.payloads_orders import order_line_terms
from integrations.visma_net.schemas import SalesOrderLine, SalesOrderPayload
from sync.drafts import CustomerDraft, DraftLine, InvoiceDraft, TaxDetail
from sync.erp import SALES_ORDER
from sync.shop import ShopAddress

from .test_client import new_customer

D = Decimal


@pytest.fixture
def erp(visma_connection, seeded, clock):
    return VismaNetErp(visma_connection, clock=clock)


def order_line(net, *, quantity="1", price=None, rate="25", category="SE25", item="1001-BLK-M", percent="0", key=""):
    return DraftLine(
        description="Merino T-shirt",
        quantity=D(quantity),
        unit_price=D(price if price is not None else net),
        amount=D(net),
        vat_category=category,
        account="3001",
        inventory_number=item,
        discount_percent=D(percent),
        key=key,
        rate=D(rate),
    )


def draft(*lines, tax=None, order_number="7001", **changes) -> InvoiceDraft:
    """An order of `lines`; its VAT per category the lines' own (each line rounded) unless `tax` is given."""
    if tax is None:
        per: dict[str, list] = {}
        for line in lines:
            taxable, vat = per.get(line.vat_category, (D(0), D(0)))
            per[line.vat_category] = (
                taxable + line.amount,
                vat + (line.amount * line.rate / 100).quantize(D("0.01"), ROUND_HALF_UP),
            )
        tax = tuple(TaxDetail(c, t, v) for c, (t, v) in per.items())
    net = sum((line.amount for line in lines), D(0))
    vat = sum((t.vat for t in tax), D(0))
    customer = CustomerDraft(
        email="order@example.se",
        name="Order Test",
        is_company=False,
        vat_number="",
        customer_type="B2C",
        customer_class="DOMESTIC",
        vat_zone="SE",
        country="SE",
        address=ShopAddress(first_name="Order", last_name="Test", country="SE", email="order@example.se"),
        currency="SEK",
        credit_terms="",
        payment_method="",
    )
    base = InvoiceDraft(
        order_number=order_number,
        document_date="2026-11-02",
        currency="SEK",
        customer=customer,
        default_customer_number="",
        payment_method="",
        credit_terms="",
        vat_zone="SE",
        regime="domestic",
        country="SE",
        lines=lines,
        tax_details=tax,
        net_total=net,
        vat_total=vat,
        gross_total=net + vat,
        text=f"Order {order_number}",
        order_type="SO",
    )
    return replace(base, **changes)


def created(erp, order: InvoiceDraft) -> dict:
    number = erp.sales_order_create(order, customer_number=new_customer(erp.client, email="so@example.com"))
    return sandbox.document_get(sandbox.SALES_ORDER, number)


# --------------------------------------------------------------------------- exact lines
def test_a_line_discounted_by_percent_goes_with_its_price_and_percent():
    line = order_line("53.97", quantity="3", price="19.99", percent="10")
    assert order_line_terms(line, 2) == (D("3"), D("19.99"), D("10"), None)


def test_a_line_whose_net_is_not_quantity_times_price_gets_the_rest_as_a_discount_amount(erp):
    """7 × 19.99 = 139.93 with its share of an order discount: net 125.94 (accounting case 2)."""
    order = draft(order_line("125.94", quantity="7", price="19.99"))

    assert erp.sales_order_problems(order) == []
    stored = created(erp, order)

    [line] = stored["lines"]
    assert (D(str(line["extPrice"])), D(str(line["discountAmount"]))) == (D("139.93"), D("13.99"))
    assert (D(str(stored["taxTotal"])), D(str(stored["orderTotal"]))) == (D("31.49"), D("157.43"))


def test_a_line_priced_above_its_list_price_gets_a_unit_price_that_makes_its_net():
    line = order_line("60.00", quantity="4", price="10.00")
    assert order_line_terms(line, 2) == (D("4"), D("15"), None, None)
    assert order_line_terms(order_line("10.00", quantity="3", price="1.00"), 2) is None  # 3.333… is no price


def test_mixed_vat_categories_book_each_categorys_vat_exactly(erp):
    order = draft(
        order_line("299.00", category="SE6", rate="6", item="3001-NAT-OS", key="book"),
        order_line("399.00", key="shirt"),
        order_line("59.00", item="FREIGHT", key="shipping"),
    )
    assert erp.sales_order_problems(order) == []

    stored = created(erp, order)

    assert [(line["taxCategory"], line["inventory"]["number"]) for line in stored["lines"]] == [
        ("SE6", "3001-NAT-OS"),
        ("SE25", "1001-BLK-M"),
        ("SE25", "FREIGHT"),
    ]
    assert (D(str(stored["taxTotal"])), D(str(stored["orderTotal"]))) == (order.vat_total, order.gross_total)
    document = erp.sales_order_get(stored["orderNo"], figures=True)
    assert sorted((t.vat_category, t.taxable, t.vat) for t in document.figures.tax) == [
        ("SE25", D("458.00"), D("114.50")),
        ("SE6", D("299.00"), D("17.94")),
    ]
    assert document.total == order.gross_total and document.order_number == "7001" and not document.released


def test_vat_the_lines_would_not_reproduce_is_a_problem_naming_the_category(erp):
    """Accounting case 1: AT 99.99 + 4.95 incl. 20 %: the shop's VAT 17.49, each line's VAT rounded 17.50."""
    lines = (order_line("83.33", category="OSS-AT", rate="20"), order_line("4.13", category="OSS-AT", rate="20"))
    order = draft(*lines, tax=(TaxDetail("OSS-AT", D("87.46"), D("17.49")),))

    problems = erp.sales_order_problems(order)

    assert len(problems) == 1 and "OSS-AT" in problems[0] and "17.50" in problems[0] and "17.49" in problems[0]
    assert sandbox.sales_orders() == []


def test_a_line_without_an_item_is_a_problem_and_the_sandbox_refuses_it_like_visma_net(erp, client):
    order = draft(order_line("100.00", item=""))

    problems = erp.sales_order_problems(order)

    assert any("line 1 'Merino T-shirt' has no item" in p for p in problems)
    customer = new_customer(client)
    bare = SalesOrderPayload(order_type="SO", customer_number=customer, lines=(SalesOrderLine(inventory_number=""),))
    with pytest.raises(ValidationFailed, match="inventoryNumber is required"):
        client.sales_order_create(bare)


# --------------------------------------------------------------------------- integration defaults
def test_order_type_branch_and_warehouse_come_from_the_draft_and_empty_ones_are_left_out(erp):
    order = draft(order_line("100.00"), order_type="QT", branch="1", warehouse="STORE")

    body = erp.sales_order_request(order, customer_number="10042")
    stored = created(erp, order)

    assert (body["orderType"], body["branchNumber"], body["lines"][0]["warehouse"]) == (
        {"value": "QT"},
        {"value": "1"},
        {"value": "STORE"},
    )
    assert (stored["orderType"], stored["status"], stored["lines"][0]["warehouse"]["id"]) == ("QT", "Open", "STORE")
    plain = erp.sales_order_request(draft(order_line("100.00"), order_type=""), customer_number="10042")
    assert (
        plain["orderType"] == {"value": "SO"} and "branchNumber" not in plain and "warehouse" not in plain["lines"][0]
    )


def test_an_unknown_order_type_is_refused_in_words(erp):
    with pytest.raises(ValidationFailed, match="Order type 'XX' does not exist"):
        created(erp, draft(order_line("100.00"), order_type="XX"))


# --------------------------------------------------------------------------- finding, hook
def test_find_reads_the_list_once_then_only_what_changed_since(erp):
    first = created(erp, draft(order_line("100.00"), order_number="8001"))

    with record_calls() as calls:
        assert erp.sales_order_find("8001").number == first["orderNo"]
        assert erp.sales_order_find("800") is None and erp.sales_order_find("80011") is None
    lists = [c["url"] for c in calls if c["method"] == "GET" and "/v1/salesorder" in c["url"]]

    assert len(lists) == 3
    assert "lastModifiedDateTime" not in lists[0]
    assert all("lastModifiedDateTime" in url for url in lists[1:])


def test_the_body_hook_reshapes_what_is_sent_and_what_request_shows(erp):
    def hook(kind, body):
        assert kind == "sales_order"
        return {**body, "description": {"value": "Mapped by a rule"}}

    erp.body_hook = hook
    order = draft(order_line("100.00"))

    assert erp.sales_order_request(order, customer_number="10042")["description"] == {"value": "Mapped by a rule"}
    assert created(erp, order)["description"] == "Mapped by a rule"


def test_document_get_reads_a_sales_order_and_says_none_for_a_missing_one(erp):
    stored = created(erp, draft(order_line("100.00")))

    document = erp.document_get(SALES_ORDER, stored["orderNo"])

    assert (document.kind, document.number, document.total) == (SALES_ORDER, stored["orderNo"], D("125.00"))
    assert erp.document_get(SALES_ORDER, "999999") is None
