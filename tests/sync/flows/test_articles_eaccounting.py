"""Visma.net → Visma eAccounting, end to end against both sandboxes: items as articles, stock balances, customers.

The eAccounting sandbox is seeded with its demo company (articles 1001…, customers, account codings at 25, 12
and 6 %, the unit "st", terms of payment); the Visma.net sandbox with its demo data (VAT categories).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.eaccounting import demo_data as ea_demo
from integrations.eaccounting import oauth_sandbox
from integrations.eaccounting import sandbox as ea
from integrations.eaccounting.adapter import EAccountingShop
from integrations.models import Connection
from integrations.visma_net import sandbox as visma
from sync import ports
from sync.models import ExternalRef, Flow, Integration, RecordLog, SyncRun
from sync.services import flow_run, integration_flows_ensure
from sync.shop import ARTICLE_FIELDS
from tests.conftest import SANDBOX

SCOPES = "ea:api offline_access ea:sales"


@pytest.fixture
def eaccounting_connection(db):
    """A connected eAccounting connection to the in-process sandbox, its demo company seeded."""
    ea_demo.seed()
    ea.quota_reset()
    token = oauth_sandbox.token_issue(client_id=ea_demo.DEMO_CLIENT_ID, scope=SCOPES)
    return Connection.objects.create(
        name="eAccounting (sandbox)",
        system="eaccounting",
        auth_type="oauth2_code",
        base_url=f"{SANDBOX}/eaccounting/v2",
        token_url=f"{SANDBOX}/eaccounting/identity/connect/token",
        authorize_url=f"{SANDBOX}/eaccounting/identity/connect/authorize",
        client_id=ea_demo.DEMO_CLIENT_ID,
        scopes=SCOPES,
        secrets={"client_secret": ea_demo.DEMO_CLIENT_SECRET},
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        token_expires_at=timezone.now() + timedelta(seconds=token["expires_in"]),
        status="connected",
    )


@pytest.fixture
def to_eaccounting(eaccounting_connection, visma_connection, erp_seeded):
    integration = Integration.objects.create(
        name="Visma.net → eAccounting",
        shop=eaccounting_connection,
        erp=visma_connection,
        home_country="SE",
        allowed_order_statuses=["Invoiced"],
    )
    integration_flows_ensure(integration=integration)
    return integration


def run(integration, flow=Flow.PRODUCTS, **kwargs) -> SyncRun:
    return flow_run(integration=integration, flow=flow, trigger="manual", **kwargs)


def logs(sync_run) -> dict[str, RecordLog]:
    return {log.source_id: log for log in RecordLog.objects.filter(run=sync_run)}


def articles(number: str) -> list[dict]:
    return [a for a in ea._all(ea.ARTICLE) if a["Number"] == number]


def customers(email: str) -> list[dict]:
    return [c for c in ea._all(ea.CUSTOMER) if (c.get("EmailAddress") or "").lower() == email.lower()]


def assert_spec_body(schema: str, body: dict) -> None:
    """Every field of the logged body is one of the spec's writable ones."""
    props = ea.spec_properties(schema)
    assert set(body) <= {name for name, prop in props.items() if not prop.get("readOnly")}, set(body) - set(props)


def test_the_adapter_takes_articles_stock_and_customers(eaccounting_connection):
    shop = EAccountingShop(eaccounting_connection)
    assert {ports.ARTICLE_WRITE, ports.ARTICLE_STOCK, ports.CUSTOMER_WRITE} <= shop.capabilities
    assert isinstance(shop, ports.ArticleShopPort) and isinstance(shop, ports.CustomerWriteShopPort)
    found = shop.article_find("1001")
    assert (found.number, found.price, found.currency, found.unit) == ("1001", Decimal("199.2"), "SEK", "st")
    assert shop.article_find("1001 ") is None and shop.article_find("NO-SUCH") is None


def test_items_become_articles_with_the_coding_of_their_vat_rate_exactly_once(to_eaccounting):
    visma.inventory_item_put("TEE-9", "T-shirt navy", price=Decimal("240.00"), ean="7300000000093", body="Organic")
    visma.inventory_item_put("BOOK-9", "Bok: Fjärilar", price=Decimal("180.00"), vat_category="SE6")

    first = run(to_eaccounting)

    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    [tee], [book] = articles("TEE-9"), articles("BOOK-9")
    codings = {key: value[0] for key, value in ea_demo.CODINGS.items()}
    assert (tee["CodingId"], book["CodingId"]) == (codings["goods25"], codings["goods6"])
    assert (tee["Name"], tee["Note"], Decimal(str(tee["NetPrice"])), tee["UnitId"]) == (
        "T-shirt navy",
        "Organic",
        Decimal("240"),
        ea_demo.UNIT_ID,
    )
    assert tee["Barcodes"] == [{"Barcode": "7300000000093", "BarcodeType": 0}]
    assert_spec_body("ArticleApi", logs(first)["TEE-9"].request)
    ref = ExternalRef.objects.get(integration=to_eaccounting, kind=ExternalRef.Kind.ARTICLE, source_id="TEE-9")
    assert ref.target_id == tee["Id"]

    changed = tee["ChangedUtc"]
    second = run(to_eaccounting)
    assert not {"TEE-9", "BOOK-9"} & set(logs(second))
    assert articles("TEE-9")[0]["ChangedUtc"] == changed and len(articles("TEE-9")) == 1


def test_a_crash_after_the_create_binds_the_article_by_number_on_the_next_attempt(to_eaccounting, monkeypatch):
    from sync import bindings

    visma.inventory_item_put("MUG-9", "Mugg", price=Decimal("99.00"))
    monkeypatch.setattr("sync.flows.articles.binding_save", lambda **kw: (_ for _ in ()).throw(RuntimeError("killed")))
    crashed = run(to_eaccounting)
    assert logs(crashed)["MUG-9"].status == "failed" and len(articles("MUG-9")) == 1

    monkeypatch.setattr("sync.flows.articles.binding_save", bindings.binding_save)
    again = run(to_eaccounting, source_ids=["MUG-9"])

    assert logs(again)["MUG-9"].status == "ok" and "found by its number" in logs(again)["MUG-9"].error
    assert len(articles("MUG-9")) == 1
    assert (
        ExternalRef.objects.get(kind=ExternalRef.Kind.ARTICLE, source_id="MUG-9").target_id
        == articles("MUG-9")[0]["Id"]
    )


def test_an_existing_article_gets_only_the_ticked_fields_and_keeps_the_rest(to_eaccounting):
    to_eaccounting.update_product_name = False
    to_eaccounting.update_product_price = True
    to_eaccounting.save()
    before = articles("1001")[0]  # the demo company's T-shirt, 120 in stock
    visma.inventory_item_put("1001", "T-shirt (ERP name)", price=Decimal("209.60"))

    sync_run = run(to_eaccounting)

    log = logs(sync_run)["1001"]
    assert log.status == "ok" and "found by its number and bound; updated price" in log.error
    [after] = articles("1001")
    assert Decimal(str(after["NetPrice"])) == Decimal("209.60")
    assert (after["Name"], after["StockBalance"], after["CodingId"]) == (
        before["Name"],
        before["StockBalance"],
        before["CodingId"],
    )


def test_stock_balances_are_set_on_the_articles_and_a_stock_article_is_refused_saying_why(to_eaccounting):
    visma.inventory_item_put("1002", "Hoodie", price=Decimal("479.20"), available={"MAIN": 17})
    visma.inventory_item_put("1003", "Jeans", price=Decimal("639.20"), available={"MAIN": 4})
    jeans = articles("1003")[0]
    ea._put(ea.ARTICLE, {**jeans, "IsStock": True})  # kept by eAccounting's stock module

    sync_run = run(to_eaccounting, Flow.STOCK)

    assert articles("1002")[0]["StockBalance"] == 17
    log = logs(sync_run)["1003"]
    assert log.status == "failed" and "its stock module keeps the balance" in log.error
    assert articles("1003")[0]["StockBalance"] == jeans["StockBalance"]


def test_an_item_at_a_vat_rate_eaccounting_has_no_coding_for_fails_naming_the_rates(to_eaccounting):
    visma.inventory_item_put("FOOD-1", "Mat", price=Decimal("10"), vat_category="SE12")
    ea._put(ea.CODING, {**ea._get(ea.CODING, ea_demo.CODINGS["goods12"][0]), "IsActive": False})

    sync_run = run(to_eaccounting)

    log = logs(sync_run)["FOOD-1"]
    assert log.status == "failed" and "no active goods account coding at 12" in log.error
    assert articles("FOOD-1") == []


def test_erp_customers_become_eaccounting_customers_company_or_person(to_eaccounting):
    visma.customer_put(
        "20001",
        name="Verkstad AB",
        corporateId="556123-4567",
        mainContact={"email": "order@verkstad.se", "name": "Verkstad AB", "attention": "Pia Berg"},
        mainAddress={"addressLine1": "Industrigatan 3", "postalCode": "41101", "city": "Göteborg", "countryId": "SE"},
    )
    visma.customer_put(
        "20002",
        name="Lisa Lund",
        email="lisa.lund@example.se",
        mainAddress={"addressLine1": "Parkvägen 9", "postalCode": "75310", "city": "Uppsala", "countryId": "SE"},
    )

    first = run(to_eaccounting, Flow.ERP_CUSTOMERS)

    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    [company], [person] = customers("order@verkstad.se"), customers("lisa.lund@example.se")
    assert (company["IsPrivatePerson"], company["ContactPersonName"], company["CorporateIdentityNumber"]) == (
        False,
        "Pia Berg",
        "556123-4567",
    )
    assert (person["IsPrivatePerson"], person["Name"], person["InvoiceCity"]) == (True, "Lisa Lund", "Uppsala")
    assert company["TermsOfPaymentId"] == ea_demo.TERMS["30"]["Id"]
    assert_spec_body("CustomerApi", logs(first)["20002"].request)

    second = run(to_eaccounting, Flow.ERP_CUSTOMERS)
    assert not {"20001", "20002"} & set(logs(second))
    assert len(customers("lisa.lund@example.se")) == 1


def test_an_eaccounting_customer_with_the_email_is_updated_only_when_ticked(to_eaccounting):
    existing = next(c for c in ea._all(ea.CUSTOMER) if c.get("EmailAddress"))
    visma.customer_put(
        "20003",
        name="Nytt Namn AB",
        corporateId="556999-0000",
        mainContact={"email": existing["EmailAddress"].upper(), "attention": "Ola"},
        mainAddress={"postalCode": "11122", "city": "Stockholm", "countryId": "SE"},
    )

    off = run(to_eaccounting, Flow.ERP_CUSTOMERS)
    assert logs(off)["20003"].target_id == existing["Id"]
    assert ea._get(ea.CUSTOMER, existing["Id"])["Name"] == existing["Name"]

    to_eaccounting.update_shop_customers = True
    to_eaccounting.save()
    on = run(to_eaccounting, Flow.ERP_CUSTOMERS, source_ids=["20003"])

    assert logs(on)["20003"].status == "ok", logs(on)["20003"].error
    updated = ea._get(ea.CUSTOMER, existing["Id"])
    assert (updated["Name"], updated["TermsOfPaymentId"], updated["CustomerNumber"]) == (
        "Nytt Namn AB",
        existing["TermsOfPaymentId"],
        existing["CustomerNumber"],
    )
    assert len(customers(existing["EmailAddress"])) == 1


def test_article_fields_are_the_ports_neutral_ones():
    assert ARTICLE_FIELDS == ("name", "description", "price", "currency", "active", "unit", "ean", "vat_rate")
