"""Field rules in the flows: the adapters' body hook (integrations.adapters.BodyFinishing) for the record in hand.

The engine calls `FlowRunner.record_begin(item)` before it processes a record; the runner's FieldRules
(loaded once per run, on the first record of a flow that has rule targets) give each adapter of the run a
hook that applies the enabled rules of (flow, body kind) to every body the adapter sends, with that record
as the rules' source (mappings/datamapper.py). A rule that cannot apply fails the record (RecordFailed naming
the rule); since adapters finish a body before they send it, nothing is sent for that record.
"""

from __future__ import annotations

from collections.abc import Callable

from mappings.datamapper import FieldRuleError, rules_apply
from mappings.datamapper_models import FieldTarget, target_parts
from mappings.selectors import field_rules_of

from .flows.base import RecordFailed

FLOWS_WITH_RULES = {target_parts(value)[0] for value in FieldTarget.values}


class FieldRules:
    """The enabled rules of one integration and flow, read once, and the hooks that apply them."""

    def __init__(self, integration, *, flow: str):
        self.integration = integration
        self.flow = str(flow)
        self._by_kind: dict[str, list] | None = None
        self.applied: list[str] = []  # the rules that changed a body of the record in hand

    @property
    def by_kind(self) -> dict[str, list]:
        if self._by_kind is None:
            wanted = self.flow in FLOWS_WITH_RULES and self.integration is not None
            self._by_kind = field_rules_of(integration=self.integration, flow=self.flow) if wanted else {}
        return self._by_kind

    def hook(self, source: object) -> Callable[[str, dict], dict] | None:
        """The body hook for `source` (the record in hand); None when the flow has no rules."""
        self.applied = []
        by_kind = self.by_kind
        if not by_kind:
            return None

        def finish(kind: str, body: dict) -> dict:
            rules = by_kind.get(kind)
            if not rules:
                return body
            try:
                new, applied = rules_apply(rules, body=body, source=source)
            except FieldRuleError as exc:
                raise RecordFailed(
                    f"{exc.message} Nothing was sent for this record: fix the rule (Mappings › Field rules) or the "
                    "record, then resync.",
                    request=body,
                ) from exc
            self.applied.extend(name for name in applied if name not in self.applied)
            return new

        return finish
