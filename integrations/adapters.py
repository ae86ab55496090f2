"""Build the port adapter of a connection's system from the registry (integrations/systems.py).

`shop_for(integration)` and `erp_for(integration)` are what flows call; they never name a
system. An adapter class takes the connection (and keyword options the flows pass through,
e.g. a clock in tests) and implements sync.ports.ShopPort or sync.ports.ErpPort.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from .http import ConfigurationError
from .models import Connection
from .systems import Role, system_info


def adapter_for(connection: Connection, *, role: Role, **kwargs):
    """The adapter of `connection` in `role`; ConfigurationError when its system has none yet."""
    info = system_info(connection.system)
    path = info.adapter if info.role == role else ""
    if not path:
        raise ConfigurationError(
            f"{connection.get_system_display()} cannot be used as {role.label} by this version of Koppla yet.",
            system=connection.system,
        )
    return import_string(path)(connection, **kwargs)


def shop_for(integration, **kwargs):
    """The ShopPort adapter of the integration's shop connection."""
    return adapter_for(integration.shop, role=Role.SHOP, **kwargs)


def erp_for(integration, **kwargs):
    """The ErpPort adapter of the integration's ERP connection."""
    return adapter_for(integration.erp, role=Role.ERP, **kwargs)
