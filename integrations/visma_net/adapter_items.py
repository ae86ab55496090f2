"""VismaNetErp's items, stock and documents-out part (mixed into integrations/visma_net/adapter.py).

InventoryDto → ErpItem (quantities are the warehouses' `available`, the EAN is the barcode
cross-reference); customer invoices and credit notes → ErpDocument with a link to their newest
attachment. Visma.net lists both by number, not by change: the flows move their cursors once a
listing is read to its end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from integrations.http import NotFound
from sync.erp import CREDIT_NOTE, INVOICE, JOURNAL_TRANSACTION, SALES_ORDER, ErpDocument, ErpItem

from .operations import filter_time
from .payloads import document_from_visma

ITEM_TYPES_NOT_STOCKED = ("NonStockItem", "ServiceItem", "LaborItem")
DOCUMENT_PATHS = {INVOICE: "/v1/customerinvoice", CREDIT_NOTE: "/v1/customerCreditNote"}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def item_ean(node: dict) -> str:
    """The item's EAN/GTIN: its barcode cross-reference ('' when it has none)."""
    for reference in node.get("crossReferences") or []:
        if str(reference.get("alternateType") or "") in ("Barcode", "Global") and reference.get("alternateID"):
            return str(reference["alternateID"]).strip()
    return ""


def is_stock_item(node: dict) -> bool:
    """Only stock items are products; non-stock items (shipping, fees, services) stay in the ERP."""
    if node.get("stockItem") is False:
        return False
    return str(node.get("type") or "FinishedGoodItem") not in ITEM_TYPES_NOT_STOCKED


def item_class(node: dict) -> str:
    """The item class id (InventoryDto.itemClass.id; '' when the item has none)."""
    value = node.get("itemClass")
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "").strip()


def availability_stamp(node: dict) -> str:
    """When the item's availability last changed: its newest warehouse detail change."""
    stamps = [str(d.get("lastModifiedDateTime") or "") for d in node.get("warehouseDetails") or []]
    return max(stamps, default="") or str(node.get("lastModifiedDateTime") or "")


def erp_item_from_visma(node: dict) -> ErpItem:
    """A Visma.net InventoryDto as the flows see it (quantities are the warehouses' `available`)."""
    warehouses: dict[str, Decimal] = {}
    for detail in node.get("warehouseDetails") or []:
        warehouse = detail.get("warehouse")
        if isinstance(warehouse, dict):
            warehouse = warehouse.get("id")
        if warehouse:
            warehouses[str(warehouse)] = _decimal(detail.get("available")) or Decimal(0)
    return ErpItem(
        number=str(node.get("inventoryNumber") or ""),
        description=str(node.get("description") or ""),
        body=str(node.get("body") or ""),
        price=_decimal(node.get("defaultPrice")),
        ean=item_ean(node),
        status=str(node.get("status") or "Active"),
        updated_at=str(node.get("lastModifiedDateTime") or ""),
        attributes={str(a.get("id")): str(a.get("value") or "") for a in node.get("attributes") or [] if a.get("id")},
        warehouses=warehouses,
        is_stock=is_stock_item(node),
        availability_updated_at=availability_stamp(node),
        item_class=item_class(node),
        item_type=str(node.get("type") or ""),
        unit=str(node.get("salesUnit") or node.get("baseUnit") or ""),
        vat_category=str((node.get("vatCode") or {}).get("id") or "") if isinstance(node.get("vatCode"), dict) else "",
    )


class VismaNetItems:
    client = None  # the VismaNetClient, set by VismaNetErp
    connection = None

    # -- items and stock ----------------------------------------------------------------
    def items_changed(self, *, updated_from: datetime | None, attributes: bool = True) -> Iterator[ErpItem]:
        nodes = self.client.inventory_list(
            modified_since=updated_from, expand_warehouse_detail=False, expand_attribute=attributes
        )
        return (erp_item_from_visma(node) for node in nodes)

    def item_get(self, number: str) -> ErpItem | None:
        try:
            return erp_item_from_visma(self.client.inventory_get(number))
        except NotFound:
            return None

    def stock_changed(
        self, *, updated_from: datetime | None, attributes: bool = False, warehouses: Sequence[str] = ()
    ) -> Iterator[ErpItem]:
        """Items with every warehouse's detail (`warehouses` is not needed: the flow picks the listed ones)."""
        nodes = self.client.inventory_list(
            availability_modified_since=updated_from, expand_warehouse_detail=True, expand_attribute=attributes
        )
        return (erp_item_from_visma(node) for node in nodes)

    def item_stock_get(
        self, number: str, *, attributes: bool = False, warehouses: Sequence[str] = ()
    ) -> ErpItem | None:
        """One item with its warehouse details. The single-item GET takes no expand parameters, so the
        list is asked for exactly this number (and matched again here)."""
        params = {"inventoryNumber": number, "expandWarehouseDetail": True, "expandAttribute": attributes}
        node = next((n for n in self.client.pages("/v1/inventory", params) if n.get("inventoryNumber") == number), None)
        return None if node is None else erp_item_from_visma(node)

    # -- documents out -------------------------------------------------------------------
    def _base_url(self) -> str:
        return self.connection.base_url if self.connection is not None else ""

    def documents_changed(self, kind: str, *, updated_from: datetime | None) -> Iterator[ErpDocument]:
        """Documents changed since `updated_from`, with their attachments (the list leaves them out unless asked)."""
        params: dict = {"expandAttachments": True}
        if updated_from is not None:
            params.update(lastModifiedDateTime=filter_time(updated_from), lastModifiedDateTimeCondition=">=")
        base_url = self._base_url()
        return (
            document_from_visma(kind, node, base_url=base_url)
            for node in self.client.pages(DOCUMENT_PATHS[kind], params)
        )

    def document_get(self, kind: str, number: str) -> ErpDocument | None:
        """An invoice or credit note (with its attachment link), a sales order or a journal transaction."""
        try:
            if kind == SALES_ORDER:
                return self.sales_order_get(number)
            if kind == JOURNAL_TRANSACTION:
                return self.journal_transaction_get(number)
            node = self.client.invoice_get(number) if kind == INVOICE else self.client.credit_note_get(number)
        except NotFound:
            return None
        return document_from_visma(kind, node, base_url=self._base_url())
