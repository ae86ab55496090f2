"""FieldRule: one rule of the datamapper (mappings/datamapper.py), per integration and flow / document.

Imported by mappings.models, so Django registers it with the other mapping tables. A rule is checked when
it is saved (`clean`, which the admin form and the CSV import call): its parts must be written correctly
(mappings/datamapper_syntax.py), its source path must exist in the record the flow reads (for the records
Koppla knows the shape of), and its target path must exist in the request body of the ERP's (or the
shop's) official spec for that document (integrations/spec_fields.py).
"""

from __future__ import annotations

import typing
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass

from django.core.exceptions import ValidationError
from django.db import models

from integrations.spec_fields import TargetFieldError, TargetKeyError, target_field

from .datamapper import Rule
from .datamapper_syntax import READS_SOURCE, TRANSFORMS, TRUNCATE, condition_parse, rule_problems, template_parse
from .models import Mapping


class FieldTarget(models.TextChoices):
    """What a rule shapes: "<flow>:<body kind>", the kind being what the adapter passes to body_finish."""

    ORDERS_INVOICE = "orders:invoice", "Orders / invoice"
    ORDERS_SALES_ORDER = "orders:sales_order", "Orders / sales order"
    ORDERS_CUSTOMER = "orders:customer", "Orders / customer"
    CUSTOMERS_CUSTOMER = "customers:customer", "Customers / customer"
    REFUNDS_CREDIT_NOTE = "refunds:credit_note", "Refunds / credit note"
    PAYOUTS_PAYMENT = "payouts:payment", "Payouts / payment"
    JOURNAL_TRANSACTION = "journal:journal_transaction", "Sales journal / journal transaction"
    PRODUCTS_ARTICLE = "products:article", "Products / article (shop)"
    ERP_CUSTOMERS_SHOP_CUSTOMER = "erp_customers:shop_customer", "ERP customers / shop customer (shop)"


# Body kinds a shop adapter sends (the others go to the ERP).
SHOP_KINDS = {"article", "shop_customer"}


def target_parts(target: str) -> tuple[str, str]:
    """(flow, body kind) of a FieldTarget value."""
    flow, _, kind = target.partition(":")
    return flow, kind


def source_type(flow: str):
    """The record a flow's rules read (a dataclass), None where Koppla does not check source paths."""
    from sync.erp import ErpCustomer, ErpItem
    from sync.shop import ShopCustomer, ShopOrder, ShopRefund

    return {
        "orders": ShopOrder,
        "customers": ShopCustomer,
        "refunds": ShopRefund,
        "products": ErpItem,
        "erp_customers": ErpCustomer,
    }.get(flow)


class FieldRule(Mapping):
    """Per integration and flow / document, an ordered list of rules applied after the built-in mapping."""

    target = models.CharField(
        "Flow / document",
        max_length=40,
        choices=FieldTarget.choices,
        help_text="The flow and the body it sends that this rule shapes.",
    )
    position = models.PositiveIntegerField(
        blank=True, help_text="Rules of a flow / document run in this order. Blank: after the last one."
    )
    source_path = models.CharField(
        max_length=200,
        blank=True,
        help_text="Dotted path in the record the flow reads, e.g. customer_email, billing.company, lines.0.sku; "
        "raw.<path> in the shop's own record; blank: the target's current value.",
    )
    target_path = models.CharField(
        max_length=200,
        help_text="Dotted path in the body sent, as the ERP's spec names it; * for every element of a list, "
        "e.g. invoiceLines.*.description.value (Visma.net) or Invoice.Remarks (Fortnox).",
    )
    transform = models.CharField(max_length=20, choices=list(TRANSFORMS.items()), default="copy")
    argument = models.TextField(
        blank=True,
        help_text="The constant, the lookup table (SE=Sweden; *=Other), the template ({billing.first_name} "
        "{billing.last_name}), the length, the date format (%d.%m.%Y) or the default.",
    )
    condition = models.CharField(
        max_length=300,
        blank=True,
        help_text="Optional: a source path, an operator (= != contains empty notempty) and a value, "
        "e.g. billing.country = SE. Blank: always.",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "field rule"
        ordering = ["integration__name", "target", "position"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "target", "position"], name="fieldrule_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} #{self.position}: {self.target_path}"

    @property
    def flow(self) -> str:
        return target_parts(self.target)[0]

    @property
    def kind(self) -> str:
        return target_parts(self.target)[1]

    @property
    def name(self) -> str:
        """How messages name the rule."""
        return f"Field rule {self.get_target_display()} #{self.position} ({self.target_path})"

    def connection(self):
        """The connection whose body the rule shapes: the shop for shop kinds, else the ERP."""
        return self.integration.shop if self.kind in SHOP_KINDS else self.integration.erp

    def target_field(self):
        connection = self.connection()
        return target_field(connection.system, self.kind, self.target_path, label=connection.get_system_display())

    def as_rule(self) -> Rule:
        """The rule as the engine applies it, with the target's length and type from the spec."""
        problem = ""
        try:
            field = self.target_field()
        except TargetKeyError as exc:  # saved around clean (edited in the database): the record fails
            field, problem = None, str(exc)
        except TargetFieldError:
            field = None
        length = int(self.argument) if self.transform == TRUNCATE and self.argument.strip().isdigit() else None
        return Rule(
            name=self.name,
            target_path=self.target_path.strip(),
            transform=self.transform,
            source_path=self.source_path.strip(),
            argument=self.argument,
            condition=self.condition.strip(),
            length=length if length is not None else (field.max_length if field else None),
            target_type=field.type if field else "",
            problem=problem,
        )

    def clean(self):
        if self.position is None and self.integration_id and self.target:
            self.position = self.next_position()
        problems = rule_problems(
            transform=self.transform,
            source_path=self.source_path,
            target_path=self.target_path,
            argument=self.argument,
            condition=self.condition,
        )
        if not self.integration_id or not self.target:
            if problems:
                raise ValidationError(problems)
            return
        if "target_path" not in problems:
            try:
                field = self.target_field()
            except TargetKeyError as exc:
                problems["target_path"] = str(exc)
            except TargetFieldError as exc:
                problems["target_path"] = f"Not in the spec: {exc}"
            else:
                if self.transform == TRUNCATE and not self.argument.strip() and field.max_length is None:
                    problems.setdefault(
                        "argument",
                        f"The spec gives no length for {field.path}: give the length as the argument, e.g. 30.",
                    )
        for field_name, path in self._source_paths(problems):
            problem = source_path_problem(source_type(self.flow), path)
            if problem:
                problems.setdefault(field_name, problem)
        if problems:
            raise ValidationError(problems)

    def _source_paths(self, problems: dict) -> list[tuple[str, str]]:
        paths = []
        if self.transform in READS_SOURCE and self.source_path.strip() and "source_path" not in problems:
            paths.append(("source_path", self.source_path.strip()))
        if self.transform == "concat" and "argument" not in problems:
            paths += [("argument", path) for _, path in template_parse(self.argument) if path]
        if self.condition.strip() and "condition" not in problems:
            paths.append(("condition", condition_parse(self.condition).path))
        return paths

    def next_position(self) -> int:
        last = (
            FieldRule.objects.filter(integration_id=self.integration_id, target=self.target)
            .exclude(pk=self.pk)
            .aggregate(models.Max("position"))["position__max"]
        )
        return (last or 0) + 10

    def save(self, *args, **kwargs):
        if self.position is None:
            self.position = self.next_position()
        super().save(*args, **kwargs)


def source_path_problem(cls, path: str) -> str:
    """Why `path` names no field of the record type `cls` ('' when it does, or when it cannot be checked)."""
    segments = path.split(".")
    if cls is None or segments[0] in ("raw", "body"):
        return ""
    current = cls
    walked: list[str] = []
    for segment in segments:
        if current is None:
            return ""  # a free-form part (a dict): not checked
        origin = typing.get_origin(current)
        if origin in (tuple, list):
            if segment != "*" and not segment.isdigit():
                return f"{'.'.join(walked)} is a list: write {'.'.join(walked)}.*.{segment} or {'.'.join(walked)}.0.{segment}."
            current = typing.get_args(current)[0]
            walked.append(segment)
            continue
        if not is_dataclass(current):
            return f"{'.'.join(walked)} is one value, it has no field '{segment}'." if walked else ""
        names = [f.name for f in dataclass_fields(current)]
        hints = typing.get_type_hints(current)
        if segment in names:
            current = _unwrap(hints.get(segment))
        elif isinstance(getattr(current, segment, None), property):
            current = None  # a property: not checked further
        else:
            where = f"{'.'.join(walked)}" if walked else "the record"
            return f"{where} ({current.__name__}) has no field '{segment}'; its fields: {', '.join(names)}."
        walked.append(segment)
    return ""


def _unwrap(hint):
    """X from X | None; dicts and other free-form types: None (not checked further)."""
    if hint is None:
        return None
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, getattr(__import__("types"), "UnionType", None)) and args:
        hint = args[0]
    if typing.get_origin(hint) is dict or hint is dict:
        return None
    return hint
