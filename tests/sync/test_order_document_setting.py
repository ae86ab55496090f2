"""Orders go to the ERP as the integration's order document: a customer invoice, or a sales order where the
ERP adapter takes sales orders (capability SALES_ORDER); any other choice is refused naming the ERP."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.urls import reverse

from integrations.adapters import systems_with
from integrations.systems import Role
from sync import ports
from sync.forms import IntegrationForm
from sync.models import Integration, OrderDocument
from tests.factories import ConnectionFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def form(erp, **orders):
    Form = modelform_factory(Integration, form=IntegrationForm, fields=IntegrationForm.Meta.fields)
    data = {
        "name": "Document shop",
        "shop": ConnectionFactory(system="centra").pk,
        "erp": erp.pk,
        "is_active": "on",
        "mode": "live",
        "allowed_order_statuses": ["SHIPPED"],
        "home_country": "SE",
        "tax_country_source": "shipping",
        "vat_rate_check": "refuse",
        "rounding_account": "3740",
        "number_series_warn_below": "500",
        **orders,
    }
    return Form(data=data)


def test_orders_are_invoices_unless_the_integration_says_otherwise():
    assert IntegrationFactory().order_document == OrderDocument.INVOICE == "invoice"
    assert [value for value, _ in OrderDocument.choices] == ["invoice", "sales_order"]


def test_only_erps_whose_adapter_takes_sales_orders_offer_them(monkeypatch):
    assert systems_with(ports.SALES_ORDER, role=Role.ERP) == ["visma_net", "fortnox"]
    without_sales_orders(monkeypatch)
    assert systems_with(ports.SALES_ORDER, role=Role.ERP) == ["fortnox"]


def without_sales_orders(monkeypatch):
    """Visma.net's adapter as if it took no sales orders (every ERP adapter takes them now)."""
    from integrations.visma_net.adapter import VismaNetErp

    monkeypatch.setattr(VismaNetErp, "capabilities", VismaNetErp.capabilities - {ports.SALES_ORDER})


@pytest.mark.parametrize("system", ["visma_net", "fortnox"])
def test_an_erp_that_takes_sales_orders_takes_them_in_the_form(system):
    sent = form(ConnectionFactory(system=system), order_document="sales_order")

    assert sent.is_valid(), sent.errors
    assert sent.save().order_document == OrderDocument.SALES_ORDER


def test_a_fortnox_integration_takes_sales_orders():
    sent = form(ConnectionFactory(system="fortnox"), order_document="sales_order")

    assert sent.is_valid(), sent.errors
    assert sent.save().order_document == OrderDocument.SALES_ORDER


def test_sales_orders_for_an_erp_without_them_are_refused_naming_the_erp(monkeypatch):
    without_sales_orders(monkeypatch)
    refused = form(ConnectionFactory(system="visma_net", name="Books"), order_document="sales_order")

    assert not refused.is_valid()
    assert refused.errors["order_document"] == [
        'Books (Visma.net ERP): Koppla cannot send sales orders to Visma.net; choose "Customer invoice (booked)".'
    ]
    assert form(ConnectionFactory(system="visma_net"), order_document="invoice").is_valid()


def test_the_model_refuses_it_too_outside_the_form(monkeypatch):
    without_sales_orders(monkeypatch)
    integration = IntegrationFactory(order_document=OrderDocument.SALES_ORDER)  # a Visma.net ERP

    with pytest.raises(ValidationError) as refused:
        integration.full_clean()

    assert "cannot send sales orders to Visma.net" in refused.value.message_dict["order_document"][0]


def test_the_setting_is_in_the_orders_fieldset_with_its_help(admin_client):
    integration = IntegrationFactory(erp=ConnectionFactory(system="fortnox"))

    page = admin_client.get(reverse("admin:sync_integration_change", args=[integration.pk])).content.decode()

    orders = page[page.index("<h2") : page.index("VAT (invoices and credit notes)")]
    assert 'name="order_document"' in orders and "Sales order (the ERP invoices it later)" in orders
    assert "What each order becomes in the ERP" in orders
