from decimal import Decimal

import pytest

from sync.erp import ErpItem
from sync.flows.base import RecordFailed
from sync.flows.product_mapping import SkuRuleSpec, fields_to_send, products_group, sku_parts


def item(number, **kw):
    return ErpItem(number=number, description=kw.pop("description", f"Item {number}"), **kw)


def test_item_number_only():
    products, failures = products_group([item("A100"), item("A200")], SkuRuleSpec("inventoryNumber"))
    assert failures == {}
    assert set(products) == {"A100", "A200"}
    [variant] = products["A100"].variants.values()
    assert variant.variant == "" and [s.item_number for s in variant.sizes] == ["A100"]


def test_item_number_plus_attribute():
    rule = SkuRuleSpec("inventoryNumber", "attribute:COLOUR")
    parts = sku_parts(item("A100", attributes={"COLOUR": "Navy"}), rule)
    assert (parts.product, parts.variant, parts.size, parts.key) == ("A100", "Navy", "", "A100Navy")


def test_information5_and_information4_with_separator():
    rule = SkuRuleSpec("attribute:INFORMATION5", "attribute:INFORMATION4", "", "-")
    items = [
        item("X1", attributes={"INFORMATION5": "1001", "INFORMATION4": "BLK"}),
        item("X2", attributes={"INFORMATION5": "1001", "INFORMATION4": "NVY"}),
        item("X3", attributes={"INFORMATION5": "1002", "INFORMATION4": "BLK"}),
    ]
    products, failures = products_group(items, rule)
    assert failures == {}
    assert set(products) == {"1001", "1002"} and set(products["1001"].variants) == {"BLK", "NVY"}
    assert sku_parts(items[0], rule).key == "1001-BLK"


def test_segments_build_product_variant_size():
    rule = SkuRuleSpec("segment:1", "segment:2", "segment:3", "-")
    items = [item("1001-BLK-M"), item("1001-BLK-L"), item("1001-NVY-M")]
    products, _ = products_group(items, rule)
    product = products["1001"]
    assert [s.size for s in product.variants["BLK"].sizes] == ["M", "L"]
    assert sku_parts(items[0], rule).key == "1001-BLK-M"


def test_an_item_missing_a_field_fails_alone_with_its_name():
    rule = SkuRuleSpec("inventoryNumber", "attribute:COLOUR")
    products, failures = products_group([item("A1", attributes={"COLOUR": "Red"}), item("A2")], rule)
    assert set(products) == {"A1"}
    assert "Item A2" in failures["A2"] and "attribute COLOUR" in failures["A2"]
    with pytest.raises(RecordFailed, match="part 3 of the item number"):
        sku_parts(item("1001-BLK"), SkuRuleSpec("segment:1", "segment:2", "segment:3", "-"))


def test_two_items_with_one_sku_are_refused():
    rule = SkuRuleSpec("attribute:P")
    _, failures = products_group([item("A", attributes={"P": "1"}), item("B", attributes={"P": "1"})], rule)
    assert "same SKU 1 as item A" in failures["B"]


def test_only_ticked_fields_are_updated():
    desired = {"name": "New name", "description": "ERP text", "price": Decimal("99.00"), "ean": "123"}
    current = {"name": "Shop name", "description": "Enriched in the shop", "price": Decimal("89.00"), "ean": "123"}
    assert fields_to_send(current, desired, {"price"}) == {"price": Decimal("99.00")}
    assert fields_to_send(current, desired, {"name", "ean"}) == {"name": "New name"}
    assert fields_to_send(None, desired, set()) == desired
