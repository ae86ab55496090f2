"""The demo company in the eAccounting emulator: a Swedish shop selling clothes, books and groceries.

`seed()` fills the sandbox once (it does nothing when orders exist, so a demo keeps what changed):
- reference data: the unit "st", terms of payment (30 and 10 days, card), VAT codes, and article
  account codings for goods at 25, 12 and 6 % and services at 25 %;
- twelve articles (Number = the SKU) with prices excluding VAT, stock balances, and the service article
  FRAKT (shipping, 25 %);
- ten customers with e-mails: company customers with a contact person (Sweden; Germany and Finland with
  VAT numbers, so reverse charge at 0 %) and private persons (Sweden, Denmark, Germany, the Netherlands:
  Swedish VAT, the company does not use OSS);
- twenty orders in every status (1 Draft, 2 Ongoing, 3 Shipped, 4 Invoiced), SEK and EUR, each with a
  shipping row, several with a row discount; the invoiced ones have customer invoices (CreatedFromOrderId)
  paid (PaymentStatus 0) or unpaid (1; one is past its due date, so it reads as 2 Overdue), and two credit
  invoices (IsCreditInvoice) credit the invoices of orders 1 and 5 in full.
Dates are relative to today, so unpaid invoices stay unpaid rather than overdue whenever the demo runs.
Amounts follow sandbox.py's money rules and are exact to the cent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from integrations.sandbox import store

from . import sandbox
from .oauth_sandbox import client_register

D = Decimal
DEMO_CLIENT_ID = "koppla-eaccounting-demo"
DEMO_CLIENT_SECRET = "koppla-eaccounting-demo-secret"
EUR_RATE = D("11.50")

UNIT_ID = "0d3a1c55-5b1e-4f0e-8a51-ea0000000101"
TERMS = {
    "30": {"Id": "0d3a1c55-5b1e-4f0e-8a51-ea0000000201", "Name": "30 dagar netto", "NameEnglish": "30 days net",
           "NumberOfDays": 30, "TermsOfPaymentTypeId": 0, "TermsOfPaymentTypeText": "Normal"},
    "10": {"Id": "0d3a1c55-5b1e-4f0e-8a51-ea0000000202", "Name": "10 dagar netto", "NameEnglish": "10 days net",
           "NumberOfDays": 10, "TermsOfPaymentTypeId": 0, "TermsOfPaymentTypeText": "Normal"},
    "card": {"Id": "0d3a1c55-5b1e-4f0e-8a51-ea0000000203", "Name": "Kortbetalning", "NameEnglish": "Card payment",
             "NumberOfDays": 0, "TermsOfPaymentTypeId": 3, "TermsOfPaymentTypeText": "CardPayment"},
}  # fmt: skip
CODINGS = {
    "goods25": ("0d3a1c55-5b1e-4f0e-8a51-ea0000000301", "Varor 25 % moms", "Goods 25 % VAT", "Goods", "25", D("0.25"), 3001),
    "goods12": ("0d3a1c55-5b1e-4f0e-8a51-ea0000000302", "Varor 12 % moms", "Goods 12 % VAT", "Goods", "12", D("0.12"), 3002),
    "goods6": ("0d3a1c55-5b1e-4f0e-8a51-ea0000000303", "Varor 6 % moms", "Goods 6 % VAT", "Goods", "6", D("0.06"), 3003),
    "service25": ("0d3a1c55-5b1e-4f0e-8a51-ea0000000304", "Tjänster 25 % moms", "Services 25 % VAT", "Service", "25", D("0.25"), 3041),
}  # fmt: skip
# (code, description, rate, accounts)
VAT_CODES = [
    ("10", "Utgående moms 25 %", D("0.25"), (2611, None, None)),
    ("11", "Utgående moms 12 %", D("0.12"), (2621, None, None)),
    ("12", "Utgående moms 6 %", D("0.06"), (2631, None, None)),
    ("39", "Försäljning av varor till annat EU-land, omvänd skattskyldighet", D("0"), (3108, None, None)),
    ("36", "Försäljning av varor utanför EU", D("0"), (3105, None, None)),
]
# (Number = SKU, name, coding, net price SEK, EUR net price, stock)
ARTICLES = [
    ("1001", "T-shirt ekologisk bomull", "goods25", D("199.20"), D("17.50"), 120),
    ("1002", "Hoodie grå", "goods25", D("479.20"), D("41.60"), 40),
    ("1003", "Jeans raka ben", "goods25", D("639.20"), D("55.60"), 35),
    ("1004", "Strumpor 3-pack", "goods25", D("79.20"), D("6.90"), 300),
    ("1005", "Keps", "goods25", D("159.20"), D("13.80"), 60),
    ("1006", "Halsduk ull", "goods25", D("239.20"), D("20.80"), 25),
    ("2001", "Bok: Svenska fåglar", "goods6", D("235.85"), D("20.50"), 80),
    ("2002", "Bok: Kokboken", "goods6", D("282.08"), D("24.50"), 50),
    ("3001", "Knäckebröd råg", "goods12", D("44.64"), D("3.90"), 500),
    ("3002", "Kaffe mellanrost 500 g", "goods12", D("89.29"), D("7.80"), 200),
    ("3003", "Mörk choklad 70 %", "goods12", D("35.71"), D("3.10"), 400),
    (sandbox.FREIGHT_NUMBER, "Frakt", "service25", D("39.20"), D("4.00"), 0),
]
CONTACT = ("ContactPersonName", "ContactPersonEmail", "ContactPersonPhone")
CUSTOMERS = {
    "nordisk": {"Name": "Nordisk Inredning AB", "IsPrivatePerson": False, "CorporateIdentityNumber": "556677-8899",
                "VatNumber": "SE556677889901", "EmailAddress": "order@nordiskinredning.se",
                "InvoiceAddress1": "Hantverkargatan 5", "InvoicePostalCode": "112 21", "InvoiceCity": "Stockholm",
                "InvoiceCountryCode": "SE", "Telephone": "+46 8 123 45 60", "terms": "30",
                "contact": ("Karin Lund", "karin.lund@nordiskinredning.se", "+46 70 111 22 33")},
    "gota": {"Name": "Göta Kaffe & Bok AB", "IsPrivatePerson": False, "CorporateIdentityNumber": "559012-3456",
             "VatNumber": "SE559012345601", "EmailAddress": "inkop@gotakaffe.se",
             "InvoiceAddress1": "Vallgatan 12", "InvoicePostalCode": "411 16", "InvoiceCity": "Göteborg",
             "InvoiceCountryCode": "SE", "terms": "30", "contact": ("Per Holm", "per.holm@gotakaffe.se", "+46 31 70 80 90")},
    "berlin": {"Name": "Berliner Buchhandel GmbH", "IsPrivatePerson": False, "VatNumber": "DE123456789",
               "EmailAddress": "einkauf@berliner-buch.de", "InvoiceAddress1": "Friedrichstraße 100",
               "InvoicePostalCode": "10117", "InvoiceCity": "Berlin", "InvoiceCountryCode": "DE",
               "CurrencyCode": "EUR", "terms": "30", "contact": ("Jonas Weber", "j.weber@berliner-buch.de", "+49 30 1234567")},
    "helsinki": {"Name": "Helsingin Kahvi Oy", "IsPrivatePerson": False, "VatNumber": "FI12345678",
                 "EmailAddress": "tilaukset@helsinginkahvi.fi", "InvoiceAddress1": "Mannerheimintie 10",
                 "InvoicePostalCode": "00100", "InvoiceCity": "Helsinki", "InvoiceCountryCode": "FI",
                 "CurrencyCode": "EUR", "terms": "10", "contact": ("Aino Virtanen", "aino.virtanen@helsinginkahvi.fi", "+358 9 123 456")},
    "anna": {"Name": "Anna Svensson", "IsPrivatePerson": True, "EmailAddress": "anna.svensson@example.se",
             "InvoiceAddress1": "Storgatan 1", "InvoicePostalCode": "111 22", "InvoiceCity": "Stockholm",
             "InvoiceCountryCode": "SE", "MobilePhone": "+46 70 123 45 67", "terms": "card"},
    "erik": {"Name": "Erik Nilsson", "IsPrivatePerson": True, "EmailAddress": "erik.nilsson@example.se",
             "InvoiceAddress1": "Södra Förstadsgatan 20", "InvoicePostalCode": "211 43", "InvoiceCity": "Malmö",
             "InvoiceCountryCode": "SE", "terms": "10"},
    "sofia": {"Name": "Sofia Berg", "IsPrivatePerson": True, "EmailAddress": "sofia.berg@example.se",
              "InvoiceAddress1": "Dragarbrunnsgatan 3", "InvoicePostalCode": "753 20", "InvoiceCity": "Uppsala",
              "InvoiceCountryCode": "SE", "terms": "card"},
    "mette": {"Name": "Mette Jensen", "IsPrivatePerson": True, "EmailAddress": "mette.jensen@example.dk",
              "InvoiceAddress1": "Nørregade 7", "InvoicePostalCode": "1165", "InvoiceCity": "København",
              "InvoiceCountryCode": "DK", "terms": "card"},
    "lukas": {"Name": "Lukas Schmidt", "IsPrivatePerson": True, "EmailAddress": "lukas.schmidt@example.de",
              "InvoiceAddress1": "Leopoldstraße 50", "InvoicePostalCode": "80802", "InvoiceCity": "München",
              "InvoiceCountryCode": "DE", "CurrencyCode": "EUR", "terms": "card"},
    "emma": {"Name": "Emma de Vries", "IsPrivatePerson": True, "EmailAddress": "emma.devries@example.nl",
             "InvoiceAddress1": "Prinsengracht 200", "InvoicePostalCode": "1016 HD", "InvoiceCity": "Amsterdam",
             "InvoiceCountryCode": "NL", "CurrencyCode": "EUR", "terms": "10"},
}  # fmt: skip
# (customer, days ago, status, rows [(SKU, quantity, discount 0..1)], invoice: None | "paid" | "unpaid", credited)
ORDERS = [
    ("anna", 40, 4, [("1001", 2, 0), ("2001", 1, 0)], "paid", True),
    ("erik", 38, 4, [("1002", 1, D("0.10")), ("3001", 3, 0)], "paid", False),
    ("nordisk", 36, 4, [("1003", 5, D("0.15")), ("1004", 10, 0)], "unpaid", False),
    ("gota", 30, 4, [("3002", 10, D("0.05")), ("2002", 4, 0)], "paid", False),
    ("berlin", 28, 4, [("2001", 6, D("0.10")), ("2002", 6, D("0.10"))], "paid", True),
    ("sofia", 25, 4, [("1005", 1, 0), ("3003", 5, 0)], "paid", False),
    ("lukas", 22, 4, [("1001", 1, 0), ("1006", 1, 0)], "paid", False),
    ("helsinki", 8, 4, [("3002", 20, D("0.10"))], "unpaid", False),
    ("emma", 18, 4, [("2001", 2, 0)], "paid", False),
    ("gota", 15, 4, [("1004", 3, 0), ("1005", 1, D("0.20"))], "unpaid", False),
    ("nordisk", 12, 4, [("1002", 4, D("0.10"))], "unpaid", False),
    ("mette", 10, 3, [("1003", 1, 0)], None, False),
    ("gota", 8, 3, [("3001", 12, 0), ("3003", 24, D("0.05"))], None, False),
    ("sofia", 6, 2, [("2002", 1, 0), ("1001", 1, 0)], None, False),
    ("lukas", 5, 2, [("1002", 1, 0)], None, False),
    ("berlin", 4, 2, [("2001", 10, D("0.10"))], None, False),
    ("anna", 3, 1, [("1006", 1, 0)], None, False),
    ("emma", 2, 1, [("1004", 2, 0)], None, False),
    ("helsinki", 1, 2, [("3002", 5, 0)], None, False),
    ("erik", 1, 4, [("2001", 1, 0), ("3001", 2, 0)], "paid", False),
]


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 15), tzinfo=UTC)


def _reference_data() -> None:
    sandbox.reference_put(
        sandbox.UNIT, {"Id": UNIT_ID, "Name": "Styck", "Code": "ST", "Abbreviation": "st", "AbbreviationEnglish": "pcs"}
    )
    for terms in TERMS.values():
        sandbox.reference_put(sandbox.TERMS, {**terms, "AvailableForSales": True, "AvailableForPurchase": True})
    for index, (code, description, rate, accounts) in enumerate(VAT_CODES, start=1):
        sandbox.reference_put(
            sandbox.VAT_CODE,
            {
                "Id": f"0d3a1c55-5b1e-4f0e-8a51-ea00000004{index:02d}",
                "Code": code,
                "Description": description,
                "VatRate": sandbox.num(rate),
                "OssCodeType": 0,
                "RelatedAccounts": {"AccountNumber1": accounts[0], "AccountNumber2": None, "AccountNumber3": None},
            },
        )
    for coding_id, name, english, kind, code, rate, account in CODINGS.values():
        sandbox.reference_put(
            sandbox.CODING,
            {
                "Id": coding_id,
                "Name": name,
                "NameEnglish": english,
                "Type": kind,
                "VatRate": code,
                "IsActive": True,
                "VatRatePercent": sandbox.num(rate),
                "DomesticSalesSubjectToReversedConstructionVatAccountNumber": 3231,
                "DomesticSalesSubjectToVatAccountNumber": account,
                "DomesticSalesVatExemptAccountNumber": 3004,
                "ForeignSalesSubjectToMossAccountNumber": 3106,
                "ForeignSalesSubjectToThirdPartySalesAccountNumber": 3107,
                "ForeignSalesSubjectToVatWithinEuAccountNumber": 3108,
                "ForeignSalesVatExemptOutsideEuAccountNumber": 3105,
                "ForeignSalesVatExemptWithinEuAccountNumber": 3108,
                "DomesticSalesVatCodeExemptAccountNumber": 3004,
                "ChangedUtc": sandbox.stamp(),
            },
        )


def _articles() -> dict[str, dict]:
    made = {}
    for number, name, coding, net, _eur, stock in ARTICLES:
        made[number] = sandbox.article_save(
            {
                "Number": number,
                "Name": name,
                "IsActive": True,
                "CodingId": CODINGS[coding][0],
                "UnitId": UNIT_ID,
                "NetPrice": net,
                "StockBalance": stock,
                "PurchasePrice": sandbox.num(sandbox.q2(net * D("0.4"))),
            }
        )
    return made


def _customers() -> dict[str, dict]:
    made = {}
    for key, spec in CUSTOMERS.items():
        fields = {k: v for k, v in spec.items() if k not in ("terms", "contact")}
        if "contact" in spec:
            fields.update(zip(CONTACT, spec["contact"], strict=True))
        made[key] = sandbox.customer_save({**fields, "IsActive": True, "TermsOfPaymentId": TERMS[spec["terms"]]["Id"]})
    return made


def seed(today: date | None = None) -> dict:
    """Fill the demo company once; returns {"customers": {key: Id}, "articles": {SKU: Id}, "orders": [Id],
    "invoices": [Id], "credit_invoices": [Id]} (empty lists when it was seeded before)."""
    client_register(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    if store.obj_count(sandbox.SYSTEM, sandbox.ORDER):
        return {"customers": {}, "articles": {}, "orders": [], "invoices": [], "credit_invoices": []}
    today = today or date.today()
    with sandbox._atomic():
        sandbox.company_settings_set()
        _reference_data()
        articles = _articles()
        customers = _customers()
        eur_prices = {number: eur for number, _n, _c, _net, eur, _s in ARTICLES}
        orders, invoices, credits = [], [], []
        for key, days_ago, status, rows, invoice, credited in ORDERS:
            customer = customers[key]
            currency = customer["CurrencyCode"]
            day = today - timedelta(days=days_ago)
            lines = [
                {"ArticleNumber": sku, "Quantity": D(quantity), "DiscountPercentage": D(discount)}
                for sku, quantity, discount in [*rows, (sandbox.FREIGHT_NUMBER, 1, 0)]
            ]
            if currency == "EUR":
                lines = [{**line, "UnitPrice": eur_prices[line["ArticleNumber"]]} for line in lines]
            order = sandbox.order_create(
                customer_id=customer["Id"],
                rows=lines,
                order_date=day,
                status=min(status, 3),
                currency=currency,
                modified=_moment(day, 9),
                BuyersOrderReference=f"WEB-{7000 + len(orders) + 1}",
            )
            orders.append(order["Id"])
            if status == 4:
                paid_on = day + timedelta(days=1) if invoice == "paid" else None
                made = sandbox.invoice_from_order(
                    order["Id"],
                    invoice_date=day,
                    paid_on=paid_on,
                    currency_rate=EUR_RATE if currency == "EUR" else D(1),
                    modified=_moment(paid_on or day, 14),
                )
                invoices.append(made["Id"])
                if credited:
                    credit = sandbox.credit_invoice_create(
                        made["Id"], invoice_date=day + timedelta(days=5), modified=_moment(day + timedelta(days=5), 11)
                    )
                    credits.append(credit["Id"])
    return {
        "customers": {key: c["Id"] for key, c in customers.items()},
        "articles": {number: a["Id"] for number, a in articles.items()},
        "orders": orders,
        "invoices": invoices,
        "credit_invoices": credits,
    }
