"""Centra as a ShopPort (sync/ports.py): GraphQL answers → neutral shop records, neutral writes → mutations."""

from __future__ import annotations

from integrations.clients import client_for
from integrations.models import Connection
from sync import ports

from .adapter_catalogue import CentraCatalogue


class CentraShop(CentraCatalogue):
    system = "centra"
    display_name = "Centra"
    capabilities = frozenset({ports.WEBHOOKS, ports.ORDER_ATTRIBUTES, ports.CATALOGUE_WRITE, ports.STOCK_WRITE})

    def __init__(self, connection: Connection, **kwargs):
        self.connection = connection
        self.client = client_for(connection, **kwargs)
