"""Admin of the VAT rate and VAT territory tables; new integrations get the standard territories."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mappings.models import CurrencyMapping, VatRateMapping, VatTerritory
from mappings.services import vat_territories_load_standard
from tests.factories import ConnectionFactory, IntegrationFactory

pytestmark = pytest.mark.django_db

RATES_HEADER = "country,rate,vat_category,sales_account,description\n"


def upload(client, integration, content: str, model: str):
    return client.post(
        reverse(f"admin:mappings_{model}_import"),
        {
            "integration": integration.pk,
            "format": "0",
            "import_file": SimpleUploadedFile("table.csv", content.encode(), content_type="text/csv"),
        },
    )


def test_vat_rate_csv_imports_through_preview_and_confirm_and_exports(admin_client, integration):
    preview = upload(admin_client, integration, RATES_HEADER + "SE,6,SE6,,Books\nSE,12,SE12,,Food\n", "vatratemapping")
    assert preview.status_code == 200 and "SE12" in preview.content.decode()
    assert not VatRateMapping.objects.exists()
    form = preview.context["confirm_form"]
    admin_client.post(
        reverse("admin:mappings_vatratemapping_process_import"), {n: form[n].value() for n in form.fields}
    )
    assert VatRateMapping.objects.filter(integration=integration).count() == 2
    exported = admin_client.post(
        reverse("admin:mappings_vatratemapping_export"), {"format": "0", "integration": integration.pk}
    )
    lines = exported.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == RATES_HEADER.strip() and sorted(lines[1:]) == ["SE,12,SE12,,Food", "SE,6,SE6,,Books"]


def test_bad_vat_rate_preview_names_rows_columns_and_offers_no_confirm(admin_client, integration):
    response = upload(
        admin_client, integration, RATES_HEADER + "SE,6,SE6,,\nSE,abc,SE6,,\nSE,6.125,X,,\n", "vatratemapping"
    )
    html = response.content.decode()
    assert response.context.get("confirm_form") is None
    problems = re.findall(r'<li class="import-error-li">(.*?)</li>', html)
    assert problems == [
        "Row 3, column rate (value &#x27;abc&#x27;): &#x27;abc&#x27; is not a number: give the rate in percent, "
        "e.g. 6, 12 or 25.5.",
        "Row 4, column rate (value &#x27;6.125&#x27;): ensure that there are no more than 2 decimal places.",
    ]
    assert "Traceback" not in html and not VatRateMapping.objects.exists()


def test_bad_territory_preview_names_what_is_allowed(admin_client, integration):
    content = "country,postcode_prefix,treat_as,name,legal_source\nES,35,EXPORTED,Canary Islands,\n"
    html = upload(admin_client, integration, content, "vatterritory").content.decode()
    assert "Row 2, column treat_as (value &#x27;EXPORTED&#x27;)" in html
    assert "EXPORT (outside the EU VAT area, exported at 0 %)" in html
    assert not VatTerritory.objects.exists()


def test_lists_show_readable_rates_and_treatments(admin_client, integration):
    VatRateMapping.objects.create(integration=integration, country="FI", rate="25.50", vat_category="FI255")
    vat_territories_load_standard(integration=integration)
    rates = admin_client.get(reverse("admin:mappings_vatratemapping_changelist")).content.decode()
    assert "25.5 %" in rates and "FI Finland" in rates
    territories = admin_client.get(
        reverse("admin:mappings_vatterritory_changelist"), {"treat_as": "XI"}
    ).content.decode()
    assert "Northern Ireland" in territories and "Canary Islands" not in territories
    assert "Load the standard VAT territories" in territories
    assert reverse("admin:mappings_vatterritory_import") in territories  # import/export buttons kept
    assert reverse("admin:mappings_vatterritory_export") in territories


def test_load_standard_button_adds_missing_rows_to_the_chosen_integrations(admin_client, integration):
    other, untouched = IntegrationFactory(), IntegrationFactory()
    vat_territories_load_standard(integration=integration)
    VatTerritory.objects.filter(integration=integration, country="MC").update(treat_as="IT", name="Edited")
    VatTerritory.objects.filter(integration=integration, country="AX").delete()
    url = reverse("admin:mappings_vatterritory_load_standard")

    page = admin_client.get(url, {"integration__id__exact": integration.pk})
    assert page.status_code == 200 and "left as they are" in page.content.decode()
    assert page.context["form"]["integrations"].initial == [integration.pk]

    done = admin_client.post(url, {"integrations": [integration.pk, other.pk]}, follow=True)
    messages = [str(m) for m in done.context["messages"]]
    standard = VatTerritory.objects.filter(integration=other).count()
    assert f"{integration}: 1 standard VAT territory added." in messages
    assert f"{other}: {standard} standard VAT territories added." in messages and standard >= 28
    assert VatTerritory.objects.filter(integration=integration).count() == standard
    monaco = VatTerritory.objects.get(integration=integration, country="MC")
    assert (monaco.treat_as, monaco.name) == ("IT", "Edited")
    assert not VatTerritory.objects.filter(integration=untouched).exists()

    again = admin_client.post(url, {"integrations": [other.pk]}, follow=True)
    assert f"{other}: No standard VAT territory was missing." in [str(m) for m in again.context["messages"]]


def test_load_standard_needs_an_integration(admin_client, integration):
    response = admin_client.post(reverse("admin:mappings_vatterritory_load_standard"), {})
    assert response.status_code == 200 and "integrations" in response.context["form"].errors


def test_an_integration_added_in_the_admin_gets_the_standard_territories_and_vat_settings(admin_client):
    shop, erp = ConnectionFactory(system="centra"), ConnectionFactory(system="visma_net")
    response = admin_client.post(
        reverse("admin:sync_integration_add"),
        {
            "name": "New shop",
            "shop": shop.pk,
            "erp": erp.pk,
            "is_active": "on",
            "mode": "live",
            "allowed_order_statuses": ["CONFIRMED"],
            "order_document": "invoice",
            "home_country": "SE",
            "tax_country_source": "shipping",
            "vat_rate_check": "warn",
            "rounding_account": "3741",
            "stock_mode": "sum",
            "stock_shop_warehouse": "1",
            "number_series_warn_below": "500",
            "customer_numbering_id": "CUSTOMER",
            "flows-TOTAL_FORMS": "0",
            "flows-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    from sync.models import Integration

    created = Integration.objects.get(name="New shop")
    assert (created.vat_rate_check, created.rounding_account) == ("warn", "3741")
    rows = VatTerritory.objects.filter(integration=created)
    assert rows.count() >= 28 and rows.filter(country="GB", postcode_prefix="BT", treat_as="XI").exists()

    change = admin_client.get(reverse("admin:sync_integration_change", args=[created.pk]))
    assert "VAT rate check" in change.content.decode() and "Rounding account" in change.content.decode()


def test_integration_rounding_account_is_validated(admin_client, integration):
    integration.rounding_account = "37a0"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        integration.full_clean()
    assert "rounding_account" in exc.value.message_dict


def test_currency_added_in_the_admin_with_blank_decimals_gets_the_minor_unit(admin_client, integration):
    add = admin_client.get(reverse("admin:mappings_currencymapping_add"))
    assert add.context["adminform"].form["decimals"].initial is None
    for currency, decimals in (("JPY", 0), ("KWD", 3)):
        response = admin_client.post(
            reverse("admin:mappings_currencymapping_add"),
            {"integration": integration.pk, "shop_currency": currency, "erp_currency": currency, "decimals": ""},
        )
        assert response.status_code == 302
        assert CurrencyMapping.objects.get(shop_currency=currency).decimals == decimals
