"""VAT as Fortnox carries it: a percentage on every invoice row, booked by the row's account.

Fortnox keeps no VAT categories (the API has no list of them, spec fortnox-v3): a row states its
`VAT` (a whole percentage, int32 in the spec) and its `AccountNumber`; sales abroad go through
accounts (OSS, reverse charge, export), not VAT zones (issue 16; api-notes § A4). So Koppla holds
the categories a Fortnox integration's mappings name: VAT_CATEGORIES below, with the ids of the
shipped tax-zone and VAT-rate files (mappings/fixtures/eu_tax_zones.csv, demo/vat_rates.csv) and
their rates by date (the EU members' standard rates as of 2026, the dated changes since 2024).

How Fortnox totals a document (ROUNDING, what the adapter checks a draft against and what the
sandbox does): a row's net is Price × DeliveredQuantity, both sent with two decimals, rounded half
up to 2 decimals; the VAT of a rate is the sum of the nets at that rate × rate / 100, rounded half
up to 2 decimals (api-notes § A5: Fortnox rounds half up). RoundOff is Fortnox's own (whole-krona
rounding, where the company has it switched on); it is not in the invoice payload (spec
InvoicePayload), so Koppla never puts a remainder there.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from sync.erp import VatCategory

CENT = Decimal("0.01")
START = "2000-01-01"

OSS_STANDARD: dict[str, tuple[tuple[str, str], ...]] = {
    **{
        cc: ((START, rate),)
        for cc, rate in (
            ("AT", "20"),
            ("BE", "21"),
            ("BG", "20"),
            ("HR", "25"),
            ("CY", "19"),
            ("CZ", "21"),
            ("DK", "25"),
            ("FR", "20"),
            ("DE", "19"),
            ("GR", "24"),
            ("HU", "27"),
            ("IE", "23"),
            ("IT", "22"),
            ("LV", "21"),
            ("LT", "21"),
            ("LU", "17"),
            ("MT", "18"),
            ("NL", "21"),
            ("PL", "23"),
            ("PT", "23"),
            ("SI", "22"),
            ("ES", "21"),
            ("XI", "20"),
        )
    },  # fmt: skip
    "EE": ((START, "20"), ("2024-01-01", "22"), ("2025-07-01", "24")),
    "FI": ((START, "24"), ("2024-09-01", "25.5")),
    "SK": ((START, "20"), ("2025-01-01", "23")),
    "RO": ((START, "19"), ("2025-08-01", "21")),
}
OTHER: dict[str, tuple[tuple[str, str], ...]] = {
    "SE25": ((START, "25"),),
    "SE12": ((START, "12"),),
    "SE6": ((START, "6"),),
    "RC0": ((START, "0"),),
    "EXP0": ((START, "0"),),
    **{
        f"OSS-{cc}{rate}": ((START, rate),)
        for cc, rate in (
            ("AT", "10"),
            ("BE", "6"),
            ("DE", "7"),
            ("ES", "4"),
            ("FR", "5.5"),
            ("IE", "0"),
            ("IT", "4"),
            ("NL", "9"),
            ("PL", "5"),
        )
    },  # fmt: skip
}

VAT_CATEGORIES: tuple[VatCategory, ...] = tuple(
    VatCategory(id=category, rates=tuple((start, Decimal(rate)) for start, rate in history))
    for category, history in (*OTHER.items(), *((f"OSS-{cc}", h) for cc, h in OSS_STANDARD.items()))
)


def round_half_up(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def row_net(price: Decimal, quantity: Decimal) -> Decimal:
    """A row's net as Fortnox books it."""
    return round_half_up(Decimal(price) * Decimal(quantity))


def vat_by_rate(rows: Iterable[tuple[Decimal, Decimal]]) -> dict[Decimal, Decimal]:
    """(row net, VAT percent) rows → VAT per percent as Fortnox books it (see ROUNDING in the docstring)."""
    nets: dict[Decimal, Decimal] = {}
    for net, rate in rows:
        key = Decimal(rate).normalize()
        nets[key] = nets.get(key, Decimal(0)) + Decimal(net)
    return {rate: round_half_up(net * rate / 100) for rate, net in nets.items()}
