"""The shop catalogue of an integration is written by one party at a time.

Two writers reach the same shop products, variants and sizes: the products
flow (searches the shop, creates what is missing, binds) and the SKU
re-binding action (reads the shop, then replaces every catalogue binding and
the SKU rule). Run together, the products run goes on under the old rule after
the re-binding: it finds no binding for the old product numbers and creates
them in the shop a second time, and overwrites the new bindings. So both take
the integration's catalogue lease (sync/leases.py): a products record for
its write, the re-binding for its read-match-apply; and a products record
checks, inside the lease, that the rule it was mapped with is still the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from config.errors import ApplicationError
from mappings.models import SkuRule
from sync.leases import DEFAULT_WAIT, LeaseBusy, LeaseHandle, LeaseLost, lease_hold
from sync.models import Integration

from .base import RecordFailed
from .product_mapping import SkuRuleSpec

# The re-binding reads the whole shop and every ERP item: it renews as it goes.
REBIND_TTL = timedelta(minutes=15)
# The re-binding gives up after this wait (seconds) when a products record keeps the catalogue.
REBIND_WAIT = 15.0


def catalogue_lease_key(integration: Integration) -> str:
    return f"catalogue:{integration.pk}"


def sku_rule_current(integration: Integration) -> SkuRuleSpec | None:
    """The integration's SKU rule as stored now (one small query)."""
    row = (
        SkuRule.objects.filter(integration=integration)
        .values_list("product_source", "variant_source", "size_source", "separator")
        .first()
    )
    return SkuRuleSpec(*row) if row else None


class CatalogueGuard:
    """The products flow's side: hold the catalogue lease while writing one item; see the module docstring."""

    def __init__(self, *, integration: Integration, rule: SkuRuleSpec):
        self.integration = integration
        self.rule = rule
        self._busy = False  # once the catalogue was found busy in this run, later records do not wait again

    @contextmanager
    def hold(self) -> Iterator[LeaseHandle]:
        """Raises RecordFailed (retryable, nothing written) when the catalogue is busy or the rule changed."""
        try:
            with lease_hold(key=catalogue_lease_key(self.integration), wait=0 if self._busy else DEFAULT_WAIT) as lease:
                if sku_rule_current(self.integration) != self.rule:
                    raise RecordFailed(
                        f"The SKU rule of {self.integration} was changed while this products run was going "
                        "(Mappings › SKU rules › re-bind). Nothing was written for this item; the next run "
                        "handles it under the new rule."
                    )
                yield lease
        except LeaseBusy as exc:
            self._busy = True
            raise RecordFailed(
                f"The shop products of {self.integration} are being re-bound to a new SKU rule at this moment "
                f"({exc}). Nothing was written for this item; it is retried automatically."
            ) from exc


@contextmanager
def catalogue_hold_for_rebind(integration: Integration) -> Iterator[LeaseHandle]:
    """The re-binding's side: ApplicationError (shown on the admin page) when a products run keeps the catalogue."""
    try:
        with lease_hold(key=catalogue_lease_key(integration), ttl=REBIND_TTL, wait=REBIND_WAIT) as lease:
            yield lease
    except LeaseBusy as exc:
        raise ApplicationError(
            f"A products run of {integration} is writing its shop products right now ({exc}). Nothing was "
            "changed: apply the new rule when the run has finished (Sync › Sync runs)."
        ) from exc
    except LeaseLost as exc:
        raise ApplicationError(
            f"Re-binding the shop products of {integration} took longer than {REBIND_TTL} without renewing its "
            f"lock ({exc}). Try again."
        ) from exc
