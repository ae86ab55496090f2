"""Demo data: sandbox connections, three integrations, their mappings, and the sandboxes' own data.

One Centra sandbox shop feeds two integrations: "Demo shop (Centra → Visma.net)" and
"Demo shop (Centra → Fortnox)"; an eAccounting sandbox shop feeds the third, "Demo shop (eAccounting →
Visma.net)" (sync/demo_eaccounting.py), on the same Visma.net sandbox. Seeded once: the first start creates everything; later starts
only add what was never seeded (a DemoSeed row per integration and per mapping table says what
was) and point the connections at the demo's port. The user's edits and deletions (notify
e-mails, cash and fee accounts, mapping rows, payout formats, a disconnected connection) are
never undone; `make clean` starts from scratch.
The Visma.net connection is left unconnected unless asked: the demo's first
step is clicking Connect and passing the sandbox's authorize page. The Fortnox connection is
connected when it is created (a token from the Fortnox sandbox, no consent page), so both ERPs
can be tried at once; its Connect button still walks through the sandbox's consent page.

The connections' sandbox URLs come from the registry (SystemInfo.sandbox_urls); seeding the
sandboxes and the scripted consent call the demo systems' own sandbox modules.
"""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from config.errors import ApplicationError
from integrations.models import Connection
from integrations.systems import AuthType, System, system_info
from mappings.resources import RESOURCES
from mappings.services import import_problems, mapping_import, vat_territories_load_standard

from .models import DemoSeed, Integration, PayoutFormat
from .payouts.services import payout_format_from_preset
from .services import integration_flows_ensure

FIXTURES = Path(__file__).resolve().parent.parent / "mappings" / "fixtures"
DEMO_USERNAME = "admin"
DEMO_PASSWORD = "koppla-demo"
DEMO_INTEGRATION = "Demo shop (Centra → Visma.net)"
DEMO_FORTNOX_INTEGRATION = "Demo shop (Centra → Fortnox)"
DEMO_FORTNOX_CONNECTION = "Fortnox sandbox"
# What the flows call (README › Connecting Fortnox): company information for the connection test,
# customers, articles (products, stock), invoices (orders, refunds, documents), payments (payouts).
DEMO_FORTNOX_SCOPES = "companyinformation customer article invoice order payment"
DEMO_FORTNOX_FEE_ACCOUNT = "6064"  # BAS: payment-provider fees, in the Fortnox demo company's chart
DEMO_VISMA_CLIENT_ID = "koppla-demo"
DEMO_VISMA_CLIENT_SECRET = "koppla-demo-secret"
DEMO_CENTRA_TOKEN = "centra-demo-token-7f3e21"
DEMO_WEBHOOK_SECRET = "centra-demo-webhook-secret"
DEMO_ORDERS = 320
DEMO_PAYOUT_FORMATS = [
    ("adyen", "Adyen settlement details"),
    ("klarna", "Klarna settlement"),
    ("stripe", "Stripe payouts"),
    ("generic", "Generic payout file"),
]

# (table, file) in dependency order: tax zones refer to customer classes.
DEMO_MAPPING_FILES = [
    ("customer_classes", FIXTURES / "customer_classes.csv"),
    ("tax_zones", FIXTURES / "eu_tax_zones.csv"),
    ("payment_methods", FIXTURES / "demo" / "payment_methods.csv"),
    ("payment_terms", FIXTURES / "demo" / "payment_terms.csv"),
    ("shipping", FIXTURES / "demo" / "shipping.csv"),
    ("currencies", FIXTURES / "demo" / "currencies.csv"),
    ("sku_rule", FIXTURES / "demo" / "sku_rule.csv"),
    ("vat_rates", FIXTURES / "demo" / "vat_rates.csv"),
    ("vat_territories", FIXTURES / "vat_territories.csv"),
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
    """The two sandbox connections: created once; later calls only move their sandbox URLs to `site_url`."""
    shop_urls = system_info(System.CENTRA).sandbox_fields(site_url)
    erp_urls = system_info(System.VISMA_NET).sandbox_fields(site_url)
    shop = Connection.objects.filter(name="Centra sandbox").first()
    if shop is None:
        shop = Connection(
            name="Centra sandbox",
            system=System.CENTRA,
            auth_type=AuthType.API_TOKEN,
            status="connected",
            token_expires_at=timezone.now() + timedelta(days=30),
            **shop_urls,
        )
        shop.secrets = {"api_token": DEMO_CENTRA_TOKEN, "webhook_secret": DEMO_WEBHOOK_SECRET}
        shop.save()
    else:
        _fields_update(shop, shop_urls)
    erp = Connection.objects.filter(name="Visma.net sandbox").first()
    if erp is None:
        erp = Connection(
            name="Visma.net sandbox",
            system=System.VISMA_NET,
            auth_type=AuthType.OAUTH2_CODE,
            client_id=DEMO_VISMA_CLIENT_ID,
            rate_limit="100/10s",  # the Visma.net sandbox's own quota in the demo settings
            scopes="vismanet_erp_service_api:read vismanet_erp_service_api:create "
            "vismanet_erp_service_api:update offline_access",
            **erp_urls,
        )
        erp.secrets = {"client_secret": DEMO_VISMA_CLIENT_SECRET}
        erp.save()
    else:
        _fields_update(erp, erp_urls)
    return shop, erp


def demo_oauth_connection_ensure(
    *,
    name: str,
    system: str,
    site_url: str,
    client_id: str,
    client_secret: str,
    scopes: str,
    token_issue: Callable[[], dict],
    **fields,
) -> Connection:
    """A sandbox connection by OAuth2 code: created once as `name`, connected with the token `token_issue()`
    gives ({access_token, refresh_token, expires_in (seconds)}, no consent page) and `fields` besides; later
    calls only move its sandbox URLs to `site_url` (a connection the user disconnected stays so)."""
    urls = system_info(system).sandbox_fields(site_url)
    connection = Connection.objects.filter(name=name).first()
    if connection is not None:
        _fields_update(connection, urls)
        return connection
    token = token_issue()
    connection = Connection(
        name=name,
        system=system,
        auth_type=AuthType.OAUTH2_CODE,
        client_id=client_id,
        scopes=scopes,
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        token_expires_at=timezone.now() + timedelta(seconds=token["expires_in"]),
        status="connected",
        **fields,
        **urls,
    )
    connection.secrets = {"client_secret": client_secret}
    connection.save()
    return connection


def demo_fortnox_connection_ensure(*, site_url: str) -> Connection:
    """The Fortnox sandbox connection (demo_oauth_connection_ensure); its refresh token's issue time is kept, so
    the daily upkeep renews it before Fortnox lets it run out."""
    from integrations.fortnox.demo_data import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    from integrations.fortnox.oauth_sandbox import token_issue

    return demo_oauth_connection_ensure(
        name=DEMO_FORTNOX_CONNECTION,
        system=System.FORTNOX,
        site_url=site_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        scopes=DEMO_FORTNOX_SCOPES,
        token_issue=lambda: token_issue(client_id=DEMO_CLIENT_ID, scope=DEMO_FORTNOX_SCOPES),
        refresh_token_issued_at=timezone.now(),
    )


def _fields_update(connection: Connection, values: dict) -> None:
    changed = [field for field, value in values.items() if getattr(connection, field) != value]
    for field in changed:
        setattr(connection, field, values[field])
    if changed:
        connection.save(update_fields=[*changed, "updated_at"])


def demo_sandboxes_seed(*, orders: int = DEMO_ORDERS) -> dict:
    """The remote systems' side of the demo: ERP reference data and items, shop orders, tokens."""
    from integrations.centra import demo_data as centra_demo
    from integrations.centra.sandbox import api_token_register
    from integrations.eaccounting import demo_data as eaccounting_demo
    from integrations.fortnox import demo_data as fortnox_demo
    from integrations.visma_net import demo_data as visma_demo
    from integrations.visma_net.connect_sandbox import client_register

    client_register(DEMO_VISMA_CLIENT_ID, DEMO_VISMA_CLIENT_SECRET)
    api_token_register(DEMO_CENTRA_TOKEN)
    return {
        "visma_net": visma_demo.seed(),
        "fortnox": fortnox_demo.seed(),  # also registers its demo OAuth client
        "centra": centra_demo.seed(orders=orders),
        "eaccounting": eaccounting_demo.seed(),  # also registers its demo OAuth client
    }


def demo_erp_connect(*, erp: Connection) -> None:
    """Give the demo ERP connection a sandbox token without the browser consent (tests, scripted demos)."""
    from integrations.visma_net.connect_sandbox import DEMO_TENANTS, token_issue

    token = token_issue(client_id=DEMO_VISMA_CLIENT_ID, tenant_id=DEMO_TENANTS[0]["id"], scope=erp.scopes)
    erp.access_token = token["access_token"]
    erp.refresh_token = token["refresh_token"]
    erp.token_expires_at = timezone.now() + timedelta(seconds=token["expires_in"])
    erp.status = "connected"
    erp.save()


def demo_seed(*, site_url: str | None = None, orders: int = DEMO_ORDERS, connect: bool = False) -> Integration:
    """Everything the demo needs; returns the Centra → Visma.net integration (the Fortnox and eAccounting ones are
    seeded beside it). `connect` also gives the Visma.net connection a token (no consent page)."""
    from .demo_eaccounting import demo_eaccounting_integration_seed

    demo_sandboxes_seed(orders=orders)
    integration = demo_integration_seed(site_url=site_url)
    demo_fortnox_integration_seed(site_url=site_url)
    demo_eaccounting_integration_seed(site_url=site_url)
    if connect:
        demo_erp_connect(erp=integration.erp)
    return integration


@transaction.atomic
def demo_integration_seed(*, site_url: str | None = None) -> Integration:
    """The demo integration, its payout formats and mapping tables, each seeded once (see the module's docstring).

    Raises ApplicationError (a sentence) when a demo mapping file does not import; nothing is then written.
    """
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    demo_admin_ensure()
    shop, erp = demo_connections_ensure(site_url=site_url)
    integration, _ = Integration.objects.get_or_create(
        name=DEMO_INTEGRATION,
        defaults={
            "shop": shop,
            "erp": erp,
            "home_country": "SE",
            "allowed_order_statuses": ["CONFIRMED", "PROCESSING", "SHIPPED"],
            "fee_writeoff_reason_code": "PSPFEE",
            "payment_cash_account": "1580",
            "notify_emails": "ops@example.com",
        },
    )
    DemoSeed.objects.get_or_create(integration=integration, part="integration")
    integration_parts_seed(integration)
    return integration


@transaction.atomic
def demo_fortnox_integration_seed(*, site_url: str | None = None) -> Integration:
    """The Fortnox demo integration on the same Centra sandbox shop, seeded once like the Visma.net one.

    Differences from Visma.net: the fee of a payout is written off to an account (no reason code), and
    the tax-zone file's sales accounts, not its VAT zones, decide where a sale is booked.
    Raises ApplicationError (a sentence) when a demo mapping file does not import; nothing is then written.
    """
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    demo_admin_ensure()
    shop, _visma = demo_connections_ensure(site_url=site_url)
    erp = demo_fortnox_connection_ensure(site_url=site_url)
    integration, _ = Integration.objects.get_or_create(
        name=DEMO_FORTNOX_INTEGRATION,
        defaults={
            "shop": shop,
            "erp": erp,
            "home_country": "SE",
            "allowed_order_statuses": ["CONFIRMED", "PROCESSING", "SHIPPED"],
            "fee_writeoff_account": DEMO_FORTNOX_FEE_ACCOUNT,
            "payment_cash_account": "1580",
            "notify_emails": "ops@example.com",
        },
    )
    DemoSeed.objects.get_or_create(integration=integration, part="integration")
    integration_parts_seed(integration)
    return integration


def integration_parts_seed(integration: Integration, *, files=DEMO_MAPPING_FILES) -> None:
    """Flow switches, payout formats and each demo mapping table of `integration` (`files`: (table, path) in
    dependency order), each part once."""
    integration_flows_ensure(integration=integration)
    seeded = set(integration.demo_seeds.values_list("part", flat=True))
    if "payout_formats" not in seeded:
        for preset, name in DEMO_PAYOUT_FORMATS:
            if not PayoutFormat.objects.filter(name=name).exists():
                payout_format_from_preset(name=name, preset=preset)
        DemoSeed.objects.create(integration=integration, part="payout_formats")
    for table, path in files:
        if table in seeded:
            continue
        # A table that already has rows (a demo database from before DemoSeed) counts as seeded.
        if not RESOURCES[table]._meta.model.objects.filter(integration=integration).exists():
            if table == "vat_territories":
                vat_territories_load_standard(integration=integration)
            result = mapping_import(integration=integration, table=table, content=path.read_text(encoding="utf-8"))
            problems = import_problems(result)
            if problems:
                raise ApplicationError(f"Demo mapping {path.name} did not import: " + "; ".join(problems))
        DemoSeed.objects.create(integration=integration, part=table)
