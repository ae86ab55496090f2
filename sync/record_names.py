"""Records as people read them: one style on every admin page, record log, message and e-mail.

    "Order 20275"                        record_name("order", "20275")
    "Invoice 100116 (order 20275)"       record_name("invoice", "100116", order="20275")
    "Return 9001 (order 20275)"          record_name("return", "9001", order="20275")
    "Customer jane@example.com"          record_name("customer", "jane@example.com")
    "Payout PO-1 row 3 (payment, order 1001)"

The kind's name, the record's number as the system that owns it shows it, and in parentheses what it
belongs to. Machine keys ("invoice:100116", "12:3", flow names) stay in the database and in search,
never in text meant for people: `record_name_of_key` turns a flow's key into the name when nothing else
is known of the record (it could not be read). Pure: no database, no remote system.
"""

from __future__ import annotations

KIND_NAMES = {
    "order": "Order",
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "customer": "Customer",
    "return": "Return",
    "item": "Item",
    "product": "Product",
    "variant": "Product variant",
    "size": "Product size",
    "stock": "Stock of item",
    "payment": "Payment",
    "payout": "Payout",
    "journal_transaction": "Sales journal entry",
}
# What one record of a flow is (the flow values of sync.models.Flow).
FLOW_KINDS = {
    "orders": "order",
    "customers": "customer",
    "products": "item",
    "stock": "item",
    "refunds": "return",
    "payouts": "payout",
    "erp_customers": "customer",
    "journal": "journal_transaction",
}


def record_name(kind: str, number: str, *, order: str = "", detail: str = "") -> str:
    """'<Kind> <number>' and, in parentheses, `detail` and the order it belongs to: "Invoice 100116 (order 20275)".

    `kind` is a key of KIND_NAMES (an ExternalRef kind, "order", "return", "item", "payout"); another is shown
    capitalised with spaces for underscores."""
    name = KIND_NAMES.get(kind) or kind.replace("_", " ").capitalize()
    context = ", ".join(part for part in (detail, f"order {order}" if order else "") if part)
    text = f"{name} {number}".strip()
    return f"{text} ({context})" if context else text


def record_name_of_key(flow: str, source_id: str) -> str:
    """The name of a flow's record known only by its key: "invoice:100116" of the documents flow →
    "Invoice 100116"; "12:3" of the payouts flow → "Payout #12 row 3"; "20275" of the orders flow → "Order 20275".
    A key of an unknown shape is shown as it is."""
    if flow == "documents":
        kind, _, number = source_id.partition(":")
        return record_name(kind, number) if kind in ("invoice", "credit_note") and number else source_id
    if flow == "payouts":
        payout, _, row = source_id.partition(":")
        return record_name("payout", f"#{payout} row {row}") if payout and row else source_id
    kind = FLOW_KINDS.get(flow)
    return record_name(kind, source_id) if kind else source_id


def record_label(record) -> str:
    """The name of a SyncRecord or RecordLog: the label its flow gave it, else the name of its key."""
    return record.source_label or record_name_of_key(record.flow, record.source_id)


def binding_name(ref) -> str:
    """An ExternalRef as people read it, named after the remote object with what it was made for:
    "Invoice 100116 (order 20275)", "Credit note 200001 (return 9001, order 20275)",
    "Customer 10042 (jane@example.com)", "Payment 300000 (order 1001)", "Product size 1001-BLK-M (shop 55)"."""
    kind, source, target = ref.kind, ref.source_id, ref.target_id
    data = ref.data if isinstance(ref.data, dict) else {}
    order = str(data.get("order_number") or "")
    if kind == "invoice":
        return record_name("invoice", target, order=source)
    if kind == "credit_note":
        return record_name("credit_note", target, detail=f"return {source}", order=order)
    if kind == "document":  # source "invoice:100116", target the order number
        document, _, number = source.partition(":")
        return record_name(document, number, order=target) if number else record_name("document", source)
    if kind == "customer":  # keyed by e-mail, or "company:<VAT number or name>" without one
        return record_name("customer", target, detail=source.removeprefix("company:"))
    if kind == "payment":
        return record_name("payment", target, order=order)
    if kind == "journal_transaction":  # source Koppla's reference, target the ERP's number
        return record_name("journal_transaction", target, detail=source)
    return record_name(kind, source, detail=f"shop {target}")


def record_name_parse(text: str) -> tuple[str, str, list[str]] | None:
    """A name record_name writes, taken apart: "Invoice 100116 (order 20275)" → ("Invoice", "100116", ["order
    20275"]); "Credit note 200001 (return 9001, order 20275)" → ("Credit note", "200001", ["return 9001",
    "order 20275"]). The kind's name is matched ignoring letter case and given as KIND_NAMES spells it. None when
    `text` does not start with a kind's name followed by a number."""
    text = " ".join(text.split())
    for label in sorted(KIND_NAMES.values(), key=len, reverse=True):
        if not text.casefold().startswith(label.casefold() + " "):
            continue
        rest = text[len(label) + 1 :]
        number, _, context = rest.partition(" (")
        if not number or "(" in number:
            return None
        details = [part.strip() for part in context.removesuffix(")").split(",") if part.strip()] if context else []
        return label, number, details
    return None
