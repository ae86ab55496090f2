import factory
from django.utils import timezone

from integrations.models import Connection
from mappings.models import CustomerClass, TaxZoneMapping
from sync.models import ExternalRef, Integration, NumberSeriesCheck, RecordLog, SyncRun


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    name = factory.Sequence(lambda n: f"Connection {n}")
    system = "centra"
    auth_type = factory.LazyAttribute(lambda o: "api_token" if o.system == "centra" else "oauth2_code")
    base_url = factory.LazyAttribute(lambda o: f"https://{o.system.replace('_', '-')}.example.com/api")
    token_url = factory.LazyAttribute(lambda o: "" if o.system == "centra" else "https://auth.example.com/token")
    authorize_url = factory.LazyAttribute(
        lambda o: "" if o.system == "centra" else "https://auth.example.com/authorize"
    )
    client_id = factory.LazyAttribute(lambda o: "" if o.system == "centra" else "client-1")


class IntegrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Integration
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Integration {n}")
    shop = factory.SubFactory(ConnectionFactory, system="centra")
    erp = factory.SubFactory(ConnectionFactory, system="visma_net")
    home_country = "SE"

    @factory.post_generation
    def flows(obj, create, extracted, **kwargs):
        if create:
            from sync.services import integration_flows_ensure

            integration_flows_ensure(integration=obj)


class CustomerClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerClass

    integration = factory.SubFactory(IntegrationFactory)
    code = factory.Sequence(lambda n: f"CLASS{n}")


class TaxZoneMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxZoneMapping

    integration = factory.SubFactory(IntegrationFactory)
    customer_class = factory.SubFactory(CustomerClassFactory, integration=factory.SelfAttribute("..integration"))
    country = "FR"
    customer_type = "B2C"
    vat_zone = "OSS"
    vat_category = "OSS-FR"
    sales_account = "3106"


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    integration = factory.SubFactory(IntegrationFactory)
    flow = "orders"
    trigger = "manual"
    status = "succeeded"


class RecordLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordLog

    run = factory.SubFactory(SyncRunFactory)
    integration = factory.SelfAttribute("run.integration")
    flow = factory.SelfAttribute("run.flow")
    source_id = factory.Sequence(lambda n: f"order-{n}")
    status = "ok"


class ExternalRefFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalRef

    integration = factory.SubFactory(IntegrationFactory)
    kind = "invoice"
    source_id = factory.Sequence(lambda n: f"order-{n}")
    target_id = factory.Sequence(lambda n: f"INV{n}")
    synced_at = factory.LazyFunction(timezone.now)


class NumberSeriesCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberSeriesCheck

    connection = factory.SubFactory(ConnectionFactory, system="visma_net")
    numbering_id = "CUSTOMER"
    last_number = "10500"
    end_number = "19999"
    remaining = 9499
    checked_at = factory.LazyFunction(timezone.now)
