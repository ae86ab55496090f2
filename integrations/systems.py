"""What Koppla knows about each remote system: role, auth, endpoints, rate limits.

A Connection starts from these defaults; base URL and rate limit can be
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
    # (requests, seconds) windows; every window must have room before a call goes out.
    rate_limits: tuple[tuple[int, int], ...] = field(default_factory=tuple)


SYSTEMS: dict[str, SystemInfo] = {
    System.CENTRA: SystemInfo(
        role=Role.SHOP,
        auth_types=(AuthType.API_TOKEN,),
        base_url="",  # per-customer host, e.g. https://<client>.centra.com/graphql-integration
        rate_limits=((20, 10), (10_000, 3_600)),
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
    ),
    System.FORTNOX: SystemInfo(
        role=Role.ERP,
        auth_types=(AuthType.OAUTH2_CODE, AuthType.OAUTH2_CLIENT_CREDENTIALS),
        base_url="https://api.fortnox.se/3",
        token_url="https://apps.fortnox.se/oauth-v1/token",
        authorize_url="https://apps.fortnox.se/oauth-v1/auth",
        default_scopes="customer invoice article payment",
        rate_limits=((25, 5),),
    ),
    System.EACCOUNTING: SystemInfo(
        role=Role.SHOP,
        auth_types=(AuthType.OAUTH2_CODE,),
        base_url="https://eaccountingapi.vismaonline.com/v2",
        token_url="https://identity.vismaonline.com/connect/token",
        authorize_url="https://identity.vismaonline.com/connect/authorize",
        default_scopes="ea:api offline_access ea:sales",
        rate_limits=((600, 60),),
    ),
}


def system_info(system: str) -> SystemInfo:
    return SYSTEMS[System(system)]


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
