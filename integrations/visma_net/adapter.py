"""Visma.net ERP as an ErpPort (sync/ports.py): neutral drafts → Visma.net payloads, answers → neutral records."""

from __future__ import annotations

from integrations.clients import client_for
from integrations.models import Connection
from sync import ports

from .adapter_items import VismaNetItems
from .adapter_numbers import VismaNetNumberSeries
from .adapter_payments import VismaNetPayments


class VismaNetErp(VismaNetItems, VismaNetPayments, VismaNetNumberSeries):
    system = "visma_net"
    display_name = "Visma.net"
    capabilities = frozenset(
        {ports.PAYMENT_WRITE_OFF_REASON_CODE, ports.SALES_ORDER, ports.JOURNAL_TRANSACTION, ports.NUMBER_SERIES}
    )

    def __init__(self, connection: Connection, **kwargs):
        self.connection = connection
        self.client = client_for(connection, **kwargs)
