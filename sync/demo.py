"""Demo data: sandbox connections, one integration and its mappings.

Idempotent: running it again updates what exists and adds what is missing.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from config.errors import ApplicationError
from integrations.models import Connection
from integrations.systems import AuthType, System
from mappings.services import import_problems, mapping_import

from .models import Integration
from .services import integration_flows_ensure

FIXTURES = Path(__file__).resolve().parent.parent / "mappings" / "fixtures"
DEMO_USERNAME = "admin"
DEMO_PASSWORD = "koppla-demo"
DEMO_INTEGRATION = "Demo shop (Centra → Visma.net)"

# (table, file) in dependency order: tax zones refer to customer classes.
DEMO_MAPPING_FILES = [
    ("customer_classes", FIXTURES / "customer_classes.csv"),
    ("tax_zones", FIXTURES / "eu_tax_zones.csv"),
    ("payment_methods", FIXTURES / "demo" / "payment_methods.csv"),
    ("payment_terms", FIXTURES / "demo" / "payment_terms.csv"),
    ("shipping", FIXTURES / "demo" / "shipping.csv"),
    ("currencies", FIXTURES / "demo" / "currencies.csv"),
    ("sku_rule", FIXTURES / "demo" / "sku_rule.csv"),
]


def demo_admin_ensure() -> None:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()


def demo_connections_ensure(*, site_url: str) -> tuple[Connection, Connection]:
    shop, _ = Connection.objects.update_or_create(
        name="Centra sandbox",
        defaults={
            "system": System.CENTRA,
            "auth_type": AuthType.API_TOKEN,
            "base_url": f"{site_url}/sandbox/centra/graphql",
        },
    )
    erp, _ = Connection.objects.update_or_create(
        name="Visma.net sandbox",
        defaults={
            "system": System.VISMA_NET,
            "auth_type": AuthType.OAUTH2_CODE,
            "base_url": f"{site_url}/sandbox/visma-net/api",
            "token_url": f"{site_url}/sandbox/visma-connect/connect/token",
            "authorize_url": f"{site_url}/sandbox/visma-connect/connect/authorize",
            "client_id": "koppla-demo",
            "scopes": "vismanet_erp_service_api:read vismanet_erp_service_api:create "
            "vismanet_erp_service_api:update offline_access",
        },
    )
    return shop, erp


@transaction.atomic
def demo_seed(*, site_url: str | None = None) -> Integration:
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    demo_admin_ensure()
    shop, erp = demo_connections_ensure(site_url=site_url)
    integration, _ = Integration.objects.update_or_create(
        name=DEMO_INTEGRATION, defaults={"shop": shop, "erp": erp, "home_country": "SE"}
    )
    integration_flows_ensure(integration=integration)
    for table, path in DEMO_MAPPING_FILES:
        result = mapping_import(integration=integration, table=table, content=path.read_text(encoding="utf-8"))
        problems = import_problems(result)
        if problems:
            raise ApplicationError(f"Demo mapping {path.name} did not import: " + "; ".join(problems))
    return integration
