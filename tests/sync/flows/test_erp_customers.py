"""Customers Visma.net → a shop that takes customers (capability CUSTOMER_WRITE): create, match by e-mail,
update only when the integration says so, skip what is unchanged."""

import pytest

from integrations.visma_net import sandbox as visma
from integrations.visma_net.adapter_customers import erp_customer_from_visma
from sync.models import ExternalRef, Flow, RecordLog, SyncRun
from sync.services import flow_run
from tests.sync.flows.fake_article_shop import FakeArticleShop


def run(integration, **kwargs) -> SyncRun:
    return flow_run(integration=integration, flow=Flow.ERP_CUSTOMERS, trigger="manual", **kwargs)


def logs(sync_run) -> dict[str, RecordLog]:
    return {log.source_id: log for log in RecordLog.objects.filter(run=sync_run)}


def company(number="10001", email="inköp@acme.se", city="Lund"):
    return visma.customer_put(
        number,
        name="Acme AB",
        corporateId="556677-8899",
        vatRegistrationId="SE556677889901",
        mainContact={"email": email, "name": "Acme AB", "attention": "Eva Ek", "phone1": "+46 46 12 34 56"},
        mainAddress={"addressLine1": "Storgatan 1", "postalCode": "222 22", "city": city, "countryId": "SE"},
    )


def person(number="10002", email="nils@example.se", **fields):
    return visma.customer_put(
        number,
        name="Nils Holm",
        email=email,
        mainAddress={"addressLine1": "Byvägen 2", "postalCode": "123 45", "city": "Mora", "countryId": "se"},
        **fields,
    )


def test_the_visma_customer_is_read_as_company_or_person():
    acme = erp_customer_from_visma(
        {
            "number": "1",
            "name": "Acme AB",
            "corporateId": "556677-8899",
            "mainContact": {"email": "a@acme.se", "attention": "Eva Ek"},
            "mainAddress": {"city": "Lund", "country": {"id": "SE"}},
            "lastModifiedDateTime": "2026-03-02T10:00:00.123",
        }
    )
    nils = erp_customer_from_visma({"number": "2", "name": "Nils", "status": "Inactive", "mainContact": {}})
    assert (acme.is_company, acme.contact_name, acme.city, acme.country) == (True, "Eva Ek", "Lund", "SE")
    assert acme.updated_at == "2026-03-02T10:00:00.123"
    assert (nils.is_company, nils.contact_name, nils.active) == (False, "", False)


def test_erp_customers_are_created_in_the_shop_as_company_or_person_and_bound(article_integration):
    company()
    person()
    visma.customer_put("10003", name="No Mail AB")

    first = run(article_integration)

    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    refs = dict(ExternalRef.objects.filter(kind=ExternalRef.Kind.SHOP_CUSTOMER).values_list("source_id", "target_id"))
    assert set(refs) == {"10001", "10002"}
    acme, nils = FakeArticleShop.drafts[refs["10001"]], FakeArticleShop.drafts[refs["10002"]]
    assert (acme.is_company, acme.name, acme.contact_name, acme.corporate_id) == (
        True,
        "Acme AB",
        "Eva Ek",
        "556677-8899",
    )
    assert (acme.address.company, acme.address.first_name, acme.address.city) == ("Acme AB", "Eva", "Lund")
    assert (nils.is_company, nils.address.first_name, nils.address.last_name, nils.address.country) == (
        False,
        "Nils",
        "Holm",
        "SE",
    )
    assert logs(first)["10001"].status == "ok" and "(company)" in logs(first)["10001"].error
    assert "(private person)" in logs(first)["10002"].error
    assert logs(first)["10003"].status == "skipped" and "no e-mail address" in logs(first)["10003"].error

    FakeArticleShop.calls.clear()
    second = run(article_integration)
    assert FakeArticleShop.writes() == []
    assert {"10001", "10002"}.isdisjoint(logs(second))  # unchanged: left out before they became records


def test_a_shop_customer_with_the_email_is_bound_not_duplicated_and_left_alone_unless_updates_are_on(
    article_integration,
):
    shop = FakeArticleShop()
    existing = shop.add_customer("NILS@example.se")
    person()

    first = run(article_integration)

    log = logs(first)["10002"]
    assert log.status == "ok" and log.target_id == existing
    assert "found by its e-mail" in log.error and "left as the shop has it" in log.error
    assert [c[0] for c in FakeArticleShop.writes()] == []
    assert len(FakeArticleShop.customers) == 1

    article_integration.update_shop_customers = True
    article_integration.save()
    second = run(article_integration, source_ids=["10002"])

    assert logs(second)["10002"].status == "ok" and "updated" in logs(second)["10002"].error
    assert FakeArticleShop.writes() == [("shop_customer_update", existing)]
    assert FakeArticleShop.drafts[existing].name == "Nils Holm"

    FakeArticleShop.calls.clear()
    third = run(article_integration, source_ids=["10002"])
    assert logs(third)["10002"].status == "skipped" and "up to date" in logs(third)["10002"].error
    assert FakeArticleShop.writes() == []


def test_a_changed_erp_customer_updates_its_shop_customer_only_when_ticked(article_integration):
    company()
    run(article_integration)
    target = ExternalRef.objects.get(kind=ExternalRef.Kind.SHOP_CUSTOMER, source_id="10001").target_id
    company(city="Malmö")
    FakeArticleShop.calls.clear()

    off = run(article_integration, source_ids=["10001"])
    assert logs(off)["10001"].status == "skipped" and "updating shop customers is off" in logs(off)["10001"].error
    assert FakeArticleShop.drafts[target].address.city == "Lund"

    article_integration.update_shop_customers = True
    article_integration.save()
    on = run(article_integration, source_ids=["10001"])
    assert logs(on)["10001"].status == "ok"
    assert FakeArticleShop.drafts[target].address.city == "Malmö"
    assert len(FakeArticleShop.customers) == 1


def test_two_shop_customers_with_the_email_fail_the_record_naming_both(article_integration):
    shop = FakeArticleShop()
    first_id, second_id = shop.add_customer("nils@example.se"), shop.add_customer("Nils@Example.se")
    person()

    sync_run = run(article_integration)

    log = logs(sync_run)["10002"]
    assert log.status == "failed" and f"({first_id}, {second_id})" in log.error
    assert FakeArticleShop.writes() == []


def test_what_the_shop_would_refuse_fails_alone_and_writes_nothing(article_integration):
    visma.customer_put("10004", name="Cityless AB", email="x@cityless.se")
    person()

    sync_run = run(article_integration)

    assert logs(sync_run)["10004"].status == "failed"
    assert "the customer's city is required" in logs(sync_run)["10004"].error
    assert logs(sync_run)["10002"].status == "ok"
    assert [c[0] for c in FakeArticleShop.writes()] == ["shop_customer_create"]


def test_an_inactive_erp_customer_is_not_created(article_integration):
    person(status="Inactive")

    sync_run = run(article_integration)

    assert logs(sync_run)["10002"].status == "skipped" and "inactive" in logs(sync_run)["10002"].error
    assert FakeArticleShop.customers == {}


def test_a_shop_without_customer_writes_makes_the_run_stop_saying_so(article_integration):
    FakeArticleShop.reset(capabilities=frozenset({"article_write"}))
    person()

    sync_run = run(article_integration)

    assert sync_run.status == SyncRun.Status.FAILED
    assert "Fake article shop takes no customers from Koppla" in sync_run.message


@pytest.mark.usefixtures("article_shop")
def test_an_erp_without_customers_out_makes_the_run_stop_saying_so(db, centra_connection, fortnox_connection):
    from sync.models import Integration
    from sync.services import integration_flows_ensure

    integration = Integration.objects.create(name="Fortnox out", shop=centra_connection, erp=fortnox_connection)
    integration_flows_ensure(integration=integration)

    sync_run = run(integration)

    assert sync_run.status == SyncRun.Status.FAILED
    assert "Koppla cannot read customers from Fortnox yet" in sync_run.message


def test_two_erp_customers_with_one_email_do_not_share_a_shop_customer(article_integration):
    article_integration.update_shop_customers = True
    article_integration.save()
    person()
    company(number="10009", email=" NILS@example.se ")  # the same e-mail, other case, with blanks

    sync_run = run(article_integration)

    found = logs(sync_run)
    assert found["10002"].status == "ok"
    assert found["10009"].status == "failed" and "already ERP customer 10002's" in found["10009"].error
    refs = ExternalRef.objects.filter(kind=ExternalRef.Kind.SHOP_CUSTOMER)
    assert list(refs.values_list("source_id", flat=True)) == ["10002"]
    (only,) = FakeArticleShop.customers
    assert FakeArticleShop.drafts[only].name == "Nils Holm"  # not overwritten by Acme AB
