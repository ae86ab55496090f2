"""What every flow module provides to the engine.

A flow reads like its steps: fetch (client) → map (pure function, no I/O) →
bind (ExternalRef, then a remote search) → write (client) → record (the
engine writes RecordLog/SyncRecord; the flow commits ExternalRef itself, right
after each remote create).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.utils.module_loading import import_string

from integrations.adapters import adapter_class
from integrations.systems import Role
from sync.models import Flow, Integration, SyncRun
from sync.record_names import record_name


class RecordFailed(Exception):
    """A record cannot be synced as it is; `message` tells the user what to fix and where."""

    def __init__(self, message: str, *, request: Any = None, response: Any = None):
        super().__init__(message)
        self.message = message
        self.request = request
        self.response = response


@dataclass
class SourceItem:
    """One record read from the source system."""

    source_id: str
    label: str
    data: Any
    # Where the next full run may start reading once this record is processed: every record of
    # the listing stamped at or before it was processed or proven done (paging.ListingCursor).
    # "" moves nothing (listings not in stamp order, records fetched by id).
    cursor: str = ""
    error: Exception | None = None  # set when the record could not even be read


def unreadable_item(
    node: Any, error: RecordFailed, *, what: str, id_key: str = "id", cursor_key: str = "updatedAt"
) -> SourceItem:
    """The item of a record (`node`, as the source sent it) whose data cannot be read.

    It fails alone with `error` and the run goes on; its change marker (`node[cursor_key]`)
    still counts for the run's cursor, since the record is retried as a failed one.
    """
    node = node if isinstance(node, dict) else {}
    source_id = str(node.get(id_key) or "")[:100] or "(unknown)"
    cursor = node.get(cursor_key)
    return SourceItem(
        source_id=source_id,
        label=record_name(what, source_id),
        data=None,
        cursor=cursor if isinstance(cursor, str) else "",
        error=error,
    )


@dataclass
class Outcome:
    """What processing one record did."""

    status: str  # RecordLog.Status value: ok, skipped, dry_run
    target_id: str = ""
    request: Any = None
    response: Any = None
    message: str = ""


@dataclass
class Plan:
    """The records a run will go through; `total` is None while it is not known.

    `read_to` is set by the flow once its listing was read to the end: the cursor of the run
    when every item was processed (it may differ from the last item's cursor, e.g. when the
    last records were proven done and left out).

    A plan that reads its listing a page at a time calls `page_ready(items)` with the items of a
    page before it yields them: the engine then reads their sync states in one query (`on_page`).
    """

    items: Iterable[SourceItem]
    total: int | None = None
    notes: list[str] = field(default_factory=list)
    read_to: str = ""
    on_page: Callable[[list[SourceItem]], None] | None = None

    def page_ready(self, items: list[SourceItem]) -> None:
        """The items of the next page, about to be yielded (at most one page: nothing is kept)."""
        if self.on_page is not None and items:
            self.on_page(items)


def shop_capabilities(integration: Integration) -> frozenset[str]:
    """The capabilities (sync/ports.py) of the integration's shop adapter, without building it."""
    cls = adapter_class(integration.shop.system, role=Role.SHOP)
    return cls.capabilities if cls is not None else frozenset()


class FlowRunner:
    """Base class of flow modules. Subclasses set `flow` and implement the hooks.

    `by_shop_capability` ({capability: dotted runner class}) lets one flow run another runner for shops of
    another kind, chosen by capability, never by system: e.g. the products flow of a shop whose catalogue
    is flat articles (ARTICLE_WRITE) is sync.flows.articles.ArticlesFlow. The first capability the shop has wins.
    """

    flow: ClassVar[Flow]
    by_shop_capability: ClassVar[dict[str, str]] = {}

    def __new__(cls, **kwargs):
        integration = kwargs.get("integration")
        if cls.by_shop_capability and integration is not None:
            capabilities = shop_capabilities(integration)
            for capability, path in cls.by_shop_capability.items():
                if capability in capabilities:
                    return import_string(path)(**kwargs)
        return super().__new__(cls)

    field_rules = None  # sync.field_rules.FieldRules of the run, made on its first record

    def __init__(self, *, integration: Integration, run: SyncRun, dry_run: bool):
        self.integration = integration
        self.run = run
        self.dry_run = dry_run

    def changed_since(self, cursor: str) -> Plan:
        """Records changed since `cursor`, read with an overlap (scheduled and manual runs)."""
        raise NotImplementedError

    def fetch(self, source_id: str) -> SourceItem:
        """One record by id (resync, retries, webhooks). Raise RecordFailed if it is gone."""
        raise NotImplementedError

    def process(self, item: SourceItem) -> Outcome:
        """Map, bind and write one record. Raise RecordFailed (or a RemoteError) on failure."""
        raise NotImplementedError

    def adapters(self) -> list:
        """The adapters whose bodies field rules shape: the flow's shop and ERP adapters, where it has them."""
        return [a for a in (getattr(self, "shop", None), getattr(self, "erp", None)) if a is not None]

    def record_begin(self, item: SourceItem) -> None:
        """Before the engine processes `item`: the adapters apply the integration's field rules of this flow
        (read once per run) to the bodies they send, with `item.data` as the rules' source (sync/field_rules.py)."""
        from sync.field_rules import FieldRules

        if self.field_rules is None:
            self.field_rules = FieldRules(self.integration, flow=self.flow)
        hook = self.field_rules.hook(item.data)
        for adapter in self.adapters():
            adapter.body_hook = hook

    def connections(self) -> list:
        """The remote accounts the flow calls: while one of them is paused, its runs call nothing."""
        return [self.integration.shop, self.integration.erp]

    def start_cursor(self, previous: str) -> str:
        """Where a run without a previous cursor starts (e.g. the integration's cut-off date)."""
        return previous
