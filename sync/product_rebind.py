"""Changing the SKU rule of an integration whose products are already in the shop.

Bindings (PRODUCT, VARIANT, SIZE) were made under the old rule; with a new rule
the products flow would see new product numbers and create the whole catalogue
again. `sku_rule_rebind` instead reads the shop's sizes and the ERP's items,
matches each item to the shop size with the SKU the *new* rule gives it, and
(when applied) replaces the bindings and the rule in one transaction, holding
the catalogue lease the products flow takes too. What it could not match is
reported: ERP items without a shop size (the next products run creates them)
and shop sizes no item maps to (left alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from config.storable import storable_json
from integrations.adapters import erp_for, shop_for
from mappings.models import SkuRule
from sync.leases import LeaseHandle
from sync.models import ExternalRef

from .flows.base import RecordFailed
from .flows.catalogue import catalogue_hold_for_rebind
from .flows.product_mapping import (
    ONE_SIZE,
    SkuParts,
    SkuRuleSpec,
    item_checksum,
    shop_size_name,
    sku_parts,
    variant_key,
)
from .shop import ShopProduct, ShopSize, ShopVariant

CATALOGUE_KINDS = (ExternalRef.Kind.PRODUCT, ExternalRef.Kind.VARIANT, ExternalRef.Kind.SIZE)
SAMPLE = 50  # unmatched entries listed in the report
RENEW_EVERY = 500  # ERP items read between renewals of the catalogue lease


@dataclass
class Match:
    item_number: str
    parts: SkuParts
    checksum: str
    product_id: str
    variant_id: str
    size: ShopSize


@dataclass
class RebindReport:
    rule: str
    items: int = 0
    matches: list[Match] = field(default_factory=list)
    unmatched_items: list[tuple[str, str]] = field(default_factory=list)  # (item number, why)
    unmatched_sizes: list[str] = field(default_factory=list)  # shop SKUs no item maps to
    applied: bool = False

    @property
    def matched(self) -> int:
        return len(self.matches)

    def summary(self) -> str:
        verb = "Re-bound" if self.applied else "Would re-bind"
        text = (
            f"{verb} {self.matched} of {self.items} ERP stock items to existing shop sizes under the rule {self.rule}."
        )
        if self.unmatched_items:
            shown = "; ".join(f"{number}: {why}" for number, why in self.unmatched_items[:SAMPLE])
            more = f" (and {len(self.unmatched_items) - SAMPLE} more)" if len(self.unmatched_items) > SAMPLE else ""
            text += (
                f" {len(self.unmatched_items)} items could not be matched — the next products run creates them "
                f"in the shop unless you fix them first: {shown}{more}."
            )
        if self.unmatched_sizes:
            shown = ", ".join(self.unmatched_sizes[:SAMPLE])
            more = f" (and {len(self.unmatched_sizes) - SAMPLE} more)" if len(self.unmatched_sizes) > SAMPLE else ""
            text += (
                f" {len(self.unmatched_sizes)} shop sizes match no ERP item and are left as they are: {shown}{more}."
            )
        return text


def rule_text(spec: SkuRuleSpec) -> str:
    parts = " + ".join(p for p in (spec.product, spec.variant, spec.size) if p)
    return f"{parts} (separator '{spec.separator}')" if spec.separator else parts


Entry = tuple[ShopProduct, ShopVariant, ShopSize]


def _shop_index(shop) -> tuple[dict, dict, dict]:
    """Shop sizes by (product number, variant number, size number) and by size name, and every SKU."""
    by_number: dict[tuple[str, str, str], Entry] = {}
    by_name: dict[tuple[str, str, str], Entry] = {}
    skus: dict[str, str] = {}  # size id → SKU
    for product in shop.products_list():
        for variant in product.variants:
            for size in variant.sizes:
                key = (product.number, variant.number)
                entry = (product, variant, size)
                if size.number:
                    by_number[(*key, size.number)] = entry
                by_name[(*key, size.name)] = entry
                skus[size.id] = size.sku
    return by_number, by_name, skus


def _lookup(parts: SkuParts, by_number: dict, by_name: dict) -> Entry | None:
    key = (parts.product, parts.variant)
    if parts.size:
        return by_number.get((*key, parts.size)) or by_name.get((*key, parts.size))
    found = by_name.get((*key, ONE_SIZE)) or by_number.get((*key, ""))
    if found:
        return found
    only = [entry for (p, v, _), entry in by_name.items() if (p, v) == key]
    return only[0] if len(only) == 1 else None


def sku_rule_rebind(*, rule: SkuRule, spec: SkuRuleSpec, apply: bool = False) -> RebindReport:
    """Match ERP items to shop sizes under `spec`; with apply=True, replace the bindings and the rule.

    Applying holds the integration's catalogue lease from the first read to the
    last write, so no products record writes the shop in between (ApplicationError
    when a products run keeps it; see flows/catalogue.py).
    """
    if not apply:
        return _match(rule=rule, spec=spec)
    with catalogue_hold_for_rebind(rule.integration) as lease:
        report = _match(rule=rule, spec=spec, lease=lease)
        lease.renew()  # still ours right before the bindings are replaced (else nothing is applied)
        _apply(rule=rule, spec=spec, report=report)
    return report


def _match(*, rule: SkuRule, spec: SkuRuleSpec, lease: LeaseHandle | None = None) -> RebindReport:
    integration = rule.integration
    shop = shop_for(integration)
    erp = erp_for(integration)
    report = RebindReport(rule=rule_text(spec))
    by_number, by_name, skus = _shop_index(shop)
    if lease:
        lease.renew()
    taken: dict[str, str] = {}  # size id → item number
    for item in erp.items_changed(updated_from=None, attributes=True):
        if not item.is_stock:
            continue
        report.items += 1
        if lease and report.items % RENEW_EVERY == 0:
            lease.renew()
        try:
            parts = sku_parts(item, spec)
        except RecordFailed as exc:
            report.unmatched_items.append((item.number, exc.message))
            continue
        found = _lookup(parts, by_number, by_name)
        if found is None:
            sku = parts.product + parts.variant + parts.size
            report.unmatched_items.append((item.number, f"no shop size with SKU {sku}"))
            continue
        product, variant, size = found
        if size.id in taken:
            report.unmatched_items.append(
                (item.number, f"gives the same shop size ({size.sku or None}) as item {taken[size.id]}")
            )
            continue
        taken[size.id] = item.number
        report.matches.append(Match(item.number, parts, item_checksum(item, parts), product.id, variant.id, size))
    report.unmatched_sizes = sorted(sku for size_id, sku in skus.items() if size_id not in taken)
    return report


@transaction.atomic
def _apply(*, rule: SkuRule, spec: SkuRuleSpec, report: RebindReport) -> None:
    integration = rule.integration
    now = timezone.now()
    ExternalRef.objects.filter(integration=integration, kind__in=CATALOGUE_KINDS).delete()
    products: dict[str, str] = {}
    variants: dict[str, str] = {}
    rows = []
    for match in report.matches:
        products[match.parts.product] = match.product_id
        variants[variant_key(match.parts)] = match.variant_id
        rows.append(
            ExternalRef(
                integration=integration,
                kind=ExternalRef.Kind.SIZE,
                source_id=match.item_number,
                target_id=match.size.id,
                checksum=match.checksum,
                data=storable_json(
                    {
                        "product": match.parts.product,
                        "variant": match.parts.variant,
                        "size": match.parts.size,
                        "key": match.parts.key,
                        "sku": match.size.sku,
                        "product_id": match.product_id,
                        "variant_id": match.variant_id,
                        "size_name": shop_size_name(match.size, match.parts),
                        "rebound_at": timezone.localtime(now).isoformat(timespec="seconds"),
                    }
                ),
                synced_at=now,
            )
        )
    rows += [
        ExternalRef(integration=integration, kind=ExternalRef.Kind.PRODUCT, source_id=k, target_id=v, synced_at=now)
        for k, v in products.items()
    ]
    rows += [
        ExternalRef(integration=integration, kind=ExternalRef.Kind.VARIANT, source_id=k, target_id=v, synced_at=now)
        for k, v in variants.items()
    ]
    ExternalRef.objects.bulk_create(rows, batch_size=500)
    rule.product_source, rule.variant_source, rule.size_source, rule.separator = (
        spec.product,
        spec.variant,
        spec.size,
        spec.separator,
    )
    rule.rebind_confirmed = True
    rule.full_clean()
    rule.save()
    report.applied = True
