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
- Every line's taxPercent is the rate the demo tax-zone mapping implies
  (mappings/fixtures/eu_tax_zones.csv → VAT category → rate of the Visma.net
  demo company), so the orders flow books them without a VAT mismatch.
- Payment methods and shipping options are the keys of the demo mapping files,
  except for exactly three Swedish orders paid with `swish`: a payment method
  with no mapping, the failure an operator fixes in the demo.
- SKUs are the Visma.net demo item numbers (e.g. 1001-BLK-M), with product
  number, variant number and size number as the SKU rule's segments. The
  catalog itself is not in Centra at the start: the products flow creates it.
- Money adds up to the cent: unitPrice × quantity = lineValue; grandTotal =
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
from integrations.visma_net.demo_data import COLOURS, PRODUCTS, VAT_CATEGORIES

from . import sandbox

DEMO_API_TOKEN = "centra-demo-token-7c41"
TAX_ZONES_CSV = Path(__file__).resolve().parents[2] / "mappings" / "fixtures" / "eu_tax_zones.csv"
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
def category_rates() -> dict[str, Decimal]:
    """VAT category → rate (percent) of the Visma.net demo company."""
    return {category: rate for category, _description, rate, _reverse in VAT_CATEGORIES}


def tax_zone_categories() -> dict[tuple[str, str], str]:
    """(country or '*', B2B|B2C) → VAT category, from the demo tax-zone mapping file."""
    with TAX_ZONES_CSV.open(encoding="utf-8") as handle:
        return {(row["country"], row["customer_type"]): row["vat_category"] for row in csv.DictReader(handle)}


def vat_rate(country: str, customer_type: str) -> Decimal:
    zones = tax_zone_categories()
    category = zones.get((country, customer_type)) or zones[("*", customer_type)]
    return category_rates()[category]


# --------------------------------------------------------------------------- prices
def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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


def money(value: Decimal) -> dict:
    return {"value": str(round2(value))}


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


def _lines(
    rng: random.Random, number: int, items: list[dict], *, wholesale: bool, currency: str, rate: Decimal, discount
):
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
        lines.append(
            {
                "id": f"{number}{index:02d}",
                "quantity": quantity,
                "taxPercent": str(rate),
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
                "unitOriginalPrice": money(original),
                "unitPrice": money(unit),
                "lineValue": money(unit * quantity),
                "_original": original,
                "_unit": unit,
            }
        )
    return lines


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
) -> dict:
    if wholesale:
        account_id, company, country, currency, vat_number, first, last, city, zip_code = account
        customer_type = "B2B"
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
        customer_type = "B2C"
        address = dict(shopper["address"])
    rate = vat_rate(country, customer_type)
    discount = rng.choice(DISCOUNTS) if rng.random() < 0.2 else None
    lines = _lines(rng, number, items, wholesale=wholesale, currency=currency, rate=rate, discount=discount)
    subtotal = sum((dec(line["lineValue"]) for line in lines), Decimal("0"))

    if wholesale:
        option = "standard"
        shipping = WHOLESALE_FREIGHT[currency] if rng.random() < 0.85 else Decimal("0")
        tax_added = round2((subtotal + shipping) * rate / Decimal("100"))
        tax_included = Decimal("0")
        grand = subtotal + shipping + tax_added
    else:
        standard, express, free_from = SHIPPING_PRICES[currency]
        option = "express" if rng.random() < 0.2 else "standard"
        shipping = express if option == "express" else (Decimal("0") if subtotal >= free_from else standard)
        if option == "standard" and shipping and rng.random() < 0.05:
            shipping = Decimal("0")  # a free-shipping campaign
        tax_added = Decimal("0")
        grand = subtotal + shipping
        tax_included = round2(grand - grand * Decimal("100") / (Decimal("100") + rate))

    created = _when(rng, today)
    status = rng.choices(("SHIPPED", "CONFIRMED", "PROCESSING"), (82, 10, 8))[0]
    updated = created + timedelta(hours=rng.randint(1, 72) if status != "CONFIRMED" else 0, minutes=rng.randint(0, 59))
    updated = min(updated, datetime.combine(today, time(0, 0), tzinfo=UTC) - timedelta(hours=2))
    uri, plugin = payment or (("invoice", "invoice") if wholesale else _retail_payment(rng))
    discount_total = sum(((line["_original"] - line["_unit"]) * line["quantity"] for line in lines), Decimal("0"))
    node = {
        "number": number,
        "status": status,
        "isOnHold": False,
        "createdAt": sandbox.stamp(created),
        "updatedAt": sandbox.stamp(updated),
        "orderDate": sandbox.stamp(created),
        "store": {"type": "WHOLESALE" if wholesale else "DIRECT_TO_CONSUMER"},
        "grandTotal": {"value": str(round2(grand)), "currency": {"code": currency}},
        "totals": {
            "grandTotal": money(grand),
            "shipping": money(shipping),
            "taxIncluded": money(tax_included),
            "taxAdded": money(tax_added),
        },
        "shippingPriceGroup": {
            "shippingOption": {"id": SHIPPING_OPTIONS[option][0], "name": SHIPPING_OPTIONS[option][1], "uri": option}
        },
        "paymentMethod": {"uri": uri, "plugin": plugin},
        "discountsApplied": (
            [{"value": money(discount_total), "discount": {"name": discount[0], "code": discount[1]}}]
            if discount and discount_total
            else []
        ),
        "billingAddress": address,
        "shippingAddress": dict(address),
        "lines": [{k: v for k, v in line.items() if not k.startswith("_")} for line in lines],
    }
    if wholesale:
        node["buyer"] = {
            "id": str(int(account[0]) + 100),
            "email": email,
            "firstName": address["firstName"],
            "lastName": address["lastName"],
        }
        node["account"] = {"id": account[0], "name": account[1]}
        node["purchaseOrderNumber"] = f"PO-{account[0]}-{number % 1000:03d}"
    else:
        node["customer"] = {
            "id": shopper["id"],
            "email": email,
            "firstName": shopper["firstName"],
            "lastName": shopper["lastName"],
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
    return_lines = []
    for index, line in enumerate(chosen, start=1):
        quantity = line["quantity"] if full else rng.randint(1, line["quantity"])
        unit = dec(line["unitPrice"])
        return_lines.append(
            {
                "id": f"{return_id}{index:02d}",
                "quantity": quantity,
                "orderLine": {"id": line["id"], "productName": line["productName"]},
                "productSize": {"SKU": line["productSize"]["SKU"]},
                "unitPrice": money(unit),
                "lineValue": money(unit * quantity),
                "taxPercent": line["taxPercent"],
            }
        )
    shipping = dec(order["totals"]["shipping"]) if full else Decimal("0")
    order_updated = datetime.fromisoformat(order["updatedAt"])
    end = datetime.combine(today, time(0, 0), tzinfo=UTC) - timedelta(minutes=1)
    created = order_updated + timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 23))
    if created >= end:
        created = order_updated + (end - order_updated) * rng.randint(20, 80) / 100
    completed = rng.random() < 0.8
    updated = min(created + timedelta(hours=rng.randint(1, 48)), end) if completed else created
    total = sum((dec(line["lineValue"]) for line in return_lines), Decimal("0")) + shipping
    return {
        "id": str(return_id),
        "createdAt": sandbox.stamp(created),
        "updatedAt": sandbox.stamp(updated),
        "status": "COMPLETED" if completed else "PENDING",
        "refunded": completed,
        "order": {"number": order["number"]},
        "currency": {"code": order["grandTotal"]["currency"]["code"]},
        "lines": return_lines,
        "shippingCost": money(shipping),
        "grandTotal": money(total),
        "_storeType": order["store"]["type"],
    }


# --------------------------------------------------------------------------- the seed
def build(*, orders: int = 320, seed: int = 2026, today: date | None = None) -> dict[str, list[dict]]:
    """The demo shop's orders, returns and customers (nodes as order_put/return_put/customer_put take them)."""
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    items = catalog()
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
    return {"orders": nodes, "returns": returns, "customers": customers}


def seed(*, orders: int = 320, seed: int = 2026, today: date | None = None) -> dict:
    """Put the demo shop into the emulator where missing; returns counts created and the demo API token."""
    data = build(orders=orders, seed=seed, today=today)
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
