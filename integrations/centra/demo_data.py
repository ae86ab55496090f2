"""The demo shop in the Centra emulator: a Swedish clothing brand selling across Europe and beyond.

`seed(orders=320, seed=2026)` is deterministic for a given day (random.Random(seed);
times fall in the 60 days before `today`) and idempotent: orders, returns and
customers that exist are left as they are.

What the data shows (the demo's story):
- Direct-to-consumer orders (store Retail, prices including VAT) from Sweden
  (25 %, SEK), eleven other EU countries at their own VAT rate (One-Stop-Shop;
  EUR or DKK) and exports to Norway, Switzerland, the UK and the US (0 %;
  NOK, EUR, GBP).
- Wholesale orders (store Wholesale, prices excluding VAT, payment `invoice`)
  from companies with well-formed VAT numbers: reverse charge at 0 % in six
  EU countries, Swedish VAT added for Swedish companies, 0 % export to Norway.
- Every line's taxPercent is the rate the demo mappings imply for its item's
  rate class (standard clothing, children's clothes, books, food) at the
  destination on the order date: the shop's territories (Monaco taxed as
  France, Northern Ireland BT postcodes as XI, the Canary Islands exported),
  then the tax-zone mapping (mappings/fixtures/eu_tax_zones.csv) → VAT
  category, or for a reduced-rate class in a taxed sale the shop's reduced
  category (REDUCED_CLASSES, booked by mappings/fixtures/demo/vat_rates.csv;
  the standard rate where the country has no reduced row) → its rate in force
  that day at the Visma.net demo company (rate histories included). B2B
  reverse charge and exports are 0 %. Some retail orders add one reduced-rate
  item, so they mix rates.
- The order's VAT is computed as a shop does (shop_vat): per rate group,
  round(group gross × r / (100 + r)) (prices including VAT) or
  round(group net × r / 100) (wholesale, excluding VAT) to the currency's
  decimals, summed; the shipping goes into the rate groups (see shop_vat).
  The per-rate figures are in the order's private keys `_vatByRate` and
  `_shippingByRate` (stripped from what the API returns).
- Named orders (NAMED_ORDERS, numbers from 29001, after the generated ones)
  show the special cases: mixed rates in Sweden, Germany and Ireland, a
  Northern Ireland consumer and business, Monaco, the Canary Islands and an
  order paid in yen; two named returns (a partial one of a mixed-rate order).
- Payment methods and shipping options are the keys of the demo mapping files,
  except for exactly three Swedish orders paid with `swish`: a payment method
  with no mapping, the failure an operator fixes in the demo.
- SKUs are the Visma.net demo item numbers (e.g. 1001-BLK-M), with product
  number, variant number and size number as the SKU rule's segments. The
  catalog itself is not in Centra at the start: the products flow creates it.
- Money adds up to the currency's smallest unit (mappings/fixtures/demo/currencies.csv
  decimals: JPY 0): unitPrice × quantity = lineValue; grandTotal =
  Σ lineValue + shipping (+ taxAdded on wholesale orders).
- Returns on shipped retail orders: some partial, some full with the shipping.
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from integrations.sandbox.models import SandboxObject
from integrations.visma_net.demo_data import (
    BOOKS,
    CHILDREN,
    COLOURS,
    FOOD,
    PRODUCT_RATE_CLASSES,
    PRODUCTS,
    STANDARD,
    VAT_CATEGORIES,
    category_rate,
)

from . import sandbox

DEMO_API_TOKEN = "centra-demo-token-7c41"
FIXTURES = Path(__file__).resolve().parents[2] / "mappings" / "fixtures"
TAX_ZONES_CSV = FIXTURES / "eu_tax_zones.csv"
VAT_RATES_CSV = FIXTURES / "demo" / "vat_rates.csv"
CURRENCIES_CSV = FIXTURES / "demo" / "currencies.csv"
CENT = Decimal("0.01")
HOME = "SE"
FIRST_ORDER_NUMBER = 20001
DAYS = 60

# Ids of catalog objects the seeded order lines point at. The catalog is not in the
# emulator at the start; these ids are far above the ones the API will hand out.
PRODUCT_ID_BASE = 90000
VARIANT_ID_BASE = 91000
SIZE_ID_BASE = 92000

# country → (currency, first names, last names, cities with postcodes, phone prefix)
RETAIL_COUNTRIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...], str]] = {
    "SE": (
        "SEK",
        ("Anna", "Erik", "Maja", "Lars", "Elsa", "Johan", "Sara", "Oskar", "Ingrid", "Nils"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Lindqvist", "Berg", "Holm", "Sandberg"),
        (
            ("Stockholm", "114 55"),
            ("Göteborg", "411 06"),
            ("Malmö", "211 20"),
            ("Uppsala", "753 20"),
            ("Umeå", "903 26"),
        ),
        "+46",
    ),
    "DE": (
        "EUR",
        ("Lena", "Jonas", "Mia", "Felix", "Hannah", "Paul"),
        ("Müller", "Schmidt", "Fischer", "Weber", "Wagner"),
        (("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331"), ("Köln", "50667")),
        "+49",
    ),
    "FR": (
        "EUR",
        ("Camille", "Louis", "Chloé", "Hugo", "Léa"),
        ("Martin", "Bernard", "Dubois", "Moreau"),
        (("Paris", "75003"), ("Lyon", "69002"), ("Nantes", "44000")),
        "+33",
    ),
    "NL": (
        "EUR",
        ("Sanne", "Daan", "Emma", "Luuk"),
        ("de Jong", "Jansen", "Visser", "Bakker"),
        (("Amsterdam", "1012 AB"), ("Utrecht", "3511 AA"), ("Rotterdam", "3011 AD")),
        "+31",
    ),
    "FI": (
        "EUR",
        ("Aino", "Eino", "Helmi", "Väinö"),
        ("Korhonen", "Virtanen", "Mäkinen"),
        (("Helsinki", "00100"), ("Tampere", "33100"), ("Turku", "20100")),
        "+358",
    ),
    "DK": (
        "DKK",
        ("Freja", "William", "Ida", "Magnus"),
        ("Jensen", "Nielsen", "Hansen", "Pedersen"),
        (("København", "1050"), ("Aarhus", "8000"), ("Odense", "5000")),
        "+45",
    ),
    "IT": (
        "EUR",
        ("Giulia", "Marco", "Sofia", "Luca"),
        ("Rossi", "Russo", "Ferrari", "Bianchi"),
        (("Milano", "20121"), ("Roma", "00184"), ("Torino", "10121")),
        "+39",
    ),
    "ES": (
        "EUR",
        ("Lucía", "Pablo", "Carmen", "Javier"),
        ("García", "Fernández", "López", "Martínez"),
        (("Madrid", "28013"), ("Barcelona", "08002"), ("Valencia", "46001")),
        "+34",
    ),
    "AT": (
        "EUR",
        ("Anna", "Lukas", "Laura", "Tobias"),
        ("Gruber", "Huber", "Bauer"),
        (("Wien", "1010"), ("Graz", "8010"), ("Salzburg", "5020")),
        "+43",
    ),
    "BE": (
        "EUR",
        ("Louise", "Arthur", "Marie", "Noah"),
        ("Peeters", "Janssens", "Maes"),
        (("Bruxelles", "1000"), ("Antwerpen", "2000"), ("Gent", "9000")),
        "+32",
    ),
    "IE": (
        "EUR",
        ("Aoife", "Conor", "Niamh", "Sean"),
        ("Murphy", "Kelly", "O'Brien", "Walsh"),
        (("Dublin", "D02 X285"), ("Cork", "T12 W8YT"), ("Galway", "H91 E2K3")),
        "+353",
    ),
    "PL": (
        "EUR",
        ("Zofia", "Jakub", "Maja", "Antoni"),
        ("Nowak", "Kowalski", "Wiśniewski"),
        (("Warszawa", "00-001"), ("Kraków", "30-001"), ("Gdańsk", "80-001")),
        "+48",
    ),
    "NO": (
        "NOK",
        ("Ingrid", "Jakob", "Nora", "Emil"),
        ("Hansen", "Johansen", "Olsen", "Larsen"),
        (("Oslo", "0150"), ("Bergen", "5003"), ("Trondheim", "7011")),
        "+47",
    ),
    "CH": (
        "EUR",
        ("Lea", "Noah", "Mila", "Luca"),
        ("Müller", "Meier", "Schmid", "Keller"),
        (("Zürich", "8001"), ("Basel", "4051"), ("Bern", "3011")),
        "+41",
    ),
    "GB": (
        "GBP",
        ("Olivia", "George", "Amelia", "Harry"),
        ("Smith", "Jones", "Taylor", "Brown"),
        (("London", "EC1A 1BB"), ("Manchester", "M1 1AE"), ("Bristol", "BS1 4DJ")),
        "+44",
    ),
    "US": (
        "EUR",
        ("Emily", "Michael", "Sarah", "David"),
        ("Miller", "Davis", "Wilson", "Moore"),
        (("New York", "10001"), ("Portland", "97205"), ("Seattle", "98101")),
        "+1",
    ),
}
# Share of retail orders per country (weights).
RETAIL_WEIGHTS = {
    "SE": 36,
    "DE": 10,
    "FR": 6,
    "NL": 6,
    "FI": 6,
    "DK": 6,
    "IT": 4,
    "ES": 4,
    "AT": 3,
    "BE": 3,
    "IE": 2,
    "PL": 2,
    "NO": 5,
    "CH": 2,
    "GB": 3,
    "US": 2,
}

# Wholesale accounts: (account id, company, country, currency, VAT number, buyer first, last, city, postcode)
WHOLESALE_ACCOUNTS = [
    ("501", "Nordlicht Mode GmbH", "DE", "EUR", "DE811907980", "Katrin", "Vogel", "Hamburg", "20095"),
    ("502", "Berliner Stoffe GmbH", "DE", "EUR", "DE129273398", "Stefan", "Krüger", "Berlin", "10117"),
    ("503", "Grachten Kleding B.V.", "NL", "EUR", "NL859048134B01", "Pieter", "van Dijk", "Amsterdam", "1015 CJ"),
    ("504", "Maison Lin SARL", "FR", "EUR", "FR40303265045", "Élodie", "Lefèvre", "Lyon", "69001"),
    ("505", "Fjord Tøj ApS", "DK", "DKK", "DK13585628", "Mette", "Kristensen", "Aarhus", "8000"),
    ("506", "Sisu Vaatetus Oy", "FI", "EUR", "FI20774740", "Mikko", "Laine", "Tampere", "33100"),
    ("507", "Alpen Textil GmbH", "AT", "EUR", "ATU13585627", "Johanna", "Egger", "Innsbruck", "6020"),
    ("508", "Skärgårdens Kläder AB", "SE", "SEK", "SE556677889901", "Karin", "Öberg", "Visby", "621 55"),
    ("509", "Bergen Butikk AS", "NO", "NOK", "NO923456783MVA", "Sindre", "Haugen", "Bergen", "5014"),
]

RETAIL_PAYMENTS = [
    ("klarna-checkout", "kco3", 40),
    ("adyen-drop-in", "adyen-drop-in", 30),
    ("stripe-checkout", "stripe-checkout", 15),
    ("paypal-commerce", "paypal-commerce", 15),
]
SWISH = ("swish", "swish")
SHIPPING_OPTIONS = {"standard": ("1", "Standard delivery"), "express": ("2", "Express delivery")}
# Retail shipping prices (VAT included) per currency; free standard shipping above the threshold.
SHIPPING_PRICES = {
    "SEK": (Decimal("59"), Decimal("149"), Decimal("4000")),
    "EUR": (Decimal("5.95"), Decimal("14.95"), Decimal("400")),
    "NOK": (Decimal("69"), Decimal("169"), Decimal("4000")),
    "DKK": (Decimal("39"), Decimal("99"), Decimal("2800")),
    "GBP": (Decimal("4.95"), Decimal("12.95"), Decimal("320")),
}
WHOLESALE_FREIGHT = {"SEK": Decimal("450"), "EUR": Decimal("45"), "NOK": Decimal("490"), "DKK": Decimal("340")}
DISCOUNTS = [
    ("Spring sale", "SPRING10", Decimal("10")),
    ("Members", "MEMBER15", Decimal("15")),
    ("Outlet", "OUTLET20", Decimal("20")),
]


# --------------------------------------------------------------------------- VAT, as the demo mapping says
# The shop's tax setup for places taxed elsewhere than their country code says: (country, postcode prefix) →
# taxed as (ISO code or XI) or EXPORT (outside the EU VAT area). The same places as the standard list
# mappings/fixtures/vat_territories.csv (Council Directive 2006/112/EC Art. 6 and 7; Windsor Framework).
SHOP_TERRITORIES: dict[tuple[str, str], str] = {
    ("MC", ""): "FR",
    ("GB", "BT"): "XI",
    ("ES", "35"): "EXPORT",
    ("ES", "38"): "EXPORT",
}

# The shop's reduced rates: (tax country, rate class) → ((from date, VAT category), ...) ascending. The shop
# charges the category's rate (Visma.net demo company) on the order date; demo/vat_rates.csv books that rate
# to the category. A class with no entry is charged the standard rate (Denmark has no reduced rates at all;
# the demo keeps Finland's reduced rates out and sends no books or food there).
_SE_FOOD = (("2000-01-01", "SE12"), ("2026-04-01", "SE6"), ("2028-01-01", "SE12"))  # food 6 % 2026-04 → 2027-12
REDUCED_CLASSES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("SE", BOOKS): (("2000-01-01", "SE6"),),
    ("SE", FOOD): _SE_FOOD,
    ("AT", BOOKS): (("2000-01-01", "OSS-AT10"),),
    **{
        (cc, c): (("2000-01-01", f"OSS-{cc}{rate}"),)
        for cc, rate in (("BE", 6), ("DE", 7), ("NL", 9), ("PL", 5))
        for c in (BOOKS, FOOD)
    },
    ("ES", BOOKS): (("2000-01-01", "OSS-ES4"),),
    ("FR", BOOKS): (("2000-01-01", "OSS-FR5.5"),),
    ("FR", FOOD): (("2000-01-01", "OSS-FR5.5"),),
    **{("IE", c): (("2000-01-01", "OSS-IE0"),) for c in (BOOKS, FOOD, CHILDREN)},
    ("IT", BOOKS): (("2000-01-01", "OSS-IT4"),),
}
NO_REDUCED_RATES = {"DK"}


def category_rates() -> dict[str, Decimal]:
    """VAT category → current rate (percent) of the Visma.net demo company."""
    return {category: rate for category, _description, rate, _reverse in VAT_CATEGORIES}


def tax_zone_categories() -> dict[tuple[str, str], str]:
    """(country or '*', B2B|B2C) → VAT category, from the demo tax-zone mapping file."""
    with TAX_ZONES_CSV.open(encoding="utf-8") as handle:
        return {(row["country"], row["customer_type"]): row["vat_category"] for row in csv.DictReader(handle)}


def vat_rate_rows() -> dict[tuple[str, Decimal], str]:
    """(country, rate) → VAT category, from the demo VAT-rate mapping file (reduced rates)."""
    with VAT_RATES_CSV.open(encoding="utf-8") as handle:
        return {(row["country"], Decimal(row["rate"])): row["vat_category"] for row in csv.DictReader(handle)}


def currency_decimals(currency: str) -> int:
    """Decimals of a shop currency, from the demo currency mapping file (JPY 0, the others 2)."""
    with CURRENCIES_CSV.open(encoding="utf-8") as handle:
        return next(int(row["decimals"]) for row in csv.DictReader(handle) if row["shop_currency"] == currency)


def tax_country(country: str, postcode: str = "") -> str:
    """Where a delivery is taxed: the shop territory with the longest matching postcode prefix, else the country."""
    plain = re.sub(r"[\s-]", "", postcode.upper())
    matches = [
        (prefix, to) for (cc, prefix), to in SHOP_TERRITORIES.items() if cc == country and plain.startswith(prefix)
    ]
    return max(matches)[1] if matches else country


def vat_category(country: str, customer_type: str, rate_class: str = STANDARD, on: date | None = None) -> str:
    """The VAT category whose rate the shop charges: reduced class in a taxed sale, else the tax zone's."""
    zones = tax_zone_categories()
    category = zones.get((country, customer_type)) or zones[("*", customer_type)]
    history = REDUCED_CLASSES.get((country, rate_class))
    day = on or date.today()
    if history and category_rate(category, day):  # reverse charge and export stay at 0 %
        category = [c for start, c in history if start <= day.isoformat()][-1]
        if vat_rate_rows().get((country, category_rate(category, day))) != category:
            raise ValueError(f"demo/vat_rates.csv has no row booking {country} {rate_class} to {category}")
    return category


def vat_rate(country: str, customer_type: str, rate_class: str = STANDARD, on: date | None = None) -> Decimal:
    """The rate (percent) the shop charges for a rate class delivered to `country` (a tax country: XI, EXPORT…)."""
    day = on or date.today()
    return category_rate(vat_category(country, customer_type, rate_class, day), day)


def shop_vat(
    groups: dict[Decimal, Decimal], shipping: Decimal, *, standard: Decimal, included: bool, places: int
) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]:
    """The order's VAT as the shop computes it: ({rate: VAT}, {rate: shipping share}).

    `groups` = {rate: Σ line values at that rate}. Shipping rule: when every line is at the order's
    standard rate, the shipping is charged at that rate; otherwise it is split over the rate groups in
    proportion to their value (each share rounded to `places`, the largest group taking the remainder),
    as the goods' rates decide the rate of their delivery. Then per group VAT = round(gross × r / (100 + r))
    for prices including VAT, round(net × r / 100) for prices excluding VAT, to `places`, half-up.
    """
    total = sum(groups.values(), Decimal(0))
    if set(groups) <= {standard} or not total:
        shares = {standard: shipping}
    else:
        largest = max(groups, key=lambda rate: (groups[rate], rate))
        shares = {rate: round_to(shipping * value / total, places) for rate, value in groups.items() if rate != largest}
        shares[largest] = shipping - sum(shares.values(), Decimal(0))
    vat = {}
    for rate in sorted(set(groups) | set(shares)):
        base = groups.get(rate, Decimal(0)) + shares.get(rate, Decimal(0))
        vat[rate] = round_to(base * rate / ((100 + rate) if included else 100), places)
    return vat, {rate: share for rate, share in shares.items() if share}


# --------------------------------------------------------------------------- prices
def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to(value: Decimal, places: int) -> Decimal:
    """Half-up to `places` decimals (the currency's: 0 for JPY)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def catalog() -> list[dict]:
    """The demo items as order lines see them: SKU = Visma.net item number product-colour-size."""
    items = []
    for p_index, (product, name, _material, price, colours, sizes) in enumerate(PRODUCTS):
        for c_index, colour in enumerate(colours):
            for size in sizes:
                items.append(
                    {
                        "sku": f"{product}-{colour}-{size}",
                        "product": product,
                        "variant": colour,
                        "size": size,
                        "name": name,
                        "variant_name": COLOURS[colour],
                        "product_id": str(PRODUCT_ID_BASE + p_index + 1),
                        "variant_id": str(VARIANT_ID_BASE + p_index * 10 + c_index + 1),
                        "size_id": str(SIZE_ID_BASE + len(items) + 1),
                        "price_sek": price,
                        "rate_class": PRODUCT_RATE_CLASSES.get(product, STANDARD),
                    }
                )
    return items


def retail_price(price_sek: Decimal, currency: str) -> Decimal:
    """The retail shelf price (VAT included) in a currency, from the SEK list price."""
    whole = int(price_sek)
    if currency == "SEK":
        return round2(price_sek)
    if currency == "NOK":
        return Decimal(whole + 30)
    if currency == "DKK":
        return Decimal(int(whole * Decimal("0.65")))
    if currency == "GBP":
        return Decimal(whole // 13) + Decimal("0.99")
    return Decimal(whole // 10) + Decimal("0.95")  # EUR


def wholesale_price(price_sek: Decimal, currency: str) -> Decimal:
    """Wholesale price, VAT excluded: half the retail price net of 25 % VAT."""
    return round2(retail_price(price_sek, currency) / Decimal("1.25") * Decimal("0.5"))


def money(value: Decimal, places: int = 2) -> dict:
    return {"value": str(round_to(value, places))}


# --------------------------------------------------------------------------- builders
def _ascii(text: str) -> str:
    """Lower-case ASCII letters of a name, for e-mail addresses (Müller → muller)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _phone(rng: random.Random, prefix: str) -> str:
    return f"{prefix} {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


STREETS = {
    "SE": "Storgatan",
    "DE": "Hauptstraße",
    "AT": "Hauptstraße",
    "CH": "Bahnhofstrasse",
    "FR": "Rue de la République",
    "BE": "Rue Neuve",
    "NL": "Kerkstraat",
    "IT": "Via Roma",
    "ES": "Calle Mayor",
    "FI": "Kauppakatu",
    "DK": "Vestergade",
    "NO": "Storgata",
    "PL": "ulica Długa",
    "IE": "Main Street",
    "GB": "High Street",
    "US": "Main Street",
}


def _street(rng: random.Random, country: str) -> str:
    return f"{STREETS.get(country, 'Main Street')} {rng.randint(1, 120)}"


def _shoppers(rng: random.Random, count: int) -> list[dict]:
    countries = list(RETAIL_WEIGHTS)
    weights = [RETAIL_WEIGHTS[c] for c in countries]
    shoppers = []
    for index in range(count):
        country = countries[index] if index < len(countries) else rng.choices(countries, weights)[0]
        currency, firsts, lasts, cities, prefix = RETAIL_COUNTRIES[country]
        first, last = rng.choice(firsts), rng.choice(lasts)
        city, zip_code = rng.choice(cities)
        local = f"{_ascii(first)}.{_ascii(last)}"
        email = f"{local}.{index + 1}@example.{'com' if country in ('US', 'GB', 'IE') else country.lower()}"
        shoppers.append(
            {
                "id": str(index + 1),
                "country": country,
                "currency": currency,
                "email": email,
                "firstName": first,
                "lastName": last,
                "address": {
                    "firstName": first,
                    "lastName": last,
                    "companyName": "",
                    "address1": _street(rng, country),
                    "address2": "",
                    "city": city,
                    "zipCode": zip_code,
                    "country": {"code": country},
                    "email": email,
                    "phoneNumber": _phone(rng, prefix),
                    "vatNumber": "",
                },
            }
        )
    return shoppers


def _line(
    number: int,
    index: int,
    item: dict,
    *,
    quantity: int,
    original: Decimal,
    unit: Decimal,
    percent: Decimal,
    places: int = 2,
) -> dict:
    """One order line; taxPercent and the private _rate are set by _order_node (private: _original, _unit, _class)."""
    return {
        "id": f"{number}{index:02d}",
        "quantity": quantity,
        "taxPercent": "0",
        "discountPercent": str(percent),
        "productName": item["name"],
        "productVariantName": item["variant_name"],
        "productSize": {
            "id": item["size_id"],
            "SKU": item["sku"],
            "sizeNumber": item["size"],
            "description": item["size"],
        },
        "product": {"id": item["product_id"], "name": item["name"], "productNumber": item["product"]},
        "productVariant": {
            "id": item["variant_id"],
            "name": item["variant_name"],
            "variantNumber": item["variant"],
        },
        "unitOriginalPrice": money(original, places),
        "unitPrice": money(unit, places),
        "lineValue": money(unit * quantity, places),
        "_original": original,
        "_unit": unit,
        "_class": item["rate_class"],
    }


def _lines(rng: random.Random, number: int, items: list[dict], *, wholesale: bool, currency: str, discount):
    """1-4 random lines (their rates are set by _order_node)."""
    chosen = rng.sample(items, rng.randint(1, 4))
    lines = []
    for index, item in enumerate(chosen, start=1):
        quantity = rng.randint(4, 24) if wholesale else rng.choices((1, 2, 3), (70, 22, 8))[0]
        original = (
            wholesale_price(item["price_sek"], currency) if wholesale else retail_price(item["price_sek"], currency)
        )
        percent = Decimal("0")
        if discount is not None and (index == 1 or rng.random() < 0.5):
            percent = discount[2]
        unit = round2(original * (Decimal("100") - percent) / Decimal("100"))
        lines.append(_line(number, index, item, quantity=quantity, original=original, unit=unit, percent=percent))
    return lines


def reduced_item_allowed(country: str, rate_class: str) -> bool:
    """Whether generated orders send an item of this class there: children's clothes anywhere; books and food
    where the shop has the country's reduced rate, where there is none (Denmark) or as an export."""
    if rate_class in (STANDARD, CHILDREN):
        return True
    zones = tax_zone_categories()
    exported = (zones.get((country, "B2C")) or zones[("*", "B2C")]) == "EXP0"
    return (country, rate_class) in REDUCED_CLASSES or country in NO_REDUCED_RATES or exported


def _when(rng: random.Random, today: date) -> datetime:
    start = datetime.combine(today, time(0, 0), tzinfo=UTC) - timedelta(days=DAYS)
    return start + timedelta(seconds=rng.randint(0, DAYS * 86400 - 3600 * 12))


def _order(
    rng: random.Random,
    *,
    number: int,
    items: list[dict],
    today: date,
    wholesale: bool,
    shopper: dict | None = None,
    account: tuple | None = None,
    payment: tuple[str, str] | None = None,
    extras: tuple[random.Random, list[dict]] | None = None,
) -> dict:
    """A generated order; `extras` = (its own generator, reduced-rate items): sometimes one of them is added."""
    if wholesale:
        account_id, company, country, currency, vat_number, first, last, city, zip_code = account
        email = f"{_ascii(first)}.{_ascii(last)}@{_ascii(company.split()[0])}.example"
        address = {
            "firstName": first,
            "lastName": last,
            "companyName": company,
            "address1": _street(rng, country),
            "address2": "",
            "city": city,
            "zipCode": zip_code,
            "country": {"code": country},
            "email": email,
            "phoneNumber": _phone(rng, RETAIL_COUNTRIES.get(country, ("", (), (), (), "+00"))[4]),
            "vatNumber": vat_number,
        }
    else:
        country, currency, email = shopper["country"], shopper["currency"], shopper["email"]
        address = dict(shopper["address"])
    discount = rng.choice(DISCOUNTS) if rng.random() < 0.2 else None
    lines = _lines(rng, number, items, wholesale=wholesale, currency=currency, discount=discount)
    if extras and not wholesale and len(lines) < 4:
        extra_rng, reduced = extras
        allowed = [item for item in reduced if reduced_item_allowed(country, item["rate_class"])]
        if allowed and extra_rng.random() < 0.2:
            item = extra_rng.choice(allowed)
            price = retail_price(item["price_sek"], currency)
            lines.append(
                _line(number, len(lines) + 1, item, quantity=1, original=price, unit=price, percent=Decimal(0))
            )
    subtotal = sum((dec(line["lineValue"]) for line in lines), Decimal("0"))

    if wholesale:
        option = "standard"
        shipping = WHOLESALE_FREIGHT[currency] if rng.random() < 0.85 else Decimal("0")
    else:
        standard, express, free_from = SHIPPING_PRICES[currency]
        option = "express" if rng.random() < 0.2 else "standard"
        shipping = express if option == "express" else (Decimal("0") if subtotal >= free_from else standard)
        if option == "standard" and shipping and rng.random() < 0.05:
            shipping = Decimal("0")  # a free-shipping campaign

    created = _when(rng, today)
    status = rng.choices(("SHIPPED", "CONFIRMED", "PROCESSING"), (82, 10, 8))[0]
    updated = created + timedelta(hours=rng.randint(1, 72) if status != "CONFIRMED" else 0, minutes=rng.randint(0, 59))
    updated = min(updated, datetime.combine(today, time(0, 0), tzinfo=UTC) - timedelta(hours=2))
    uri, plugin = payment or (("invoice", "invoice") if wholesale else _retail_payment(rng))
    if wholesale:
        party = {
            "buyer": {"id": str(int(account_id) + 100), "email": email, "firstName": first, "lastName": last},
            "account": {"id": account_id, "name": company},
            "purchaseOrderNumber": f"PO-{account_id}-{number % 1000:03d}",
        }
    else:
        party = {
            "customer": {
                "id": shopper["id"],
                "email": email,
                "firstName": shopper["firstName"],
                "lastName": shopper["lastName"],
            }
        }
    return _order_node(
        number=number,
        wholesale=wholesale,
        currency=currency,
        address=address,
        lines=lines,
        shipping=shipping,
        option=option,
        created=created,
        updated=updated,
        status=status,
        payment=(uri, plugin),
        discount=discount,
        party=party,
    )


def _order_node(
    *,
    number: int,
    wholesale: bool,
    currency: str,
    address: dict,
    lines: list[dict],
    shipping: Decimal,
    option: str,
    created: datetime,
    updated: datetime,
    status: str,
    payment: tuple[str, str],
    party: dict,
    discount: tuple | None = None,
) -> dict:
    """An order node: each line's rate for its class where the order is taxed on its date, then the totals.

    Private keys (stripped by the emulator): `_vatByRate` {rate: VAT}, `_shippingByRate` {rate: shipping share},
    `_taxCountry` (where the order is taxed: an ISO code, XI or EXPORT).
    """
    places = currency_decimals(currency)
    customer_type = "B2B" if wholesale else "B2C"
    taxed_in = tax_country(address["country"]["code"], address.get("zipCode") or "")
    day = created.date()
    groups: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = vat_rate(taxed_in, customer_type, line["_class"], day)
        line["_rate"], line["taxPercent"] = rate, str(rate)
        groups[rate] = groups.get(rate, Decimal(0)) + dec(line["lineValue"])
    standard = vat_rate(taxed_in, customer_type, STANDARD, day)
    vat, shipping_shares = shop_vat(groups, shipping, standard=standard, included=not wholesale, places=places)
    tax = sum(vat.values(), Decimal(0))
    tax_added, tax_included = (tax, Decimal(0)) if wholesale else (Decimal(0), tax)
    grand = sum(groups.values(), Decimal(0)) + shipping + tax_added
    uri, plugin = payment
    discount_total = sum(((line["_original"] - line["_unit"]) * line["quantity"] for line in lines), Decimal("0"))
    node = {
        "number": number,
        "status": status,
        "isOnHold": False,
        "createdAt": sandbox.stamp(created),
        "updatedAt": sandbox.stamp(updated),
        "orderDate": sandbox.stamp(created),
        "store": {"type": "WHOLESALE" if wholesale else "DIRECT_TO_CONSUMER"},
        "grandTotal": {"value": str(round_to(grand, places)), "currency": {"code": currency}},
        "totals": {
            "grandTotal": money(grand, places),
            "shipping": money(shipping, places),
            "taxIncluded": money(tax_included, places),
            "taxAdded": money(tax_added, places),
        },
        "shippingPriceGroup": {
            "shippingOption": {"id": SHIPPING_OPTIONS[option][0], "name": SHIPPING_OPTIONS[option][1], "uri": option}
        },
        "paymentMethod": {"uri": uri, "plugin": plugin},
        "discountsApplied": (
            [{"value": money(discount_total, places), "discount": {"name": discount[0], "code": discount[1]}}]
            if discount and discount_total
            else []
        ),
        "billingAddress": address,
        "shippingAddress": dict(address),
        "lines": [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines],
        **party,
        "_taxCountry": taxed_in,
        "_vatByRate": {str(rate): str(value) for rate, value in vat.items()},
        "_shippingByRate": {str(rate): str(round_to(value, places)) for rate, value in shipping_shares.items()},
    }
    return node


def _retail_payment(rng: random.Random) -> tuple[str, str]:
    uri, plugin, _weight = rng.choices(RETAIL_PAYMENTS, [w for *_, w in RETAIL_PAYMENTS])[0]
    return uri, plugin


def dec(money_node: dict) -> Decimal:
    return Decimal(str(money_node["value"]))


def _return(rng: random.Random, *, return_id: int, order: dict, today: date, full: bool) -> dict:
    lines = order["lines"]
    chosen = lines if full else rng.sample(lines, 1)
    picked = [(line, line["quantity"] if full else rng.randint(1, line["quantity"])) for line in chosen]
    order_updated = datetime.fromisoformat(order["updatedAt"])
    end = datetime.combine(today, time(0, 0), tzinfo=UTC) - timedelta(minutes=1)
    created = order_updated + timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 23))
    if created >= end:
        created = order_updated + (end - order_updated) * rng.randint(20, 80) / 100
    completed = rng.random() < 0.8
    updated = min(created + timedelta(hours=rng.randint(1, 48)), end) if completed else created
    return _return_node(
        return_id=return_id,
        order=order,
        picked=picked,
        full=full,
        created=created,
        updated=updated,
        completed=completed,
    )


def _return_node(
    *,
    return_id: int,
    order: dict,
    picked: list[tuple[dict, int]],
    full: bool,
    created: datetime,
    updated: datetime,
    completed: bool,
) -> dict:
    """A return of (order line, quantity) pairs at the order's prices; a full return refunds the shipping too."""
    currency = order["grandTotal"]["currency"]["code"]
    places = currency_decimals(currency)
    return_lines = []
    for index, (line, quantity) in enumerate(picked, start=1):
        unit = dec(line["unitPrice"])
        return_lines.append(
            {
                "id": f"{return_id}{index:02d}",
                "quantity": quantity,
                "orderLine": {"id": line["id"], "productName": line["productName"]},
                "productSize": {"SKU": line["productSize"]["SKU"]},
                "unitPrice": money(unit, places),
                "lineValue": money(unit * quantity, places),
                "taxPercent": line["taxPercent"],
            }
        )
    shipping = dec(order["totals"]["shipping"]) if full else Decimal("0")
    total = sum((dec(line["lineValue"]) for line in return_lines), Decimal("0")) + shipping
    return {
        "id": str(return_id),
        "createdAt": sandbox.stamp(created),
        "updatedAt": sandbox.stamp(updated),
        "status": "COMPLETED" if completed else "PENDING",
        "refunded": completed,
        "order": {"number": order["number"]},
        "currency": {"code": currency},
        "lines": return_lines,
        "shippingCost": money(shipping, places),
        "grandTotal": money(total, places),
        "_storeType": order["store"]["type"],
    }


# --------------------------------------------------------------------------- named orders
FIRST_NAMED_NUMBER = 29001
# Named orders a user clicking through will find, each showing one VAT case. Fields: number, what it shows,
# (country, postcode, city, first, last, company, VAT number, phone), currency, lines (SKU, quantity, unit price),
# shipping (option, price), payment (uri, plugin); wholesale when a company is given (prices exclude VAT).
NAMED_ORDERS = [
    (
        29001,
        "Swedish consumer, a book at 6 % and a T-shirt at 25 %",
        ("SE", "114 55", "Stockholm", "Astrid", "Lindgren", "", "", "+46 70 123 45 67"),
        "SEK",
        (("3001-NAT-OS", 1, "299"), ("1001-BLK-M", 1, "399")),
        ("standard", "59"),
        ("klarna-checkout", "kco3"),
    ),
    (
        29002,
        "German consumer (OSS), a book and crispbread at 7 %, a linen shirt at 19 %",
        ("DE", "10115", "Berlin", "Greta", "Hoffmann", "", "", "+49 30 1234567"),
        "EUR",
        (("3001-NAT-OS", 1, "29.95"), ("4001-NAT-OS", 2, "4.95"), ("1002-WHT-M", 1, "69.95")),
        ("standard", "5.95"),
        ("adyen-drop-in", "adyen-drop-in"),
    ),
    (
        29003,
        "Irish consumer (OSS), children's clothes at 0 % and a T-shirt at 23 %",
        ("IE", "D02 X285", "Dublin", "Siobhan", "Byrne", "", "", "+353 1 234 5678"),
        "EUR",
        (("2001-BLU-4Y", 2, "24.95"), ("1001-WHT-S", 1, "39.95")),
        ("standard", "5.95"),
        ("stripe-checkout", "stripe-checkout"),
    ),
    (
        29004,
        "Northern Ireland consumer: GB with a BT postcode, taxed as XI at the UK rate 20 % (OSS)",
        ("GB", "BT1 1AA", "Belfast", "Ciara", "McAllister", "", "", "+44 28 9012 3456"),
        "GBP",
        (("1003-GRY-M", 1, "92.99"),),
        ("standard", "4.95"),
        ("paypal-commerce", "paypal-commerce"),
    ),
    (
        29005,
        "Northern Ireland business with an XI VAT number: intra-EU supply of goods at 0 %",
        ("GB", "BT2 8BG", "Belfast", "Declan", "Quinn", "Lagan Linen Ltd", "XI123456789", "+44 28 9099 8877"),
        "GBP",
        (("1001-BLK-M", 12, "12.40"), ("1002-BLU-L", 6, "21.60")),
        ("standard", "35"),
        ("invoice", "invoice"),
    ),
    (
        29006,
        "Monaco consumer: taxed as France, 20 % (OSS)",
        ("MC", "98000", "Monaco", "Charlotte", "Rossi", "", "", "+377 93 12 34 56"),
        "EUR",
        (("1006-YEL-M", 1, "149.95"),),
        ("standard", "5.95"),
        ("adyen-drop-in", "adyen-drop-in"),
    ),
    (
        29007,
        "Canary Islands consumer: outside the EU VAT area, exported at 0 %",
        ("ES", "35001", "Las Palmas de Gran Canaria", "Nayra", "Santana", "", "", "+34 928 123 456"),
        "EUR",
        (("1002-BLU-L", 1, "69.95"),),
        ("express", "14.95"),
        ("klarna-checkout", "kco3"),
    ),
    (
        29008,
        "Austrian consumer paying in yen: 1999 + 500 shipping including 20 % (OSS), whole yen",
        ("AT", "1010", "Wien", "Kenji", "Huber", "", "", "+43 1 2345678"),
        "JPY",
        (("1001-BLK-L", 1, "1999"),),
        ("standard", "500"),
        ("adyen-drop-in", "adyen-drop-in"),
    ),
]
# (return id, order number, (SKU, quantity) returned or None for all, full with shipping)
NAMED_RETURNS = [
    (9001, 29002, (("3001-NAT-OS", 1), ("1002-WHT-M", 1)), False),  # partial return of a mixed-rate order
    (9002, 29001, None, True),  # full return of a mixed-rate order, shipping refunded
]
NAMED_ACCOUNT_ID = "510"


def _named_address(place: tuple, email: str) -> dict:
    country, postcode, city, first, last, company, vat_number, phone = place
    return {
        "firstName": first,
        "lastName": last,
        "companyName": company,
        "address1": "Harbour Road 7" if country == "GB" else "Main Street 1",
        "address2": "",
        "city": city,
        "zipCode": postcode,
        "country": {"code": country},
        "email": email,
        "phoneNumber": phone,
        "vatNumber": vat_number,
    }


def named_orders(today: date, items: list[dict]) -> tuple[list[dict], list[dict]]:
    """The named orders (NAMED_ORDERS), shipped in the two weeks before `today`, and their shoppers."""
    by_sku = {item["sku"]: item for item in items}
    nodes, customers = [], []
    for index, (number, _what, place, currency, rows, (option, shipping), payment) in enumerate(NAMED_ORDERS):
        country, _postcode, _city, first, last, company, _vat, _phone = place
        wholesale = bool(company)
        domain = _ascii(company.split()[0]) if wholesale else "example.com"
        email = f"{_ascii(first)}.{_ascii(last)}@{domain}{'.example' if wholesale else ''}"
        address = _named_address(place, email)
        lines = []
        for line_index, (sku, quantity, unit) in enumerate(rows, start=1):
            price = Decimal(unit)
            lines.append(
                _line(
                    number,
                    line_index,
                    by_sku[sku],
                    quantity=quantity,
                    original=price,
                    unit=price,
                    percent=Decimal(0),
                    places=currency_decimals(currency),
                )
            )
        created = datetime.combine(today - timedelta(days=14 - index), time(9, 30), tzinfo=UTC)
        if wholesale:
            party = {
                "buyer": {"id": str(int(NAMED_ACCOUNT_ID) + 100), "email": email, "firstName": first, "lastName": last},
                "account": {"id": NAMED_ACCOUNT_ID, "name": company},
                "purchaseOrderNumber": f"PO-{NAMED_ACCOUNT_ID}-{number % 1000:03d}",
            }
        else:
            customer_id = str(number - FIRST_NAMED_NUMBER + 9001)
            party = {"customer": {"id": customer_id, "email": email, "firstName": first, "lastName": last}}
            customers.append(
                {
                    "id": customer_id,
                    "email": email,
                    "firstName": first,
                    "lastName": last,
                    "updatedAt": sandbox.stamp(created),
                    "billingAddress": address,
                }
            )
        nodes.append(
            _order_node(
                number=number,
                wholesale=wholesale,
                currency=currency,
                address=address,
                lines=lines,
                shipping=Decimal(shipping),
                option=option,
                created=created,
                updated=created + timedelta(hours=6),
                status="SHIPPED",
                payment=payment,
                party=party,
            )
        )
    return nodes, customers


def named_returns(today: date, orders: dict[int, dict]) -> list[dict]:
    """The named returns (NAMED_RETURNS), completed and refunded the day before `today`."""
    returns = []
    for return_id, number, returned, full in NAMED_RETURNS:
        order = orders[number]
        lines = {line["productSize"]["SKU"]: line for line in order["lines"]}
        picked = (
            [(line, line["quantity"]) for line in order["lines"]]
            if returned is None
            else [(lines[sku], quantity) for sku, quantity in returned]
        )
        created = datetime.combine(today - timedelta(days=2), time(11, 0), tzinfo=UTC)
        returns.append(
            _return_node(
                return_id=return_id,
                order=order,
                picked=picked,
                full=full,
                created=created,
                updated=created + timedelta(hours=20),
                completed=True,
            )
        )
    return returns


# --------------------------------------------------------------------------- the seed
def build(
    *, orders: int = 320, seed: int = 2026, today: date | None = None, named: bool = True
) -> dict[str, list[dict]]:
    """The demo shop's orders, returns and customers (nodes as order_put/return_put/customer_put take them).

    `orders` generated orders (numbers from 20001), then with `named` the NAMED_ORDERS (from 29001), their
    shoppers and the NAMED_RETURNS.
    """
    rng = random.Random(seed)
    extra_rng = random.Random(f"{seed}-reduced")  # its own stream: adding reduced-rate items changes nothing else
    today = today or datetime.now(UTC).date()
    catalog_items = catalog()
    items = [item for item in catalog_items if item["rate_class"] == STANDARD]
    reduced = [item for item in catalog_items if item["rate_class"] != STANDARD]
    # About 12 % wholesale; with enough orders every account orders at least once.
    wholesale_count = max(orders * 12 // 100, min(len(WHOLESALE_ACCOUNTS), orders // 8))
    retail_count = orders - wholesale_count
    shopper_count = min(retail_count, max(len(RETAIL_WEIGHTS), retail_count * 7 // 10))
    shoppers = _shoppers(rng, shopper_count)

    # Who orders: every shopper at least once, some several times.
    retail_buyers = list(shoppers) + [rng.choice(shoppers) for _ in range(retail_count - len(shoppers))]
    wholesale_buyers = list(WHOLESALE_ACCOUNTS[:wholesale_count]) + [
        rng.choice(WHOLESALE_ACCOUNTS) for _ in range(wholesale_count - len(WHOLESALE_ACCOUNTS))
    ]
    kinds = [("retail", s) for s in retail_buyers] + [("wholesale", a) for a in wholesale_buyers]
    rng.shuffle(kinds)

    swedish = [i for i, (kind, who) in enumerate(kinds) if kind == "retail" and who["country"] == HOME]
    swish_at = set(rng.sample(swedish, min(3, len(swedish))))

    nodes = []
    for index, (kind, who) in enumerate(kinds):
        number = FIRST_ORDER_NUMBER + index
        if kind == "wholesale":
            node = _order(rng, number=number, items=items, today=today, wholesale=True, account=who)
        else:
            node = _order(
                rng,
                number=number,
                items=items,
                today=today,
                wholesale=False,
                shopper=who,
                payment=SWISH if index in swish_at else None,
                extras=(extra_rng, reduced),
            )
            if index in swish_at:
                node["status"] = "SHIPPED"
        nodes.append(node)

    # Returns on shipped retail orders (not the swish ones): 2 in 3 partial, the rest in full with shipping.
    candidates = [
        n
        for n in nodes
        if n["status"] == "SHIPPED"
        and n["store"]["type"] == "DIRECT_TO_CONSUMER"
        and n["paymentMethod"]["uri"] != "swish"
    ]
    returned = rng.sample(candidates, min(len(candidates), max(20, orders * 8 // 100)))
    returns = [
        _return(rng, return_id=index, order=order, today=today, full=index % 3 == 0)
        for index, order in enumerate(sorted(returned, key=lambda n: n["number"]), start=1)
    ]

    first_order: dict[str, dict] = {}
    for node in nodes:
        customer = node.get("customer")
        if customer and customer["id"] not in first_order:
            first_order[customer["id"]] = node
    customers = [
        {
            "id": s["id"],
            "email": s["email"],
            "firstName": s["firstName"],
            "lastName": s["lastName"],
            "updatedAt": first_order[s["id"]]["createdAt"],
            "billingAddress": s["address"],
        }
        for s in shoppers
        if s["id"] in first_order
    ]
    if named:
        named_nodes, named_customers = named_orders(today, catalog_items)
        nodes += named_nodes
        customers += named_customers
        returns += named_returns(today, {node["number"]: node for node in named_nodes})
    return {"orders": nodes, "returns": returns, "customers": customers}


def seed(*, orders: int = 320, seed: int = 2026, today: date | None = None, named: bool = True) -> dict:
    """Put the demo shop into the emulator where missing; returns counts created and the demo API token."""
    data = build(orders=orders, seed=seed, today=today, named=named)
    sandbox.api_token_register(DEMO_API_TOKEN, description="Koppla demo")
    existing_orders = set(store_keys(sandbox.ORDER))
    new_orders = [o for o in data["orders"] if str(o["number"]) not in existing_orders]
    sandbox.orders_bulk_put(new_orders)
    existing_returns = set(store_keys(sandbox.RETURN))
    new_returns = [r for r in data["returns"] if r["id"] not in existing_returns]
    for node in new_returns:
        sandbox.return_put(node)
    existing_customers = set(store_keys(sandbox.CUSTOMER))
    new_customers = [c for c in data["customers"] if c["id"] not in existing_customers]
    for node in new_customers:
        sandbox.customer_put(node)
    return {
        "orders": len(new_orders),
        "returns": len(new_returns),
        "customers": len(new_customers),
        "api_token": DEMO_API_TOKEN,
    }


def store_keys(kind: str) -> list[str]:
    """Keys of the stored objects of a kind (order numbers, return ids…)."""
    return list(SandboxObject.objects.filter(system=sandbox.SYSTEM, kind=kind).values_list("key", flat=True))
