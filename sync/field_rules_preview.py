"""Preview of field rules on a real order: the body the orders flow would send, without and with the rules.

`field_rules_preview(integration=..., target=..., order_number=...)` reads the order from the shop
(`shop_for(integration).order_get`, through the orders flow's `fetch`), builds the body as a dry run of the
orders flow does (sync/flows/orders.py: `process` with dry_run gives Outcome.request), once with no rules and
once with the integration's enabled rules of that target, and compares them path by path. Nothing is
written anywhere; the ERP is only read (its VAT categories, the customer's binding). Every failure (order not
found, a mapping missing, a rule that cannot apply, the shop or ERP not answering) comes back as `error`
in words, never as an exception.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from integrations.http import RemoteError
from mappings.datamapper_models import FieldTarget, target_parts

from .field_rules import FieldRules
from .flows import runner_class
from .flows.base import RecordFailed
from .flows.order_documents import ORDER_DOCUMENTS
from .flows.order_mapping import invoice_draft
from .models import Flow, Integration, SyncRun

logger = logging.getLogger("koppla.sync")

PREVIEW_TARGETS = [(value, label) for value, label in FieldTarget.choices if value.startswith("orders:")]


@dataclass(frozen=True)
class PreviewRow:
    path: str
    before: str  # the value as JSON text; "" when the body has no such field
    after: str
    changed: bool


@dataclass
class Preview:
    before: dict | None = None
    after: dict | None = None
    rows: list[PreviewRow] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def changed(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.changed]


def field_rules_preview(*, integration: Integration, target: str, order_number: str) -> Preview:
    """The body of `target` for the shop's order `order_number`, before and after the rules (see the module)."""
    preview = Preview()
    flow, kind = target_parts(target)
    if flow != Flow.ORDERS:
        preview.error = (
            "The preview reads an order from the shop: choose an Orders target (invoice, sales order or customer)."
        )
        return preview
    number = order_number.strip()
    if not number:
        preview.error = "Give the number of an order in the shop, e.g. 29001."
        return preview
    try:
        runner = runner_class(Flow.ORDERS)(
            integration=integration, run=SyncRun(integration=integration, flow=Flow.ORDERS, dry_run=True), dry_run=True
        )
        item = runner.fetch(number)
        if item.error is not None:
            raise item.error
        preview.before = _body(runner, item, kind, hook=None, notes=preview.notes)
        rules = FieldRules(integration, flow=Flow.ORDERS)
        hook = rules.hook(item.data)
        if hook is None:
            preview.notes.append("The integration has no enabled field rules for orders: nothing changes.")
        preview.after = _body(runner, item, kind, hook=hook, notes=[])
        preview.applied = list(rules.applied)
    except RecordFailed as exc:
        preview.error = exc.message
    except RemoteError as exc:
        from .engine import remote_error_message

        preview.error = remote_error_message(exc, then="Try the preview again.")
    except Exception as exc:  # noqa: BLE001 - the page says what went wrong instead of failing
        logger.exception("Field rule preview of order %s failed", number)
        preview.error = f"Unexpected error ({type(exc).__name__}): {exc}."
    if preview.before is not None and preview.after is not None:
        preview.rows = rows_compare(preview.before, preview.after)
    return preview


def _body(runner, item, kind: str, *, hook, notes: list[str]) -> dict:
    """The body of `kind` the orders flow builds for the item's order, with `hook` as the adapters' body hook."""
    for adapter in runner.adapters():
        adapter.body_hook = hook
    document = runner.document  # None: the integration sends orders as sales journal entries
    if document is not None and kind == document.binding_kind:
        outcome = runner.process(item)
        if outcome.status == "dry_run":
            return outcome.request
        notes.append(f"The flow would not send this order now ({outcome.message}); shown: the body it builds for it.")
    order = item.data
    draft = invoice_draft(order, runner.mappings, item_numbers=runner.item_numbers)
    if kind == "customer":
        notes.append("The customer body is sent only when no ERP customer has the order's e-mail yet.")
        return runner.erp.customer_request(draft.customer)
    chosen = next((d for d in ORDER_DOCUMENTS.values() if d.binding_kind == kind), None)
    if chosen is None or not hasattr(runner.erp, f"{chosen.methods}_request"):
        raise RecordFailed(f"{runner.erp.display_name} takes no {kind.replace('_', ' ')} from Koppla.")
    if chosen is not document:
        sent = f"{document.noun}s" if document is not None else "lines of sales journal entries"
        notes.append(
            f"The integration sends orders as {sent}: rules of this target apply only once it sends "
            f"{chosen.noun}s (its Order document setting)."
        )
    return chosen.request(runner.erp, draft, customer_number=runner._dry_run_customer(draft))


def flat(body: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted path: value} of every value in `body` (list elements by their index)."""
    out: dict[str, Any] = {}
    if isinstance(body, dict) and body:
        for key, value in body.items():
            out.update(flat(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(body, list) and body:
        for index, value in enumerate(body):
            out.update(flat(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "(body)"] = body
    return out


def rows_compare(before: dict, after: dict) -> list[PreviewRow]:
    """Every path of either body, in the body's order, with its value before and after the rules."""
    old, new = flat(before), flat(after)
    paths = list(old) + [path for path in new if path not in old]
    return [
        PreviewRow(
            path=path,
            before=_shown(old.get(path, _ABSENT)),
            after=_shown(new.get(path, _ABSENT)),
            changed=old.get(path, _ABSENT) != new.get(path, _ABSENT),
        )
        for path in paths
    ]


_ABSENT = object()


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return ""
    return json.dumps(value, ensure_ascii=False, default=str)
