"""The demo company in the Fortnox emulator: the same Swedish web shop as in the Visma.net demo.

`seed()` is idempotent: it creates what is missing and leaves what exists as it is (stock,
prices and numbers changed during a demo survive a re-run). Articles are the Visma.net demo's
items (the Centra demo shop's SKUs, product-colour-size) with the same stock split over two
stock points (warehouse module), plus the non-stock shipping articles. The chart of accounts
is BAS: sales per Swedish rate (3001/3002/3003), EU distance sales (OSS, 3106), EU reverse
charge (3108), export (3105), rounding (3740), payment-provider fees (6064), bank (1930).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from integrations.sandbox import store
from integrations.visma_net.demo_data import (
    NON_STOCK_ITEMS,
    OSS_RATES,
    RATE_HISTORIES,
    REDUCED_CATEGORIES,
    XI_RATE,
    stock_items,
)

from . import sandbox
from .oauth_sandbox import client_register

DEMO_CLIENT_ID = "koppla-fortnox-demo"
DEMO_CLIENT_SECRET = "koppla-fortnox-demo-secret"

ACCOUNTS = [
    (1510, "Kundfordringar"),
    (1580, "Fordringar på betaltjänstleverantörer"),
    (1581, "Klarna avräkning"),
    (1582, "Adyen avräkning"),
    (1583, "Stripe avräkning"),
    (1584, "PayPal avräkning"),
    (1930, "Företagskonto"),
    (2611, "Utgående moms på försäljning inom Sverige, 25 %"),
    (2614, "Utgående moms, OSS (försäljning till andra EU-länder)"),
    (2621, "Utgående moms på försäljning inom Sverige, 12 %"),
    (2631, "Utgående moms på försäljning inom Sverige, 6 %"),
    (3001, "Försäljning inom Sverige, 25 % moms"),
    (3002, "Försäljning inom Sverige, 12 % moms"),
    (3003, "Försäljning inom Sverige, 6 % moms"),
    (3105, "Försäljning varor till land utanför EU"),
    (3106, "Försäljning varor till annat EU-land, momspliktig (OSS)"),
    (3108, "Försäljning varor till annat EU-land, momsfri (omvänd skattskyldighet)"),
    (3231, "Försäljning inom byggsektorn, omvänd skattskyldighet"),
    (3520, "Fakturerade frakter"),
    (3540, "Faktureringsavgifter"),
    (3740, "Öres- och kronutjämning"),
    (6064, "Factoringavgifter / betaltjänstavgifter"),
]
VAT_CODES = {3001: "MP1", 3002: "MP2", 3003: "MP3", 3105: "E", 3108: "VTEU", 2611: "UTM25", 2621: "UTM12", 2631: "UTM6"}
# (code, description, SEK per unit): the company's currency table (sell rates of the demo)
CURRENCIES = [
    ("SEK", "Svensk krona", Decimal("1")),
    ("EUR", "Euro", Decimal("11.50")),
    ("NOK", "Norsk krona", Decimal("1.02")),
    ("DKK", "Dansk krona", Decimal("1.54")),
    ("GBP", "Brittiskt pund", Decimal("13.40")),
    ("USD", "US-dollar", Decimal("10.60")),
]
STOCK_POINTS = ("MAIN", "STORE")
FIRST_YEAR, LAST_YEAR = 2020, 2030
# (customer number, fields): a few customers of each VAT type
CUSTOMERS = [
    (
        "1",
        {
            "Name": "Anna Andersson",
            "Type": "PRIVATE",
            "VATType": "SEVAT",
            "Email": "anna.andersson@example.se",
            "Address1": "Storgatan 1",
            "ZipCode": "111 22",
            "City": "Stockholm",
            "CountryCode": "SE",
        },
    ),
    (
        "2",
        {
            "Name": "Nordisk Design AB",
            "Type": "COMPANY",
            "VATType": "SEVAT",
            "Email": "inkop@nordiskdesign.example",
            "OrganisationNumber": "556677-8899",
            "Address1": "Hamngatan 5",
            "ZipCode": "411 06",
            "City": "Göteborg",
            "CountryCode": "SE",
        },
    ),
    (
        "3",
        {
            "Name": "Kaufhaus Berlin GmbH",
            "Type": "COMPANY",
            "VATType": "EUREVERSEDVAT",
            "Email": "einkauf@kaufhaus-berlin.example",
            "VATNumber": "DE123456789",
            "Address1": "Friedrichstraße 10",
            "ZipCode": "10117",
            "City": "Berlin",
            "CountryCode": "DE",
            "Currency": "EUR",
            "SalesAccount": "3108",
        },
    ),
    (
        "4",
        {
            "Name": "Matti Virtanen",
            "Type": "PRIVATE",
            "VATType": "EUVAT",
            "Email": "matti.virtanen@example.fi",
            "Address1": "Mannerheimintie 3",
            "ZipCode": "00100",
            "City": "Helsinki",
            "CountryCode": "FI",
            "Currency": "EUR",
            "SalesAccount": "3106",
        },
    ),
    (
        "5",
        {
            "Name": "Oslo Outfitters AS",
            "Type": "COMPANY",
            "VATType": "EXPORT",
            "Email": "orders@oslo-outfitters.example",
            "Address1": "Karl Johans gate 7",
            "ZipCode": "0154",
            "City": "Oslo",
            "CountryCode": "NO",
            "Currency": "NOK",
            "SalesAccount": "3105",
        },
    ),
]
# Rates of the demo shop's reduced classes, by product number (children's clothes are 25 % in Sweden).
ARTICLE_VAT = {"3001": Decimal("6"), "4001": Decimal("12")}


def vat_rates() -> set[Decimal]:
    """Every VAT rate the company knows: Swedish rates, 0, and the OSS rates (standard, reduced and historic)."""
    rates = {Decimal(25), Decimal(12), Decimal(6), Decimal(0), XI_RATE, *OSS_RATES.values()}
    rates |= {rate for _category, _description, rate, _account in REDUCED_CATEGORIES}
    rates |= {rate for history in RATE_HISTORIES.values() for _start, rate in history}
    return rates


def _ensure(kind: str, key, create: Callable[[], object], created: dict[str, int]) -> None:
    if store.obj_get(sandbox.SYSTEM, kind, key) is None:
        create()
        created[kind] = created.get(kind, 0) + 1


def seed() -> dict[str, int]:
    """Create the demo company's accounts, currencies, VAT rates, years, articles, stock and customers where
    missing, and register the demo OAuth client; returns counts created per kind."""
    created: dict[str, int] = {}
    client_register(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    for number, description in ACCOUNTS:
        _ensure(
            sandbox.ACCOUNT,
            number,
            lambda n=number, d=description: sandbox.account_put(n, d, vat_code=VAT_CODES.get(n, "")),
            created,
        )
    for code, description, rate in CURRENCIES:
        _ensure(sandbox.CURRENCY, code, lambda c=code, d=description, r=rate: sandbox.currency_put(c, d, r), created)
    for rate in vat_rates():
        _ensure(sandbox.VAT_RATE, sandbox.rate_key(rate), lambda r=rate: sandbox.vat_rate_put(r), created)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        year_id = year - FIRST_YEAR + 1
        _ensure(
            sandbox.FINANCIAL_YEAR,
            year_id,
            lambda i=year_id, y=year: sandbox.financial_year_put(i, date(y, 1, 1), date(y, 12, 31)),
            created,
        )
    for number, description, price in NON_STOCK_ITEMS:
        _ensure(
            sandbox.ARTICLE,
            number,
            lambda n=number, d=description, p=price: sandbox.article_put(n, d, price=p, stock_goods=False),
            created,
        )
    for item in stock_items():
        product = item["number"].split("-")[0]

        def create(i=item, product=product):
            sandbox.article_put(
                i["number"], i["description"], price=i["price"], vat=ARTICLE_VAT.get(product, Decimal(25)), ean=i["ean"]
            )
            for point, quantity in i["available"].items():
                sandbox.stock_set(i["number"], point, Decimal(quantity))

        _ensure(sandbox.ARTICLE, item["number"], create, created)
    for number, fields in CUSTOMERS:
        _ensure(
            sandbox.CUSTOMER,
            number,
            lambda n=number, f=fields: sandbox.customer_create({**f, "CustomerNumber": n}),
            created,
        )
    return created
