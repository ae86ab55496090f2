"""The demo company in the Visma.net emulator: a Swedish web shop selling clothes across the EU.

`seed()` is idempotent: it creates what is missing and leaves what exists as it
is (so stock, prices and numbers changed during a demo survive a re-run).
The ids match the demo mapping files in mappings/fixtures/ (customer classes,
EU tax zones, payment methods and terms, shipping items, SKU rule
`segment:1 / segment:2 / segment:3` with separator "-").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
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

# Northern Ireland (goods, Windsor Framework): EU distance sales taxed at the UK rate, declared in the OSS as "XI".
XI_RATE = Decimal("20")

# Reduced rates the demo shop charges (mappings/fixtures/demo/vat_rates.csv books them to these categories):
# (VAT category, description, rate, sales account or "" for the tax zone's). Rates as of 2026.
REDUCED_CATEGORIES: list[tuple[str, str, Decimal, str]] = [
    ("SE12", "Sweden 12 %", Decimal("12"), "3002"),
    ("SE6", "Sweden 6 %", Decimal("6"), "3003"),
    ("OSS-BE6", "OSS BE 6 %", Decimal("6"), ""),
    ("OSS-DE7", "OSS DE 7 %", Decimal("7"), ""),
    ("OSS-ES4", "OSS ES 4 %", Decimal("4"), ""),
    ("OSS-FR5.5", "OSS FR 5.5 %", Decimal("5.5"), ""),
    ("OSS-IE0", "OSS IE 0 %", Decimal("0"), ""),
    ("OSS-IT4", "OSS IT 4 %", Decimal("4"), ""),
    ("OSS-NL9", "OSS NL 9 %", Decimal("9"), ""),
    ("OSS-AT10", "OSS AT 10 %", Decimal("10"), ""),
    ("OSS-PL5", "OSS PL 5 %", Decimal("5"), ""),
]

VAT_CATEGORIES = [
    ("SE25", "Sweden 25 %", Decimal("25"), False),
    ("RC0", "EU reverse charge 0 %", Decimal("0"), True),
    ("EXP0", "Export outside the EU 0 %", Decimal("0"), False),
    *((f"OSS-{cc}", f"OSS {cc} {rate} %", rate, False) for cc, rate in OSS_RATES.items()),
    ("OSS-XI", f"OSS XI Northern Ireland {XI_RATE} %", XI_RATE, False),
    *((category, description, rate, False) for category, description, rate, _account in REDUCED_CATEGORIES),
]
# The category of what is outside the scope of VAT (a VAT of type ExemptVat, rate 0): the öre rounding of a
# shop that rounds what its customers pay to whole kronor (VismaNetErp books lines without VAT under it).
EXEMPT_CATEGORY = ("EXEMPT", "Outside the scope of VAT (öre rounding)")
# The output VAT account of a category (its VAT's glAccounts.vatPayableAccount) where it is not 2611.
PAYABLE_ACCOUNTS = {"SE12": "2621", "SE6": "2631"}
# Rate changes of the demo categories: category → ((start date, rate), ...) ascending; the first rate applies
# from 2000-01-01 (before anything in the demo). Categories not listed keep the rate of VAT_CATEGORIES.
RATE_HISTORIES: dict[str, tuple[tuple[str, Decimal], ...]] = {
    "OSS-EE": (("2000-01-01", Decimal("20")), ("2024-01-01", Decimal("22")), ("2025-07-01", Decimal("24"))),
    "OSS-FI": (("2000-01-01", Decimal("24")), ("2024-09-01", Decimal("25.5"))),
    "OSS-SK": (("2000-01-01", Decimal("20")), ("2025-01-01", Decimal("23"))),
    "OSS-RO": (("2000-01-01", Decimal("19")), ("2025-08-01", Decimal("21"))),
}
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
    ("2611", "Output VAT on sales", "Liability", False),
    ("2621", "Output VAT on sales, 12 %", "Liability", False),
    ("2631", "Output VAT on sales, 6 %", "Liability", False),
    ("3001", "Sales of goods, Sweden 25 %", "Income", False),
    ("3002", "Sales of goods, Sweden 12 %", "Income", False),
    ("3003", "Sales of goods, Sweden 6 %", "Income", False),
    ("3105", "Sales of goods, export outside the EU", "Income", False),
    ("3106", "Sales of goods, EU distance sales (OSS)", "Income", False),
    ("3108", "Sales of goods to other EU countries (reverse charge)", "Income", False),
    ("3740", "Rounding differences", "Income", False),
    ("6064", "Payment provider fees", "Expense", False),
]
# (currency, description, symbol, decimals): the company's currency table (GET /v1/currency decimalPrecision);
# the sandbox rounds a document's figures to its currency's decimals (ISO 4217 minor unit for any other).
CURRENCIES = [
    ("SEK", "Swedish krona", "kr", 2),
    ("EUR", "Euro", "€", 2),
    ("NOK", "Norwegian krone", "kr", 2),
    ("DKK", "Danish krone", "kr", 2),
    ("GBP", "Pound sterling", "£", 2),
    ("JPY", "Japanese yen", "¥", 0),
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
    ("SOORDER", "Sales orders", "400000", "499999"),
    ("GLBATCH", "Journal transactions", "500000", "599999"),
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
    ("2001", "Kids' merino T-shirt", "Merino wool", Decimal("249"), ("BLU",), ("2Y", "4Y", "6Y")),
    ("3001", "Knitting pattern book", "Paper", Decimal("299"), ("NAT",), ("OS",)),
    ("4001", "Organic rye crispbread", "Rye", Decimal("49"), ("NAT",), ("OS",)),
]
# Rate classes of the products that are not standard-rated clothing (the Centra demo shop's tax classes).
STANDARD, CHILDREN, BOOKS, FOOD = "standard", "children's clothes", "books", "food"
PRODUCT_RATE_CLASSES = {"2001": CHILDREN, "3001": BOOKS, "4001": FOOD}


def category_rate(category: str, on: date) -> Decimal:
    """The rate (percent) of a demo VAT category in force on a day (RATE_HISTORIES, else its only rate)."""
    history = RATE_HISTORIES.get(category)
    if history is None:
        return next(rate for c, _d, rate, _r in VAT_CATEGORIES if c == category)
    return [rate for start, rate in history if start <= on.isoformat()][-1]


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
    for currency, description, symbol, decimals in CURRENCIES:
        _ensure(
            sandbox.CURRENCY,
            currency,
            lambda c=currency, d=description, s=symbol, n=decimals: sandbox.currency_put(c, d, symbol=s, decimals=n),
            created,
        )
    for account, description, account_type, cash in ACCOUNTS:
        _ensure(
            sandbox.ACCOUNT,
            account,
            lambda a=account, d=description, t=account_type, c=cash: sandbox.account_put(a, d, account_type=t, cash=c),
            created,
        )
    for category_id, description, rate, reverse in VAT_CATEGORIES:
        _ensure(
            sandbox.VAT_CATEGORY,
            category_id,
            lambda c=category_id, d=description, r=rate, rv=reverse: sandbox.vat_category_put(
                c, d, r, reverse=rv, history=RATE_HISTORIES.get(c, ()), payable_account=PAYABLE_ACCOUNTS.get(c, "2611")
            ),
            created,
        )
    _ensure(
        sandbox.VAT_CATEGORY,
        EXEMPT_CATEGORY[0],
        lambda: sandbox.vat_category_put(*EXEMPT_CATEGORY, 0, exempt=True),
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
