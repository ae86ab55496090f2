"""Puts records into the in-process eAccounting sandbox for the ShopPort contract suite (test_shop_port.py).

The suite's records are shaped like a web shop's: an order of two T-shirts at 100.00 and 59.00 shipping,
prices including 25 % VAT (a private customer of a company showing prices with VAT: IncludesVat), 259.00
in all; a refund of one T-shirt, 100.00. eAccounting keeps them as an order with an article row and a
freight row (FRAKT), and a credit invoice crediting part of the order's invoice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from integrations.eaccounting import demo_data, sandbox
from integrations.sandbox import store

STATUS = {"Draft": 1, "Ongoing": 2, "Shipped": 3, "Invoiced": 4}
SKU = "1001-BLK-M"


class EAccountingSandboxShop:
    shipped = "Shipped"
    other_status = "Draft"

    def __init__(self):
        self.sandbox = sandbox
        demo_data._reference_data()  # units, terms of payment, VAT codes, article codings
        for number, name, price in ((SKU, "T-shirt black M", "80.00"), (sandbox.FREIGHT_NUMBER, "Frakt", "47.20")):
            if sandbox.article_by_number(number) is None:
                coding = demo_data.CODINGS["service25" if number == sandbox.FREIGHT_NUMBER else "goods25"][0]
                sandbox.article_save(
                    {"Number": number, "Name": name, "IsActive": True, "CodingId": coding, "UnitId": demo_data.UNIT_ID,
                     "NetPrice": Decimal(price)}
                )  # fmt: skip
        self._anna: dict | None = None

    # -- customers -----------------------------------------------------------------------
    def _customer_fields(self, *, email: str, company: str = "") -> dict:
        fields = {
            "Name": company or "Anna Andersson",
            "IsPrivatePerson": not company,
            "EmailAddress": email,
            "InvoiceAddress1": "Storgatan 1",
            "InvoicePostalCode": "111 22",
            "InvoiceCity": "Stockholm",
            "InvoiceCountryCode": "SE",
            "IsActive": True,
            "TermsOfPaymentId": demo_data.TERMS["card"]["Id"],
        }
        if company:
            fields.update(ContactPersonName="Port Test", ContactPersonEmail=email)
        return fields

    @property
    def anna(self) -> dict:
        if self._anna is None:
            self._anna = sandbox.customer_save(self._customer_fields(email="anna@example.se"))
        return self._anna

    def customer(self, customer_id: str, *, email: str, updated: datetime, company: str = ""):
        sandbox.customer_save(self._customer_fields(email=email, company=company), key=customer_id, changed=updated)

    # -- orders ----------------------------------------------------------------------------
    def _built(self, number: int, *, updated: datetime, status: str = "", created: date | None = None) -> dict:
        """The order as eAccounting computes it: 2 × 80.00 and 47.20 freight, net; 51.80 VAT; 259.00."""
        return sandbox.order_build(
            customer_id=self.anna["Id"],
            customer=self.anna,
            rows=[
                {"ArticleNumber": SKU, "Quantity": Decimal(2), "UnitPrice": Decimal("80.00")},
                {"ArticleNumber": sandbox.FREIGHT_NUMBER, "Quantity": Decimal(1), "UnitPrice": Decimal("47.20")},
            ],
            order_date=created or date(2026, 3, 1),
            status=STATUS[status or self.shipped],
            modified=updated,
            Number=number,
            CreatedUtc=(created or date(2026, 3, 1)).isoformat() + "T10:00:00.000Z",
        )

    @staticmethod
    def _with_vat(order: dict) -> dict:
        """Prices including VAT, as eAccounting shows them to a private customer (IncludesVat): 100.00 and 59.00."""
        rows = [
            {**order["Rows"][0], "UnitPrice": 100.0, "Amount": 200.0},
            {**order["Rows"][1], "UnitPrice": 59.0, "Amount": 59.0},
        ]
        return {**order, "IncludesVat": True, "Rows": rows}

    def order(self, number: int, *, updated: datetime, status: str = "", created: date | None = None, **changes):
        sandbox.order_put(self._with_vat(self._built(number, updated=updated, status=status, created=created)))

    def orders(self, numbers: range, *, first: datetime):
        sandbox.orders_bulk_put(
            [self._with_vat(self._built(n, updated=first + timedelta(seconds=i))) for i, n in enumerate(numbers)]
        )

    def unreadable_order(self, number: int, *, updated: datetime, monkeypatch):
        """The sandbox keeps only orders the API would: the answer is spoilt on its way in."""
        from integrations.eaccounting.client import EAccountingClient

        self.order(number, updated=updated)

        def spoilt(node):
            if isinstance(node, dict) and str(node.get("Number")) == str(number):
                node = {**node, "Rows": [{**node["Rows"][0], "Quantity": "abc"}, *node["Rows"][1:]]}
            return node

        listing, find, one = EAccountingClient.order_list, EAccountingClient.order_find, EAccountingClient.order_get
        monkeypatch.setattr(EAccountingClient, "order_list", lambda *a, **k: (spoilt(n) for n in listing(*a, **k)))
        monkeypatch.setattr(EAccountingClient, "order_find", lambda *a, **k: spoilt(find(*a, **k)))
        monkeypatch.setattr(EAccountingClient, "order_get", lambda *a, **k: spoilt(one(*a, **k)))

    # -- refunds (credit invoices) -----------------------------------------------------------
    def refund(self, refund_id: str, *, order_number: int, updated: datetime, refunded: bool):
        """A credit invoice of one T-shirt (80.00 + 25 % VAT = 100.00) against the order's invoice; settled
        (PaymentStatus 0) when `refunded`. Its Id is the suite's refund id."""
        order = next(o for o in store.obj_list(sandbox.SYSTEM, sandbox.ORDER) if o["Number"] == order_number)
        invoices = store.obj_list(sandbox.SYSTEM, sandbox.INVOICE)
        invoice = next((i for i in invoices if i.get("CreatedFromOrderId") == order["Id"]), None)
        if invoice is None:  # invoice the order as eAccounting computed it (net prices)
            net = self._built(order_number, updated=updated)
            sandbox.order_put({**net, "Id": order["Id"]})
            invoice = sandbox.invoice_from_order(order["Id"], invoice_date=date(2026, 3, 1), paid_on=date(2026, 3, 1))
        credit = sandbox.credit_invoice_create(
            invoice["Id"], invoice_date=updated.date(), modified=updated, lines={SKU: Decimal(1)}, settled=refunded
        )
        store.obj_delete(sandbox.SYSTEM, sandbox.INVOICE, credit["Id"])
        store.obj_put(sandbox.SYSTEM, sandbox.INVOICE, refund_id, {**credit, "Id": refund_id})
