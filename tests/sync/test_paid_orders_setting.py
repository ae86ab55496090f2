"""'Only paid orders' is offered for shops that tell whether an order is paid (capability ORDER_PAID); the
orders flow then asks the shop for paid orders only and skips one that is not paid, saying why."""

import pytest
from django.core.exceptions import ValidationError

from sync.flows.orders import OrdersFlow
from sync.models import Flow, SyncRun
from sync.shop import ShopAddress, ShopOrder
from tests.factories import ConnectionFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def test_only_paid_orders_is_refused_for_a_shop_that_cannot_tell_naming_the_shop():
    integration = IntegrationFactory(shop=ConnectionFactory(system="centra", name="Web shop"), only_paid_orders=True)

    with pytest.raises(ValidationError) as refused:
        integration.full_clean()

    assert refused.value.message_dict["only_paid_orders"] == [
        "Web shop (Centra): Centra does not tell whether an order is paid; choose the order statuses to export "
        "instead."
    ]


class PaidShop:
    display_name = "Test shop"

    def __init__(self):
        self.asked = []

    def orders_changed(self, **kwargs):
        self.asked.append(kwargs)
        return iter(())


def order(paid):
    return ShopOrder(
        id="1", number="1001", status="SHIPPED", created_at="2026-11-30T10:00:00+00:00",
        updated_at="2026-11-30T10:00:00+00:00", currency="SEK", prices_include_vat=True,
        customer_email="a@example.com", billing=ShopAddress(), shipping=ShopAddress(), lines=(), paid=paid,
    )  # fmt: skip


def flow_of(integration):
    run = SyncRun.objects.create(integration=integration, flow=Flow.ORDERS)
    return OrdersFlow(integration=integration, run=run, dry_run=False)


@pytest.mark.parametrize("only_paid", [True, False])
def test_the_orders_flow_asks_the_shop_for_paid_orders_only_when_the_integration_says_so(only_paid):
    flow = flow_of(IntegrationFactory(only_paid_orders=only_paid))
    flow.shop = PaidShop()

    flow.changed_since("")

    assert ("paid_only" in flow.shop.asked[0]) is only_paid
    assert flow.shop.asked[0].get("paid_only", False) is only_paid


def test_an_unpaid_order_is_skipped_with_the_reason_and_a_paid_one_is_not():
    flow = flow_of(IntegrationFactory(only_paid_orders=True))
    flow.shop = PaidShop()

    assert flow._not_exportable(order(paid=False)) == (
        "Order 1001 is not paid yet by Test shop's word; the integration exports only paid orders, so it goes "
        "once it is paid."
    )
    assert flow._not_exportable(order(paid=None)).startswith("Order 1001 is not paid yet")
    assert flow._not_exportable(order(paid=True)) == ""
