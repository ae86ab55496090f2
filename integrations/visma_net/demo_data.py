"""The demo company in the Visma.net emulator: a Swedish web shop selling clothes across the EU.

`seed()` is idempotent: it creates what is missing and leaves what exists as it
is (so stock, prices and numbers changed during a demo survive a re-run).
The ids match the demo mapping files in mappings/fixtures/ (customer classes,
EU tax zones, payment methods and terms, shipping items, SKU rule
`segment:1 / segment:2 / segment:3` with separator "-").
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from integrations.sandbox import store

from . import sandbox

# Standard VAT rates of the EU member states other than Sweden, as of late 2026.
OSS_RATES: dict[str, Decimal] = {
    "AT": Decimal("20"),
    "BE": Decimal("21"),
    "BG": Decimal("20"),
    "HR": Decimal("25"),
    "CY": Decimal("19"),
    "CZ": Decimal("21"),
    "DK": Decimal("25"),
    "EE": Decimal("24"),
    "FI": Decimal("25.5"),
    "FR": Decimal("20"),
    "DE": Decimal("19"),
    "GR": Decimal("24"),
    "HU": Decimal("27"),
    "IE": Decimal("23"),
    "IT": Decimal("22"),
    "LV": Decimal("21"),
    "LT": Decimal("21"),
    "LU": Decimal("17"),
    "MT": Decimal("18"),
    "NL": Decimal("21"),
    "PL": Decimal("23"),
    "PT": Decimal("23"),
    "RO": Decimal("21"),
    "SK": Decimal("23"),
    "SI": Decimal("22"),
    "ES": Decimal("21"),
}

VAT_CATEGORIES = [
    ("SE25", "Sweden 25 %", Decimal("25"), False),
    ("RC0", "EU reverse charge 0 %", Decimal("0"), True),
    ("EXP0", "Export outside the EU 0 %", Decimal("0"), False),
    *((f"OSS-{cc}", f"OSS {cc} {rate} %", rate, False) for cc, rate in OSS_RATES.items()),
]
VAT_ZONES = [
    ("SE", "Sweden (domestic)", "SE25"),
    ("OSS", "EU B2C, One-Stop-Shop (VAT of the destination country)", ""),
    ("EURC", "EU B2B, reverse charge", "RC0"),
    ("EXPORT", "Outside the EU (export)", "EXP0"),
]
CUSTOMER_CLASSES = [
    ("DOMESTIC", "Customers in Sweden (domestic VAT)", "SE"),
    ("EUB2C", "Private persons in other EU countries (OSS)", "OSS"),
    ("EUB2B", "VAT-registered businesses in other EU countries (reverse charge)", "EURC"),
    ("EXPORT", "Customers outside the EU (export)", "EXPORT"),
]
ACCOUNTS = [
    ("1510", "Accounts receivable", "Asset", False),
    ("1580", "Receivables from payment providers", "Asset", True),
    ("1581", "Klarna settlement account", "Asset", True),
    ("1582", "Adyen settlement account", "Asset", True),
    ("1583", "Stripe settlement account", "Asset", True),
    ("1584", "PayPal settlement account", "Asset", True),
    ("1930", "Business bank account", "Asset", True),
    ("3001", "Sales of goods, Sweden 25 %", "Income", False),
    ("3105", "Sales of goods, export outside the EU", "Income", False),
    ("3106", "Sales of goods, EU distance sales (OSS)", "Income", False),
    ("3108", "Sales of goods to other EU countries (reverse charge)", "Income", False),
    ("3740", "Rounding differences", "Income", False),
    ("6064", "Payment provider fees", "Expense", False),
]
CASH_ACCOUNTS = [
    ("1580", "Payment providers (unallocated)"),
    ("1581", "Klarna"),
    ("1582", "Adyen"),
    ("1583", "Stripe"),
    ("1584", "PayPal"),
    ("1930", "Bank"),
]
# (payment method, description, cash account, means of payment): mappings/fixtures/demo/payment_methods.csv
PAYMENT_METHODS = [
    ("KLARNA", "Klarna Checkout", "1581", "CreditCard"),
    ("ADYEN", "Adyen cards", "1582", "CreditCard"),
    ("STRIPE", "Stripe Checkout", "1583", "CreditCard"),
    ("PAYPAL", "PayPal", "1584", "CreditCard"),
    ("INVOICE", "Invoice (bank transfer)", "1930", "DirectDeposit"),
]
CREDIT_TERMS = [("0", "Paid at checkout", 0), ("30", "30 days net", 30)]
REASON_CODES = [("PSPFEE", "Payment provider fee (written off to 6064)")]
NUMBERINGS = [
    ("CUSTOMER", "Customers", "10000", "19999"),
    ("ARINVOICE", "Customer invoices", "100000", "199999"),
    ("ARCREDITNO", "Customer credit notes", "200000", "299999"),
    ("ARPAYMENT", "Customer payments", "300000", "399999"),
]
NON_STOCK_ITEMS = [("FREIGHT", "Shipping", Decimal("59")), ("FREIGHT-EXP", "Express shipping", Decimal("149"))]

COLOURS = {
    "BLK": "Black",
    "WHT": "White",
    "BLU": "Blue",
    "GRY": "Grey",
    "NVY": "Navy",
    "BEI": "Beige",
    "NAT": "Natural",
    "YEL": "Yellow",
}
# product number, name, material, price (SEK incl. nothing: net), colours, sizes → 40 items
PRODUCTS = [
    ("1001", "Merino T-shirt", "Merino wool", Decimal("399"), ("BLK", "WHT"), ("S", "M", "L", "XL")),
    ("1002", "Linen shirt", "Linen", Decimal("699"), ("BLU", "WHT"), ("S", "M", "L", "XL")),
    ("1003", "Wool sweater", "Lambswool", Decimal("1199"), ("GRY", "NVY"), ("S", "M", "L", "XL")),
    ("1004", "Chino trousers", "Organic cotton", Decimal("899"), ("BEI", "BLK"), ("30", "32", "34", "36")),
    ("1005", "Canvas tote bag", "Cotton canvas", Decimal("249.50"), ("NAT", "BLK"), ("OS",)),
    ("1006", "Rain jacket", "Recycled polyester", Decimal("1499"), ("YEL", "BLK"), ("S", "M", "L")),
]


def ean13(body: str) -> str:
    """A valid EAN-13 for 12 digits (adds the check digit)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def stock_items() -> list[dict]:
    """The demo's stock items: product-colour-size, with attributes, stock in two warehouses and an EAN."""
    items = []
    for product, name, material, price, colours, sizes in PRODUCTS:
        for colour in colours:
            for size in sizes:
                index = len(items)
                number = f"{product}-{colour}-{size}"
                items.append(
                    {
                        "number": number,
                        "description": f"{name}, {COLOURS[colour].lower()}, {size}",
                        "price": price,
                        "available": {"MAIN": (index * 7) % 23, "STORE": index % 4},
                        "attributes": {
                            "PRODUCT": name,
                            "COLOR": COLOURS[colour],
                            "SIZE": size,
                            "MATERIAL": material,
                        },
                        "ean": ean13(f"735000{index + 1:06d}"),
                        "body": f"{name} in {material.lower()}.",
                    }
                )
    return items


def _ensure(kind: str, key: str, create: Callable[[], object], created: dict[str, int]) -> None:
    if store.obj_get(sandbox.SYSTEM, kind, key) is None:
        create()
        created[kind] = created.get(kind, 0) + 1


def seed() -> dict[str, int]:
    """Create the demo company's reference data, items and numberings where missing; returns counts created per kind."""
    created: dict[str, int] = {}
    for category_id, description, rate, reverse in VAT_CATEGORIES:
        _ensure(
            sandbox.VAT_CATEGORY,
            category_id,
            lambda c=category_id, d=description, r=rate, rv=reverse: sandbox.vat_category_put(c, d, r, reverse=rv),
            created,
        )
    for zone_id, description, default in VAT_ZONES:
        _ensure(
            sandbox.VAT_ZONE,
            zone_id,
            lambda z=zone_id, d=description, c=default: sandbox.vat_zone_put(z, d, default_category=c),
            created,
        )
    for class_id, description, zone in CUSTOMER_CLASSES:
        _ensure(
            sandbox.CUSTOMER_CLASS,
            class_id,
            lambda c=class_id, d=description, z=zone: sandbox.customer_class_put(c, d, vat_zone=z),
            created,
        )
    for account, description, account_type, cash in ACCOUNTS:
        _ensure(
            sandbox.ACCOUNT,
            account,
            lambda a=account, d=description, t=account_type, c=cash: sandbox.account_put(a, d, account_type=t, cash=c),
            created,
        )
    for account, description in CASH_ACCOUNTS:
        _ensure(sandbox.CASH_ACCOUNT, account, lambda a=account, d=description: sandbox.cash_account_put(a, d), created)
    for method, description, cash, means in PAYMENT_METHODS:
        _ensure(
            sandbox.PAYMENT_METHOD,
            method,
            lambda m=method, d=description, c=cash, mp=means: sandbox.payment_method_put(
                m, d, cash_account=c, means=mp
            ),
            created,
        )
    for terms, description, days in CREDIT_TERMS:
        _ensure(
            sandbox.CREDIT_TERM,
            terms,
            lambda t=terms, d=description, n=days: sandbox.credit_term_put(t, d, days=n),
            created,
        )
    for code, description in REASON_CODES:
        _ensure(sandbox.REASON_CODE, code, lambda c=code, d=description: sandbox.reason_code_put(c, d), created)
    for numbering_id, description, start, end in NUMBERINGS:
        _ensure(
            sandbox.NUMBERING,
            numbering_id,
            lambda n=numbering_id, d=description, s=start, e=end: sandbox.numbering_put(n, d, start=s, end=e),
            created,
        )
    for number, description, price in NON_STOCK_ITEMS:
        _ensure(
            sandbox.INVENTORY,
            number,
            lambda n=number, d=description, p=price: sandbox.inventory_item_put(n, d, price=p, stock=False),
            created,
        )
    for item in stock_items():
        _ensure(
            sandbox.INVENTORY,
            item["number"],
            lambda i=item: sandbox.inventory_item_put(
                i["number"],
                i["description"],
                price=i["price"],
                available=i["available"],
                attributes=i["attributes"],
                ean=i["ean"],
                body=i["body"],
            ),
            created,
        )
    return created
