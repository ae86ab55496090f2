"""Where a sale is taxed and at which rate: territories, VAT regimes and the rate check. Pure.

Rules (Council Directive 2006/112/EC, the VAT Directive, and the Windsor Framework):
- The place of supply of goods is where they go (the tax country: the shipping address, or the
  billing address when the integration says so).
- Territories (Mappings › VAT territories, matched by country and postcode prefix, the longest
  prefix winning) move a sale: Monaco is taxed as France (Art. 7); Northern Ireland (GB with a BT
  postcode) follows EU VAT rules for goods as XI; the Canary Islands, Ceuta, Melilla, Åland, Mount
  Athos, Büsingen, Heligoland, Livigno, Campione d'Italia and the French overseas departments and collectivities are
  outside the EU VAT area (Art. 6): goods sent there are exports. A GB sale to a buyer whose VAT
  number starts with XI is a Northern Ireland sale too (Windsor Framework, Art. 8).
- Intra-EU reverse charge (Art. 138) needs a buyer VAT number of a member state (or XI) other than
  the seller's home country, and goods sent to a member state other than the home country. A buyer
  VAT number of the home country makes the sale domestic: the home country's VAT.
- The shop's EL (Greece) and UK are read as GR and GB.

The rate check compares the rate the shop charged on a line with the rate of the VAT category the
mapping chose, as of the document date (the ERP's VAT categories carry rates by date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mappings.countries import EU_VAT_AREA_GOODS as EU_VAT_AREA
from mappings.countries import NORTHERN_IRELAND, country_name, country_normalize
from mappings.models import REST_OF_WORLD, CustomerType, Regime
from mappings.selectors import MappingSet, TaxZone
from mappings.vat_models import postcode_normalize
from sync.shop import ShopAddress
from sync.vat import rate_text, vat_number_country, vat_number_normalize, vat_number_problem

from .base import RecordFailed

ZERO = Decimal("0")
EXPORT = "EXPORT"


def place_name(code: str) -> str:
    return country_name(code) if code else "an empty country"


def where(code: str) -> str:
    """'Germany (DE)'."""
    return f"{place_name(code)} ({code})" if code else "an empty country"


# Countries with more than one time zone: the mainland's (the others are outside the VAT area or rare).
MAINLAND_ZONES = {"ES": "Europe/Madrid", "PT": "Europe/Lisbon", NORTHERN_IRELAND: "Europe/London"}


@cache
def _zone(country: str) -> ZoneInfo | None:
    from babel.core import get_global

    name = MAINLAND_ZONES.get(country) or next(iter(get_global("territory_zones").get(country, ())), None)
    try:
        return ZoneInfo(name) if name else None
    except ZoneInfoNotFoundError:
        return None


def local_date(moment: str, country: str) -> str:
    """The date (YYYY-MM-DD) of an ISO 8601 moment in the country's time zone (its mainland's).

    A rate change takes effect at local midnight where the VAT is due: an order stamped
    2024-08-31T22:30:00+00:00 is 1 September in Finland. A moment without an offset, or a
    country without a known zone, keeps the date as written."""
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return moment[:10]
    zone = _zone(country)
    if parsed.tzinfo is None or zone is None:
        return parsed.date().isoformat()
    return parsed.astimezone(zone).date().isoformat()


def local_today(country: str) -> str:
    """Today (YYYY-MM-DD) in the country's time zone, as `local_date` dates orders; the server's zone
    (settings.TIME_ZONE) for a country without a known zone."""
    from django.utils import timezone

    zone = _zone(country)
    return timezone.now().astimezone(zone).date().isoformat() if zone else timezone.localdate().isoformat()


@dataclass(frozen=True)
class Place:
    """Where the goods go, after territories: `country` is the tax country (FR for Monaco, XI for
    Northern Ireland); `outside` marks a territory outside the EU VAT area; `note` says why."""

    country: str
    outside: bool = False
    note: str = ""


@dataclass(frozen=True)
class Sale:
    country: str  # the country whose tax zone applies (home for a domestic sale)
    customer_type: str  # B2B only for reverse charge
    vat_number: str
    regime: str
    zone: TaxZone
    note: str  # e.g. "Monaco is taxed as France", "" when nothing moved the sale


# Letters written before a postcode for the country (AX-22100, D-78266, E-35001, GR-630 86): the ISO code,
# or the country's international vehicle code where that differs.
VEHICLE_CODES = {
    "AT": "A",
    "BE": "B",
    "DE": "D",
    "ES": "E",
    "FR": "F",
    "IT": "I",
    "LU": "L",
    "PT": "P",
    "SE": "S",
    "HU": "H",
    "FI": "FIN",
    "IE": "IRL",
    "HR": "HR",
    "SI": "SLO",
    "MT": "M",
    "CY": "CY",
}


def _without_country_prefix(postcode: str, country: str) -> str:
    text = (postcode or "").strip().upper()
    for prefix in {country, VEHICLE_CODES.get(country, country), "AX" if country == "FI" else country}:
        if text.startswith(f"{prefix}-") and text[len(prefix) + 1 : len(prefix) + 2].isdigit():
            return text[len(prefix) + 1 :]
    return text


def place_of(address: ShopAddress, vat_number: str, mappings: MappingSet) -> Place:
    """The tax place of an address, by the territory rows (longest postcode prefix first)."""
    country = country_normalize(address.country)
    postcode = postcode_normalize(_without_country_prefix(address.zip_code, country))
    rows = [
        t
        for t in mappings.territories
        if country_normalize(t.country) == country and postcode.startswith(postcode_normalize(t.postcode_prefix))
    ]
    if rows:
        row = max(rows, key=lambda t: len(postcode_normalize(t.postcode_prefix)))
        label = row.name or place_name(country)
        at = f"{country} {row.postcode_prefix}…" if row.postcode_prefix else country
        if row.treat_as == EXPORT:
            return Place(country, outside=True, note=f"{label} ({at}) is outside the EU VAT area: an export")
        if row.treat_as == NORTHERN_IRELAND:
            return Place(row.treat_as, note=f"{at} is {label}, which follows EU VAT rules for goods (XI)")
        if row.treat_as != country:
            return Place(row.treat_as, note=f"{label} ({at}) is taxed as {where(row.treat_as)}")
    if country == "GB" and not postcode and vat_number.startswith(NORTHERN_IRELAND):
        return Place(NORTHERN_IRELAND, note="a buyer with an XI VAT number and no postcode: Northern Ireland rules")
    return Place(country)


def tax_address(order_shipping: ShopAddress, order_billing: ShopAddress, mappings: MappingSet) -> ShopAddress:
    preferred = order_shipping if mappings.tax_country_source == "shipping" else order_billing
    other = order_billing if preferred is order_shipping else order_shipping
    return preferred if preferred.country else other


def buyer_vat_number(billing: ShopAddress, shipping: ShopAddress, *, what: str) -> tuple[str, str]:
    """(normalised VAT number, the VAT area it was issued in) or ('', ''); RecordFailed for a malformed one.

    The number's own prefix says where it was issued (EL → GR, XI → Northern Ireland); a number without
    an EU prefix is checked against the billing country."""
    raw = billing.vat_number or shipping.vat_number
    if not raw:
        return "", ""
    number = vat_number_normalize(raw)
    billing_country = country_normalize(billing.country) or country_normalize(shipping.country)
    issued = vat_number_country(number) or billing_country
    problem = vat_number_problem(raw, issued)
    if problem:
        raise RecordFailed(
            f"{what}: {problem}. Correct the VAT number in the shop (or remove it to invoice as a private "
            "person), then resync."
        )
    return number, issued if issued in EU_VAT_AREA else ""


def zone_of(mappings: MappingSet, country: str, customer_type: str, *, what: str, outside: bool = False) -> TaxZone:
    """The tax-zone row of a country (rest-of-world row for exports); RecordFailed naming the row to add."""
    zone = None if outside else mappings.tax_zones.get((country, customer_type))
    export = outside or (country not in EU_VAT_AREA and country != mappings.home_country)
    if zone is None and export:
        zone = mappings.tax_zones.get((REST_OF_WORLD, customer_type))
    if zone is None:
        fallback = " or a rest-of-world (*) row" if export else ""
        raise RecordFailed(
            f"{what}: no tax-zone mapping for country {where(country)} / {customer_type}: add one{fallback} in "
            "Mappings › Tax zones, then resync."
        )
    return zone


def sale_of(billing: ShopAddress, shipping: ShopAddress, mappings: MappingSet, *, what: str) -> Sale:
    """The regime, tax zone and customer type of a sale to these addresses (see the module's rules)."""
    address = tax_address(shipping, billing, mappings)
    if not address.country:
        raise RecordFailed(f"{what} has no country on its addresses.")
    number, issued = buyer_vat_number(billing, shipping, what=what)
    place = place_of(address, number, mappings)
    home = mappings.home_country
    country, note = place.country, place.note
    if home == "GB" and country == NORTHERN_IRELAND:  # Northern Ireland is in the UK's VAT territory
        country, note = home, ""
    if place.outside or (country not in EU_VAT_AREA and country != home) or home not in EU_VAT_AREA:
        regime = Regime.DOMESTIC if country == home and not place.outside else Regime.EXPORT
        ctype = CustomerType.B2C
        if regime == Regime.EXPORT and (country, CustomerType.B2B) in mappings.tax_zones and number:
            ctype = CustomerType.B2B
        zone = zone_of(mappings, country, ctype, what=what, outside=place.outside)
        return Sale(country, ctype, number, regime, zone, note)
    if country == home:
        return Sale(country, CustomerType.B2C, number, Regime.DOMESTIC, zone_of(mappings, home, "B2C", what=what), note)
    if issued and issued != home:
        zone = zone_of(mappings, country, CustomerType.B2B, what=what)
        because = f"the buyer's VAT number {number} is from {where(issued)}: intra-EU reverse charge"
        return Sale(country, CustomerType.B2B, number, Regime.EU_B2B, zone, f"{note}; {because}" if note else because)
    if issued == home:
        note = (
            f"the buyer's VAT number {number} is from {where(home)}, the seller's own country: intra-EU reverse "
            f"charge needs a VAT number of another member state, so {where(home)} VAT applies"
        )
        zone = zone_of(mappings, home, CustomerType.B2C, what=what)
        return Sale(home, CustomerType.B2C, number, Regime.DOMESTIC, zone, note)
    zone = zone_of(mappings, country, CustomerType.B2C, what=what)
    return Sale(country, CustomerType.B2C, number, Regime.EU_B2C, zone, note)


# --------------------------------------------------------------------------- the rate check
def category_rate(mappings: MappingSet, category: str, on: str) -> Decimal | None:
    """The rate (percent) of an ERP VAT category on a date (YYYY-MM-DD), or None when it has none then."""
    rate = None
    for start, value in mappings.category_rates.get(category, ()):
        if start[:10] <= on:
            rate = value
    return rate


@dataclass(frozen=True)
class LineTax:
    vat_category: str
    account: str
    warning: str = ""


def line_tax(sale: Sale, mappings: MappingSet, rate: Decimal, *, on: str, what: str) -> LineTax:
    """The VAT category and sales account of a line charged `rate` %, checked against the category's rate.

    Zero-rated regimes (reverse charge, export) take the zone's category and expect 0 %. Taxed sales take
    the zone's category when its rate on `on` is the charged one, else the VAT-rate row (country, rate).
    A mismatch raises RecordFailed naming country, expected and charged rate, unless the integration's
    rate check is set to warn: then the line is booked as charged and LineTax.warning says why."""
    zone = sale.zone
    rate = Decimal(rate)
    if not rate.is_finite() or rate < 0 or rate >= 100:
        raise RecordFailed(
            f"{what} states a VAT rate of {rate_text(rate)}, which is not a VAT rate. Check it in the shop."
        )
    if sale.regime in (Regime.EU_B2B, Regime.EXPORT):
        zone_rate = _checked_rate(
            mappings, zone.vat_category, on, what=f"{what} (Mappings › Tax zones {zone.country}/{zone.customer_type})"
        )
        if zone_rate != 0:
            kind = "intra-EU reverse charge" if sale.regime == Regime.EU_B2B else "an export"
            raise RecordFailed(
                f"{what}: a sale to {where(sale.country)} is {kind} at 0 %, but the tax zone "
                f"{zone.country}/{zone.customer_type} books it under VAT category {zone.vat_category}, whose rate on "
                f"{on} is {rate_text(zone_rate)}. Point the row to a 0 % VAT category in Mappings › Tax zones, then resync."
            )
        if rate == 0:
            return LineTax(zone.vat_category, zone.sales_account)
        kind = "intra-EU reverse charge" if sale.regime == Regime.EU_B2B else "an export"
        because = f" ({sale.note})" if sale.note else ""
        return _mismatch(
            mappings,
            LineTax(zone.vat_category, zone.sales_account),
            f"{what} charged {rate_text(rate)} VAT, but a sale to {where(sale.country)}{because} is {kind} at 0 % "
            f"(VAT category {zone.vat_category}). Check the customer's VAT number and address in the shop, or "
            "Mappings › Tax zones",
        )
    expected = _checked_rate(
        mappings, zone.vat_category, on, what=f"{what} (Mappings › Tax zones {zone.country}/{zone.customer_type})"
    )
    if expected == rate:
        return LineTax(zone.vat_category, zone.sales_account)
    row = mappings.vat_rates.get((sale.country, rate.normalize()))
    if row:
        category, account = row
        mapped = _checked_rate(
            mappings, category, on, what=f"{what} (Mappings › VAT rates {sale.country} {rate_text(rate)})"
        )
        result = LineTax(category, account or zone.sales_account)
        if mapped == rate:
            return result
        return _mismatch(
            mappings,
            result,
            f"{what} charged {rate_text(rate)} VAT in {where(sale.country)}; the VAT-rate row maps it to VAT "
            f"category {category}, whose rate on {on} is {rate_text(mapped)}. Correct the row in Mappings › VAT "
            "rates or the order in the shop",
        )
    because = f" ({sale.note})" if sale.note else ""
    return _mismatch(
        mappings,
        LineTax(zone.vat_category, zone.sales_account),
        f"{what} charged {rate_text(rate)} VAT, but {where(sale.country)}{because} charges {rate_text(expected)} "
        f"on {on} (VAT category {zone.vat_category}) and no VAT-rate row maps {sale.country} {rate_text(rate)}. "
        f"If {rate_text(rate)} is a reduced rate of {place_name(sale.country)}, add the row "
        f"{_row_to_add(mappings, sale.country, rate, on)} in Mappings › VAT rates; otherwise correct the order in "
        "the shop",
    )


def _row_to_add(mappings: MappingSet, country: str, rate: Decimal, on: str) -> str:
    """ "'SE, 6, SE6' (the ERP's VAT category SE6 is 6 % on …)" when the ERP has a category of the country
    (its id names the country) at that rate on the date, else "'SE, 6, <VAT category>'"."""
    found = sorted(c for c in mappings.category_rates if country in c and category_rate(mappings, c, on) == rate)
    row = f"'{country}, {rate.normalize():f}, {found[0] if found else '<VAT category>'}'"
    return f"{row} (the ERP's VAT category {found[0]} is {rate_text(rate)} on {on})" if found else row


def _checked_rate(mappings: MappingSet, category: str, on: str, *, what: str) -> Decimal:
    rate = category_rate(mappings, category, on)
    if rate is None:
        raise RecordFailed(
            f"{what}: VAT category {category} is not a VAT category of the ERP with a rate on {on}. Add it in the "
            "ERP or correct the mapping, then resync."
        )
    return rate


def _mismatch(mappings: MappingSet, booked: LineTax, message: str) -> LineTax:
    if mappings.vat_rate_check == "warn":
        warning = (
            f"{message}. Booked as the shop charged it (the integration's VAT rate check is set to warn): under VAT "
            f"category {booked.vat_category} on account {booked.account}, with the VAT the shop charged, so that "
            "category carries VAT at a rate that is not its own in the VAT report"
        )
        return LineTax(booked.vat_category, booked.account, warning=f"{warning}.")
    raise RecordFailed(f"{message}, then resync.")
