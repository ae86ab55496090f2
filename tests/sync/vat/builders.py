"""Orders, refunds and a mapping snapshot for the pure VAT tests (shapes of sync.shop and mappings.selectors)."""

from __future__ import annotations

from decimal import Decimal

from mappings.selectors import MappingSet, TaxZone, Territory
from sync.flows.figures import Figures
from sync.flows.refund_mapping import credit_note_draft
from sync.shop import ShopAddress, ShopLine, ShopOrder, ShopRefund

D = Decimal
EU = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
# Standard rates on 2026-01-01, with the 2024-2025 changes (EE, FI, SK, RO) as rate histories.
STANDARD = {
    "AT": "20",
    "BE": "21",
    "BG": "20",
    "CY": "19",
    "CZ": "21",
    "DE": "19",
    "DK": "25",
    "EE": "24",
    "ES": "21",
    "FI": "25.5",
    "FR": "20",
    "GR": "24",
    "HR": "25",
    "HU": "27",
    "IE": "23",
    "IT": "22",
    "LT": "21",
    "LU": "17",
    "LV": "21",
    "MT": "18",
    "NL": "21",
    "PL": "23",
    "PT": "23",
    "RO": "21",
    "SE": "25",
    "SI": "22",
    "SK": "23",
    "XI": "20",
}
HISTORY = {
    "EE": (("2020-01-01", "20"), ("2024-01-01", "22"), ("2025-07-01", "24")),
    "FI": (("2020-01-01", "24"), ("2024-09-01", "25.5")),
    "SK": (("2020-01-01", "20"), ("2025-01-01", "23")),
    "RO": (("2020-01-01", "19"), ("2025-08-01", "21")),
}
# Reduced rates of a few countries: (country, rate) → category.
REDUCED = {
    ("SE", "12"): "SE12",
    ("SE", "6"): "SE6",
    ("DE", "7"): "OSS-DE7",
    ("FR", "5.5"): "OSS-FR5.5",
    ("IE", "0"): "OSS-IE0",
    ("AT", "10"): "OSS-AT10",
    ("FI", "14"): "OSS-FI14",
}
HOME = "SE"


def _category(country: str) -> str:
    return "SE25" if country == HOME else f"OSS-{country}"


def zones() -> dict[tuple[str, str], TaxZone]:
    result = {}
    for country in [*EU, "XI"]:
        if country == HOME:
            for ctype in ("B2B", "B2C"):
                result[(country, ctype)] = TaxZone(country, ctype, "DOMESTIC", "SE", "SE25", "3001")
            continue
        result[(country, "B2C")] = TaxZone(country, "B2C", "EUB2C", "OSS", _category(country), "3106")
        result[(country, "B2B")] = TaxZone(country, "B2B", "EUB2B", "EURC", "RC0", "3108")
    for ctype in ("B2B", "B2C"):
        result[("*", ctype)] = TaxZone("*", ctype, "EXPORT", "EXPORT", "EXP0", "3105")
    return result


def category_rates() -> dict[str, tuple[tuple[str, Decimal], ...]]:
    rates = {"RC0": (("2000-01-01", D("0")),), "EXP0": (("2000-01-01", D("0")),)}
    for country, rate in STANDARD.items():
        history = HISTORY.get(country, (("2000-01-01", rate),))
        rates[_category(country)] = tuple((start, D(value)) for start, value in history)
    for (_country, rate), category in REDUCED.items():
        rates[category] = (("2000-01-01", D(rate)),)
    return rates


TERRITORIES = (
    Territory("MC", "", "FR", "Monaco"),
    Territory("GB", "BT", "XI", "Northern Ireland"),
    Territory("ES", "35", "EXPORT", "Canary Islands"),
    Territory("ES", "38", "EXPORT", "Canary Islands"),
    Territory("ES", "51", "EXPORT", "Ceuta"),
    Territory("ES", "52", "EXPORT", "Melilla"),
    Territory("FI", "22", "EXPORT", "Åland"),
    Territory("GR", "63086", "EXPORT", "Mount Athos"),
    Territory("DE", "78266", "EXPORT", "Büsingen am Hochrhein"),
    Territory("DE", "27498", "EXPORT", "Heligoland"),
    Territory("IT", "23041", "EXPORT", "Livigno"),
    Territory("IT", "22061", "EXPORT", "Campione d'Italia"),
    Territory("FR", "971", "EXPORT", "Guadeloupe"),
    Territory("FR", "974", "EXPORT", "Réunion"),
)
CURRENCIES = {c: (c, 0 if c == "JPY" else 2) for c in ("SEK", "EUR", "NOK", "DKK", "GBP", "USD", "JPY", "CHF")}


def mapping_set(**changes) -> MappingSet:
    values = dict(
        home_country=HOME,
        tax_country_source="shipping",
        default_customer_number="",
        tax_zones=zones(),
        payment_methods={"klarna-checkout": ("KLARNA", "1581"), "invoice": ("INVOICE", "1930")},
        payment_terms={"B2C": "0", "B2B": "30"},
        shipping={"standard": ("FREIGHT", "Shipping", ""), "*": ("FREIGHT", "Shipping", "")},
        currencies=CURRENCIES,
        vat_rates={(country, D(rate).normalize()): (category, "") for (country, rate), category in REDUCED.items()},
        territories=TERRITORIES,
        category_rates=category_rates(),
    )
    values.update(changes)
    return MappingSet(**values)


def shop_line(total, rate, *, qty=1, line_id="1", name="T-shirt", sku="1001-BLK-M") -> ShopLine:
    total, qty = D(str(total)), D(str(qty))
    return ShopLine(
        line_id=line_id,
        sku=sku,
        name=name,
        quantity=qty,
        unit_price=total / qty if qty else total,
        unit_original_price=total / qty if qty else total,
        line_total=total,
        tax_percent=D(str(rate)),
    )


def shop_order(
    lines,
    *,
    total,
    vat,
    country="SE",
    zip_code="11122",
    currency="SEK",
    shipping="0",
    vat_number="",
    billing_country=None,
    company="",
    incl=True,
    created="2026-11-20T10:00:00+01:00",
    number="1001",
) -> ShopOrder:
    ship_to = ShopAddress(
        first_name="Ada",
        last_name="Lind",
        company=company,
        country=country,
        zip_code=zip_code,
        email="ada@example.com",
        vat_number=vat_number,
    )
    bill_to = ShopAddress(
        first_name="Ada",
        last_name="Lind",
        company=company,
        country=billing_country or country,
        zip_code=zip_code,
        email="ada@example.com",
        vat_number=vat_number,
    )
    return ShopOrder(
        id=f"o{number}",
        number=number,
        status="SHIPPED",
        created_at=created,
        updated_at=created,
        currency=currency,
        prices_include_vat=incl,
        customer_email="ada@example.com",
        billing=bill_to,
        shipping=ship_to,
        lines=tuple(lines),
        shipping_amount=D(str(shipping)),
        shipping_option="standard",
        payment_method="invoice" if not incl else "klarna-checkout",
        grand_total=D(str(total)),
        tax_total=D(str(vat)),
        is_wholesale=not incl,
    )


def shop_refund(order: ShopOrder, lines, *, total, shipping="0", refund_id="R1") -> ShopRefund:
    return ShopRefund(
        id=refund_id,
        order_number=order.number,
        created_at="2026-11-25T10:00:00+01:00",
        updated_at="2026-11-25T10:00:00+01:00",
        currency=order.currency,
        prices_include_vat=order.prices_include_vat,
        lines=tuple(lines),
        shipping_amount=D(str(shipping)),
        total=D(str(total)),
    )


def vat_by_category(draft) -> dict[str, Decimal]:
    return {t.vat_category: t.vat for t in draft.tax_details}


def per_account(*documents, signs) -> dict[tuple[str, str], Decimal]:
    """Net per (account, VAT category) and VAT per category over documents, each with its sign."""
    totals: dict[tuple[str, str], Decimal] = {}
    for document, sign in zip(documents, signs, strict=True):
        for line in document.lines:
            key = (line.account, line.vat_category)
            totals[key] = totals.get(key, D(0)) + sign * line.amount
        for t in document.tax_details:
            key = ("VAT", t.vat_category)
            totals[key] = totals.get(key, D(0)) + sign * t.vat
    return totals


def credit(refund: ShopRefund, order: ShopOrder, mappings: MappingSet, invoice, credited=()):
    """The credit note of `refund` against `invoice` (a draft), after the `credited` credit note drafts."""
    return credit_note_draft(
        refund,
        order,
        mappings,
        invoiced=Figures.of(invoice),
        credited=[Figures.of(c) for c in credited],
        invoice_number="100001",
        customer_number="10001",
        vat_zone=invoice.vat_zone,
    )
