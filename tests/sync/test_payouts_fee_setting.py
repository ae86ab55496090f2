"""The Payouts settings ask for what the integration's ERP writes a fee off with: a reason code (Visma.net)
or an account (Fortnox), from the ERP adapter's capabilities."""

import pytest
from django.forms import modelform_factory
from django.urls import reverse

from sync.forms import IntegrationForm, fee_writeoff_field
from sync.models import Integration
from tests.factories import ConnectionFactory, IntegrationFactory

pytestmark = pytest.mark.django_db
PAYOUT_FIELDS = ["fee_writeoff_reason_code", "fee_writeoff_account", "payment_cash_account"]


def form(erp, **payouts):
    shop = ConnectionFactory(system="centra")
    Form = modelform_factory(Integration, form=IntegrationForm, fields=IntegrationForm.Meta.fields + PAYOUT_FIELDS)
    data = {
        "name": "Fee shop",
        "shop": shop.pk,
        "erp": erp.pk,
        "is_active": "on",
        "mode": "live",
        "allowed_order_statuses": ["SHIPPED"],
        "order_document": "invoice",
        "home_country": "SE",
        "tax_country_source": "shipping",
        "vat_rate_check": "refuse",
        "rounding_account": "3740",
        "number_series_warn_below": "500",
        **payouts,
    }
    return Form(data=data)


def test_the_erp_adapter_names_the_setting_its_fees_need():
    assert fee_writeoff_field("visma_net") == "fee_writeoff_reason_code"
    assert fee_writeoff_field("fortnox") == "fee_writeoff_account"


def test_a_fortnox_integration_takes_a_fee_account_and_refuses_a_reason_code():
    fortnox = ConnectionFactory(system="fortnox")
    good = form(fortnox, fee_writeoff_account="6570")
    assert good.is_valid(), good.errors

    wrong = form(fortnox, fee_writeoff_reason_code="PSPFEE")
    assert not wrong.is_valid()
    assert wrong.errors["fee_writeoff_reason_code"] == [
        "Fortnox writes payout fees off to an account, not under a reason code: leave this blank and enter the "
        "fee write-off account instead."
    ]
    assert form(fortnox, fee_writeoff_account="65A0").errors["fee_writeoff_account"] == [
        "An account is 4 to 10 digits, e.g. 6570 (BAS)."
    ]


def test_a_visma_net_integration_takes_a_reason_code_and_refuses_a_fee_account():
    visma = ConnectionFactory(system="visma_net")
    good = form(visma, fee_writeoff_reason_code="PSPFEE")
    assert good.is_valid(), good.errors

    wrong = form(visma, fee_writeoff_account="6570")
    assert not wrong.is_valid()
    assert "writes payout fees off under a reason code, not to an account" in wrong.errors["fee_writeoff_account"][0]


def test_the_payouts_fieldset_shows_only_the_setting_the_erp_uses(admin_client):
    fortnox = IntegrationFactory(erp=ConnectionFactory(system="fortnox"))
    visma = IntegrationFactory()

    fortnox_page = admin_client.get(reverse("admin:sync_integration_change", args=[fortnox.pk])).content.decode()
    visma_page = admin_client.get(reverse("admin:sync_integration_change", args=[visma.pk])).content.decode()
    add_page = admin_client.get(reverse("admin:sync_integration_add")).content.decode()

    assert 'name="fee_writeoff_account"' in fortnox_page and 'name="fee_writeoff_reason_code"' not in fortnox_page
    assert 'name="fee_writeoff_reason_code"' in visma_page and 'name="fee_writeoff_account"' not in visma_page
    assert 'name="fee_writeoff_reason_code"' in add_page and 'name="fee_writeoff_account"' in add_page
