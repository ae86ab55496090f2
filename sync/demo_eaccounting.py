"""The demo's third integration: "Demo shop (eAccounting → Visma.net)", seeded once like the other two (sync/demo.py).

Its shop is the eAccounting sandbox's demo company (integrations/eaccounting/demo_data.py: twenty orders of
private persons and companies, in every status, the invoiced ones paid or not); its ERP is the Visma.net sandbox
connection the Centra → Visma.net integration uses. The eAccounting connection is connected when it is created
(a token from the sandbox's identity server, no consent page), as the Fortnox one is; its Connect button still
walks through the sandbox's consent page. A later start only moves its sandbox URLs to the demo's port.

What the integration is given: the statuses Shipped and Invoiced, only paid orders (eAccounting has no paid
status: an order is paid when the customer invoice made from it is, api-notes § B), sales-order type SO,
branch 1 and warehouse MAIN (the Visma.net sandbox's), receivable account 1510 and the VAT accounts of sales
journal entries, and the mapping tables of mappings/fixtures/demo/eaccounting/ beside the shared ones. No SKU
rule: the demo's article numbers are not Visma.net items, so invoices and journal entries go through and sales
orders (whose lines need an item) fail naming the line. The eAccounting demo company
does not use the OSS: consumers in other EU countries pay Swedish VAT, so its tax-zone and VAT-rate files book
them like Swedish consumers; EU companies with a VAT number are reverse charge, as in the other demos.
"""

from django.conf import settings
from django.db import transaction

from integrations.models import Connection
from integrations.systems import System

from .demo import (
    FIXTURES,
    demo_admin_ensure,
    demo_connections_ensure,
    demo_oauth_connection_ensure,
    integration_parts_seed,
)
from .models import DemoSeed, Integration, JournalVatAccount

DEMO_EACCOUNTING_INTEGRATION = "Demo shop (eAccounting → Visma.net)"
DEMO_EACCOUNTING_CONNECTION = "eAccounting sandbox"
# What the flows need (README › Connecting Visma eAccounting): the API, a refresh token, and sales (orders,
# customers, articles, invoices).
DEMO_EACCOUNTING_SCOPES = "ea:api offline_access ea:sales"
DEMO_EACCOUNTING_STATUSES = ["Shipped", "Invoiced"]
# VAT category → output-VAT account of sales journal entries (BAS: 2611 25 %, 2621 12 %, 2631 6 %; reverse
# charge carries no VAT, kept on 2611 for completeness).
DEMO_JOURNAL_VAT_ACCOUNTS = {"SE25": "2611", "SE12": "2621", "SE6": "2631", "RC0": "2611"}
EACCOUNTING_FIXTURES = FIXTURES / "demo" / "eaccounting"
# (table, file) in dependency order. No SKU rule: eAccounting's article numbers are not Visma.net item numbers,
# so invoice lines go without an item (description, price and VAT category only).
DEMO_EACCOUNTING_MAPPING_FILES = [
    ("customer_classes", FIXTURES / "customer_classes.csv"),
    ("tax_zones", EACCOUNTING_FIXTURES / "tax_zones.csv"),
    ("payment_methods", FIXTURES / "demo" / "payment_methods.csv"),
    ("payment_terms", FIXTURES / "demo" / "payment_terms.csv"),
    ("shipping", FIXTURES / "demo" / "shipping.csv"),
    ("currencies", FIXTURES / "demo" / "currencies.csv"),
    ("vat_rates", EACCOUNTING_FIXTURES / "vat_rates.csv"),
    ("vat_territories", FIXTURES / "vat_territories.csv"),
]


def demo_eaccounting_connection_ensure(*, site_url: str) -> Connection:
    """The eAccounting sandbox connection (sync.demo.demo_oauth_connection_ensure); its demo OAuth client is
    registered with the sandbox before the first token."""
    from integrations.eaccounting.demo_data import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    from integrations.eaccounting.oauth_sandbox import client_register, token_issue

    def token() -> dict:
        client_register(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
        return token_issue(client_id=DEMO_CLIENT_ID, scope=DEMO_EACCOUNTING_SCOPES)

    return demo_oauth_connection_ensure(
        name=DEMO_EACCOUNTING_CONNECTION,
        system=System.EACCOUNTING,
        site_url=site_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        scopes=DEMO_EACCOUNTING_SCOPES,
        token_issue=token,
    )


@transaction.atomic
def demo_eaccounting_integration_seed(*, site_url: str | None = None) -> Integration:
    """The eAccounting → Visma.net demo integration, its flows and mapping tables, each seeded once.

    Raises ApplicationError (a sentence) when a demo mapping file does not import; nothing is then written.
    """
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    demo_admin_ensure()
    _centra, erp = demo_connections_ensure(site_url=site_url)
    shop = demo_eaccounting_connection_ensure(site_url=site_url)
    integration, _ = Integration.objects.get_or_create(
        name=DEMO_EACCOUNTING_INTEGRATION,
        defaults={
            "shop": shop,
            "erp": erp,
            "home_country": "SE",
            "allowed_order_statuses": DEMO_EACCOUNTING_STATUSES,
            "only_paid_orders": True,
            "erp_order_type": "SO",
            "erp_branch": "1",
            "erp_warehouse": "MAIN",
            "journal_receivable_account": "1510",
            "fee_writeoff_reason_code": "PSPFEE",
            "payment_cash_account": "1930",
            "notify_emails": "ops@example.com",
        },
    )
    DemoSeed.objects.get_or_create(integration=integration, part="integration")
    integration_parts_seed(integration, files=DEMO_EACCOUNTING_MAPPING_FILES)
    _journal_vat_accounts_seed(integration)
    return integration


def _journal_vat_accounts_seed(integration: Integration) -> None:
    """The output-VAT accounts sales journal entries credit per VAT category (BAS, in the Visma.net demo
    company's chart), once: a row the user edited or deleted stays so."""
    if integration.demo_seeds.filter(part="journal_vat_accounts").exists():
        return
    for category, account in DEMO_JOURNAL_VAT_ACCOUNTS.items():
        JournalVatAccount.objects.get_or_create(
            integration=integration, vat_category=category, defaults={"account": account}
        )
    DemoSeed.objects.create(integration=integration, part="journal_vat_accounts")
