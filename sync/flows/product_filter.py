"""Integration.product_filter: which ERP items go to the shop (pure; no I/O).

The language is small on purpose. A filter is one or more conditions joined by `and`
(every condition must hold); blank means every item:

    <field> <op> <value> [and <field> <op> <value> ...]

- field: `itemClass` (the ERP's item class id), `status` (Active, Inactive, NoSales...),
  `type` (the ERP's item type, e.g. FinishedGoodItem), `number` (item number),
  `description`, or `attribute <NAME>` (an item attribute, e.g. `attribute WEBSHOP`).
  Field names are case-insensitive.
- op: `=` or `!=` (values compared case-insensitively, surrounding blanks ignored), or `in` with
  a comma-separated list (`status in Active, NoPurchases`; parentheses around it are allowed, a quoted
  entry may hold a comma). There is no `or`: list the values with `in`.
- value: a word, or text in double quotes when it holds blanks or the word "and"
  (`description = "Gift card"`). An empty value (`attribute WEBSHOP = ""`) matches an item
  without the attribute.

Examples: `itemClass = WEB`, `attribute WEBSHOP = 1`, `status = Active and itemClass != SPARE`.
A filter that cannot be read is refused by Integration.clean with the reason (`filter_problem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.errors import ApplicationError
from sync.erp import ErpItem

from .base import Outcome

FIELDS = {
    "itemclass": "itemClass",
    "status": "status",
    "type": "type",
    "number": "number",
    "description": "description",
}
OPERATORS = ("!=", "=", "in")
# Quotes a word processor or a phone keyboard writes instead of '"' (they would otherwise be part of the value).
SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_TOKEN = re.compile(r'\s*(?:"(?P<quoted>[^"]*)"|(?P<op>!=|=)|(?P<word>[^\s"=!]+|!))')


class FilterError(ValueError):
    """The filter text cannot be read; the message says where and how to write it."""


@dataclass(frozen=True)
class Condition:
    field: str  # a FIELDS value, or "attribute"
    attribute: str  # the attribute name when field == "attribute"
    op: str  # "=", "!=", "in"
    values: tuple[str, ...]

    def value_of(self, item: ErpItem) -> str:
        if self.field == "attribute":
            return item.attributes.get(self.attribute, "")
        return {
            "itemClass": item.item_class,
            "status": item.status,
            "type": item.item_type,
            "number": item.number,
            "description": item.description,
        }[self.field]

    def holds(self, item: ErpItem) -> bool:
        value = (self.value_of(item) or "").strip().casefold()
        wanted = {v.strip().casefold() for v in self.values}
        return (value not in wanted) if self.op == "!=" else (value in wanted)

    def __str__(self) -> str:
        name = f"attribute {self.attribute}" if self.field == "attribute" else self.field
        return f"{name} {self.op} {', '.join(self.values)}"


@dataclass(frozen=True)
class ProductFilter:
    """The parsed filter; `matches(item)` is True for every item when it has no condition."""

    conditions: tuple[Condition, ...] = ()

    def matches(self, item: ErpItem) -> bool:
        return all(condition.holds(item) for condition in self.conditions)

    def first_failing(self, item: ErpItem) -> Condition | None:
        return next((c for c in self.conditions if not c.holds(item)), None)

    @property
    def needs_attributes(self) -> bool:
        return any(c.field == "attribute" for c in self.conditions)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: kind "quoted", "op" or "word"."""
    tokens, position = [], 0
    text = text.translate(SMART_QUOTES).rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FilterError(f"cannot read the filter from '{text[position:].strip()}' on: {HOW}")
        kind = match.lastgroup
        if kind == "word" and match.group("word") == "!":
            raise FilterError(f"'!' must be followed by '=' (write !=): {HOW}")
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


HOW = 'write conditions as <field> = <value>, joined by "and", e.g. itemClass = WEB and attribute WEBSHOP = 1'


def _condition(tokens: list[tuple[str, str]], number: int) -> Condition:
    where = f"condition {number}"
    if not tokens:
        raise FilterError(f"{where} is empty (two 'and' in a row, or 'and' at an end): {HOW}")
    kind, word = tokens[0]
    if kind != "word":
        raise FilterError(f"{where} must start with a field name, not '{word}': {HOW}")
    rest = tokens[1:]
    if word.casefold() == "attribute":
        if not rest or rest[0][0] not in ("word", "quoted"):
            raise FilterError(f"{where}: name the attribute after 'attribute', e.g. attribute WEBSHOP = 1")
        field, attribute, rest = "attribute", rest[0][1].strip(), rest[1:]
        if not attribute:
            raise FilterError(f"{where}: the attribute name is empty")
    else:
        field = FIELDS.get(word.casefold())
        if field is None:
            known = ", ".join([*FIELDS.values(), "attribute <NAME>"])
            raise FilterError(f"{where}: unknown field '{word}'; the fields are {known}")
        attribute = ""
    if not rest or not (rest[0][0] == "op" or (rest[0][0] == "word" and rest[0][1].casefold() == "in")):
        raise FilterError(f"{where} ({word}): an operator =, != or in must follow the field: {HOW}")
    op = rest[0][1].casefold()
    values = rest[1:]
    if not values:
        raise FilterError(f"{where} ({word} {op}): the value is missing: {HOW}")
    if values[0][0] == "op":
        raise FilterError(f"{where} ({word}): write one operator (=, != or in), not '{op} {values[0][1]}'")
    if any(kind == "word" and value.casefold() == "or" for kind, value in values):
        raise FilterError(
            f"{where} ({word} {op}): 'or' is not part of the filter; list the values with in, "
            f"e.g. {word} in A, B (put a value holding the word or in double quotes)"
        )
    if op == "in":
        items = _list_items(values)
        if any(not v for v in items):
            raise FilterError(f"{where} ({word} in): the list has an empty entry; separate values by commas")
        return Condition(field, attribute, op, items)
    if len(values) > 1:
        shown = " ".join(v for _, v in values)
        raise FilterError(
            f'{where} ({word} {op}): one value expected, got "{shown}"; put a value with blanks in double quotes'
        )
    return Condition(field, attribute, op, (values[0][1],))


def _list_items(values: list[tuple[str, str]]) -> tuple[str, ...]:
    """The entries of an `in` list: commas separate them, except inside double quotes; one pair of
    parentheses around the whole list is allowed (`status in (Active, NoSales)`)."""
    values = list(values)
    if values[0][0] == "word" and values[-1][0] == "word":
        first, last = values[0][1], values[-1][1]
        if first.startswith("(") and last.endswith(")"):
            if len(values) == 1:
                values[0] = ("word", first[1:-1])
            else:
                values[0], values[-1] = ("word", first[1:]), ("word", last[:-1])
    items: list[str] = []
    current: list[str] = []
    for kind, value in values:
        if kind == "quoted":
            current.append(value)
            continue
        pieces = value.split(",")
        current.append(pieces[0])
        for piece in pieces[1:]:
            items.append(" ".join(part for part in current if part).strip())
            current = [piece]
    items.append(" ".join(part for part in current if part).strip())
    return tuple(items)


def filter_parse(text: str) -> ProductFilter:
    """The filter of `text` (blank: no condition). FilterError naming the condition and what is wrong."""
    if not (text or "").strip():
        return ProductFilter()
    tokens = _tokens(text)
    conditions, current = [], []
    for token in tokens:
        if token[0] == "word" and token[1].casefold() == "and":
            conditions.append(_condition(current, len(conditions) + 1))
            current = []
        else:
            current.append(token)
    conditions.append(_condition(current, len(conditions) + 1))
    return ProductFilter(tuple(conditions))


def filter_problem(text: str) -> str:
    """Why `text` is not a valid product filter ("" when it is)."""
    try:
        filter_parse(text)
    except FilterError as exc:
        return str(exc)
    return ""


def filter_of(integration) -> ProductFilter:
    """The integration's product filter; ApplicationError (the run stops, saying why) when it cannot be read."""
    try:
        return filter_parse(integration.product_filter)
    except FilterError as exc:
        raise ApplicationError(
            f"{integration}: the product filter cannot be used ({exc}). Correct it on the integration."
        ) from exc


def item_skipped(erp_item: ErpItem, item_filter: ProductFilter, *, not_stock: str) -> Outcome | None:
    """The "skipped" Outcome of an item a catalogue flow does not send, or None when it is sent.

    An item that is no stock item is skipped with "<number> is not a stock item: <not_stock>."; one the
    integration's product filter turns down, with the first condition it fails."""
    if not erp_item.is_stock:
        return Outcome(status="skipped", message=f"{erp_item.number} is not a stock item: {not_stock}.")
    failing = item_filter.first_failing(erp_item)
    if failing is not None:
        return Outcome(
            status="skipped",
            message=f"Item {erp_item.number} does not match the integration's product filter ({failing}).",
        )
    return None
