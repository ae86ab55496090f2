"""Build the port adapter of a connection's system from the registry (integrations/systems.py).

`shop_for(integration)` and `erp_for(integration)` are what flows call; they never name a
system. An adapter class takes the connection (and keyword options the flows pass through,
e.g. a clock in tests) and implements sync.ports.ShopPort or sync.ports.ErpPort.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import import_string

from .http import ConfigurationError
from .models import Connection
from .systems import SYSTEMS, Role, System, system_info


class BodyFinishing:
    """What lets the engine reshape what an adapter sends: the datamapper's field rules (mappings/datamapper.py).

    Every adapter passes each body it sends to a create or an update, and each body its `*_request` returns,
    through `body_finish(kind, body)` as its last step; `kind` names the target record: an ErpDocument kind
    ("invoice", "credit_note", "sales_order", "journal_transaction"), "customer", "payment", or on a shop
    "article", "shop_customer". The engine sets `body_hook` (kind, body) -> body for the record in hand;
    None (the default): the body goes as built. The hook returns a new dict; it never changes `body`.
    """

    body_hook: Callable[[str, dict], dict] | None = None

    def body_finish(self, kind: str, body: dict) -> dict:
        return body if self.body_hook is None else self.body_hook(kind, body)


def adapter_class(system: str, *, role: Role) -> type | None:
    """The adapter class of `system` in `role` (not built, nothing called), None when it has none."""
    info = system_info(system)
    return import_string(info.adapter) if info.adapter and info.role == role else None


def adapter_name(system: str, *, role: Role) -> str:
    """How messages name `system` in `role`: its adapter's display_name (e.g. "Visma.net"), else the registry label."""
    cls = adapter_class(system, role=role)
    return cls.display_name if cls is not None else System(system).label


def systems_with(capability: str, *, role: Role) -> list[str]:
    """The registry keys of the systems whose `role` adapter declares `capability` (sync.ports names)."""
    found = []
    for system in SYSTEMS:
        cls = adapter_class(system, role=role)
        if cls is not None and capability in cls.capabilities:
            found.append(str(system))
    return found


def adapter_for(connection: Connection, *, role: Role, **kwargs):
    """The adapter of `connection` in `role`; ConfigurationError when its system has none yet."""
    cls = adapter_class(connection.system, role=role)
    if cls is None:
        raise ConfigurationError(
            f"{connection.get_system_display()} cannot be used as {role.label} by this version of Koppla yet.",
            system=connection.system,
        )
    return cls(connection, **kwargs)


def shop_for(integration, **kwargs):
    """The ShopPort adapter of the integration's shop connection."""
    return adapter_for(integration.shop, role=Role.SHOP, **kwargs)


def erp_for(integration, **kwargs):
    """The ErpPort adapter of the integration's ERP connection."""
    return adapter_for(integration.erp, role=Role.ERP, **kwargs)
