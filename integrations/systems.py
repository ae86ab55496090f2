"""The registry: what Koppla knows about each remote system and where its parts live.

Per system: role, auth, endpoints, rate limits, and the dotted paths of its API client,
its port adapter (sync.ports.ShopPort / ErpPort) and its webhook view, the order statuses
a shop offers, and where its built-in sandbox answers. The engine reads these; it never
names a system. A Connection starts from these defaults; base URL and rate limit can be
overridden per connection (e.g. a sandbox or a negotiated higher quota).
"""

from dataclasses import dataclass, field

from django.db import models


class System(models.TextChoices):
    CENTRA = "centra", "Centra"
    VISMA_NET = "visma_net", "Visma.net ERP"
    FORTNOX = "fortnox", "Fortnox"
    EACCOUNTING = "eaccounting", "Visma eAccounting"


def system_label(code: str) -> str:
    """A system's display name for every message a person reads ("Centra", "Visma.net ERP"), never its slug.

    Codes outside the registry (e.g. the "notification" webhook client) are capitalised, with spaces;
    an empty code is "The remote system".
    """
    try:
        return str(System(code).label)
    except ValueError:
        return code.replace("_", " ").capitalize() if code else "The remote system"


class AuthType(models.TextChoices):
    API_TOKEN = "api_token", "API token (bearer)"
    OAUTH2_CODE = "oauth2_code", "OAuth2 authorization code (interactive consent)"
    OAUTH2_CLIENT_CREDENTIALS = "oauth2_client_credentials", "OAuth2 client credentials (service app)"


class Role(models.TextChoices):
    SHOP = "shop", "Shop / order source"
    ERP = "erp", "ERP"


@dataclass(frozen=True)
class SystemInfo:
    role: Role
    auth_types: tuple[AuthType, ...]
    base_url: str
    token_url: str = ""
    authorize_url: str = ""
    default_scopes: str = ""
    # (requests, seconds) windows: the remote's quotas as it counts them; every window must have room before a
    # call goes out. The shared limiter keeps its budget just under each by itself (integrations.ratelimit's guard).
    rate_limits: tuple[tuple[int, int], ...] = field(default_factory=tuple)
    # True: the remote counts `rate_limits` per endpoint (path template), so each endpoint has its own
    # budget (integrations.ratelimit.endpoint_template); False: one budget for every call of a connection.
    rate_limit_per_endpoint: bool = False
    # Dotted path of the class implementing sync.ports.ShopPort / ErpPort for this role ("" = none yet).
    adapter: str = ""
    # Dotted path of the API client class, built by integrations.clients.client_for ("" = none yet).
    client: str = ""
    # A shop's order statuses (code, label) that an integration may export (Integration.allowed_order_statuses).
    order_statuses: tuple[tuple[str, str], ...] = ()
    # Dotted path of the view receiving the system's webhooks at /webhooks/<system>/<integration id>/ ("" = none).
    webhook_view: str = ""
    # Connection fields → path of the built-in sandbox under the site URL (demo and tests).
    sandbox_urls: tuple[tuple[str, str], ...] = ()
    # Days an OAuth2 refresh token lives unused (0: it does not run out, or we renew it on every use
    # anyway); a schedule renews one that is half that old (integrations.oauth.refresh_tokens_renew).
    refresh_token_days: int = 0

    def sandbox_fields(self, site_url: str) -> dict[str, str]:
        """The connection fields (base_url, token_url…) pointing at this system's sandbox on `site_url`."""
        root = site_url.rstrip("/")
        return {field_name: f"{root}{path}" for field_name, path in self.sandbox_urls}


SYSTEMS: dict[str, SystemInfo] = {
    System.CENTRA: SystemInfo(
        role=Role.SHOP,
        auth_types=(AuthType.API_TOKEN,),
        base_url="",  # per-customer host, e.g. https://<client>.centra.com/graphql-integration
        rate_limits=((20, 10), (10_000, 3_600)),
        adapter="integrations.centra.adapter.CentraShop",
        client="integrations.centra.client.CentraClient",
        # The GraphQL API's order statuses (completed orders are SHIPPED there).
        order_statuses=(
            ("PENDING", "Pending"),
            ("CONFIRMED", "Confirmed"),
            ("PROCESSING", "Processing"),
            ("SHIPPED", "Shipped (completed)"),
        ),
        webhook_view="integrations.centra.webhooks.centra_webhook",
        sandbox_urls=(("base_url", "/sandbox/centra/graphql"),),
    ),
    System.VISMA_NET: SystemInfo(
        role=Role.ERP,
        auth_types=(AuthType.OAUTH2_CODE, AuthType.OAUTH2_CLIENT_CREDENTIALS),
        base_url="https://api.finance.visma.net",
        token_url="https://connect.visma.com/connect/token",
        authorize_url="https://connect.visma.com/connect/authorize",
        default_scopes=(
            "vismanet_erp_service_api:read vismanet_erp_service_api:create "
            "vismanet_erp_service_api:update offline_access"
        ),
        # Visma.net limits per tenant and announces them in X-RateLimit-* headers;
        # this client-side pace stays well under what a tenant normally gets.
        rate_limits=((50, 10),),
        adapter="integrations.visma_net.adapter.VismaNetErp",
        client="integrations.visma_net.client.VismaNetClient",
        sandbox_urls=(
            ("base_url", "/sandbox/visma-net/api"),
            ("token_url", "/sandbox/visma-connect/connect/token"),
            ("authorize_url", "/sandbox/visma-connect/connect/authorize"),
        ),
    ),
    System.FORTNOX: SystemInfo(
        role=Role.ERP,
        auth_types=(AuthType.OAUTH2_CODE, AuthType.OAUTH2_CLIENT_CREDENTIALS),
        base_url="https://api.fortnox.se",  # paths carry /3/ (API v3) or /api/warehouse/
        token_url="https://apps.fortnox.se/oauth-v1/token",
        authorize_url="https://apps.fortnox.se/oauth-v1/auth",
        default_scopes="customer invoice article payment companyinformation",
        # 25 requests per 5 s sliding window per tenant (api-notes § A2), shared by all workers; the limiter's
        # guard paces it at 25 per 5.2 s (4.8 a second, 96 % of it).
        rate_limits=((25, 5),),
        # Refresh tokens live 45 days by Fortnox's current docs, 31 by its older FAQ (api-notes § A1): the shorter.
        refresh_token_days=31,
        adapter="integrations.fortnox.adapter.FortnoxErp",
        client="integrations.fortnox.client.FortnoxClient",
        sandbox_urls=(
            ("base_url", "/sandbox/fortnox"),
            ("token_url", "/sandbox/fortnox/oauth-v1/token"),
            ("authorize_url", "/sandbox/fortnox/oauth-v1/auth"),
        ),
    ),
    System.EACCOUNTING: SystemInfo(
        role=Role.SHOP,
        auth_types=(AuthType.OAUTH2_CODE,),
        base_url="https://eaccountingapi.vismaonline.com/v2",
        token_url="https://identity.vismaonline.com/connect/token",
        authorize_url="https://identity.vismaonline.com/connect/authorize",
        default_scopes="ea:api offline_access ea:sales",
        # 600 requests per minute per client and per endpoint (api-notes § B): a budget per endpoint.
        rate_limits=((600, 60),),
        rate_limit_per_endpoint=True,
        adapter="integrations.eaccounting.adapter.EAccountingShop",
        client="integrations.eaccounting.client.EAccountingClient",
        # OrderApi.Status (spec): 1 Draft, 2 Ongoing, 3 Shipped, 4 Invoiced; no "paid" status (see the adapter).
        order_statuses=(
            ("Draft", "Draft"),
            ("Ongoing", "Ongoing"),
            ("Shipped", "Shipped"),
            ("Invoiced", "Invoiced"),
        ),
        sandbox_urls=(
            ("base_url", "/sandbox/eaccounting/v2"),
            ("token_url", "/sandbox/eaccounting/identity/connect/token"),
            ("authorize_url", "/sandbox/eaccounting/identity/connect/authorize"),
        ),
    ),
}


def system_info(system: str) -> SystemInfo:
    return SYSTEMS[System(system)]


def order_status_choices(system: str | None = None) -> list[tuple[str, str]]:
    """The order statuses of `system`, or of every shop in the registry (each code once), as choices."""
    infos = [system_info(system)] if system else [info for info in SYSTEMS.values() if info.role == Role.SHOP]
    choices: dict[str, str] = {}
    for info in infos:
        for code, label in info.order_statuses:
            choices.setdefault(code, label)
    return list(choices.items())


def parse_rate_limit(text: str) -> tuple[tuple[int, int], ...]:
    """Parse "25/5s, 10000/1h" into ((25, 5), (10000, 3600)); raise ValueError on bad input."""
    units = {"s": 1, "m": 60, "h": 3600}
    windows = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            count, period = part.split("/")
            unit = period[-1] if period[-1] in units else "s"
            number = period[:-1] if period[-1] in units else period
            windows.append((int(count), int(number or 1) * units[unit]))
        except (ValueError, IndexError):
            raise ValueError(f"'{part}' is not a rate limit: write requests/period, e.g. 25/5s or 10000/1h") from None
        if windows[-1][0] <= 0 or windows[-1][1] <= 0:
            raise ValueError(f"'{part}': requests and period must be positive")
    return tuple(windows)
