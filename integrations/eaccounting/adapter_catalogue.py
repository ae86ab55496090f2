"""EAccountingShop's articles and customers-in part (capabilities ARTICLE_WRITE, ARTICLE_STOCK, CUSTOMER_WRITE).

Mixed into integrations/eaccounting/adapter.py. Bodies are built in catalogue.py (the facts and their spec
sources are there), passed through `body_finish` ("article", "shop_customer") and checked for lengths
before they are sent. Reference data (account codings, units, terms of payment, the company's currency)
is read once per adapter, that is once per run.
"""

from __future__ import annotations

from integrations.http import ValidationFailed
from sync.drafts import ShopCustomerDraft
from sync.flows.base import RecordFailed
from sync.shop import ShopArticle, ShopCustomer

from .catalogue import (
    ARTICLE_LIMITS,
    article_body,
    article_changes_body,
    article_from_eaccounting,
    article_replaced,
    coding_for,
    customer_body,
    customer_problems,
    customer_replaced,
    json_ready,
    shop_customer_of,
    terms_for_new_customers,
    too_long,
    unit_for,
)
from .reading import text


class EAccountingCatalogue:
    client = None  # the EAccountingClient, set by EAccountingShop
    _reference: dict | None = None

    def _read(self, name: str, read) -> list[dict]:
        if self._reference is None:
            self._reference = {}
        if name not in self._reference:
            self._reference[name] = list(read())
        return self._reference[name]

    # -- articles --------------------------------------------------------------------
    def _company_currency(self) -> str:
        return self.base_currency  # EAccountingShop's, read once

    def _coding_and_unit(self, number: str, fields: dict) -> tuple[str, str]:
        codings = self._read("codings", self.client.coding_list)
        coding = coding_for(codings, fields.get("vat_rate"))
        if coding is None:
            rates = sorted({text(c.get("VatRatePercent")) for c in codings if text(c.get("Type")).lower() == "goods"})
            raise RecordFailed(
                f"Item {number}: eAccounting has no active goods account coding at {fields.get('vat_rate')} % VAT "
                f"(goods codings at: {', '.join(rates) or 'none'}). Add one in eAccounting or change the item's VAT "
                "category in the ERP."
            )
        units = self._read("units", self.client.unit_list)
        unit = unit_for(units, fields.get("unit") or "")
        if unit is None:
            names = ", ".join(text(u.get("Abbreviation") or u.get("Name")) for u in units) or "none"
            raise RecordFailed(
                f"Item {number}: eAccounting has no unit '{fields.get('unit')}' (its units: {names}). Add the unit in "
                "eAccounting or change the item's sales unit in the ERP."
            )
        return text(coding.get("Id")), text(unit.get("Id"))

    def _article_checked(self, number: str, body: dict) -> dict:
        body = self.body_finish("article", body)
        problems = too_long(body, ARTICLE_LIMITS, what=f"Item {number}")
        if problems:
            raise RecordFailed(
                f"{'; '.join(problems)}. Nothing was written: shorten it in the ERP, or add a field rule that "
                "truncates it (Mappings › Field rules)."
            )
        return body

    def _article_currency_check(self, number: str, fields: dict) -> None:
        currency = fields.get("currency") or ""
        if fields.get("price") is not None and currency and currency != self._company_currency():
            raise RecordFailed(
                f"Item {number}: the ERP's price is in {currency}, but eAccounting sells articles in "
                f"{self._company_currency()}. Untick 'Update product price' on the integration and price the "
                "articles in eAccounting."
            )

    def article_find(self, number: str) -> ShopArticle | None:
        node = self.client.article_find(number)
        return None if node is None else article_from_eaccounting(node, currency=self._company_currency())

    def article_request(self, *, number: str, fields: dict) -> dict:
        """The POST /articles body (CodingId by the item's VAT rate, UnitId by its unit: catalogue.py)."""
        self._article_currency_check(number, fields)
        coding_id, unit_id = self._coding_and_unit(number, fields)
        body = article_body(number=number, fields=fields, coding_id=coding_id, unit_id=unit_id)
        return self._article_checked(number, body)

    def article_create(self, *, number: str, fields: dict) -> ShopArticle:
        node = self.client.article_create(json_ready(self.article_request(number=number, fields=fields)))
        return article_from_eaccounting(node, currency=self._company_currency())

    def _article_node(self, article_id: str) -> dict:
        node = self.client.article_get(article_id)
        if node is None:
            raise RecordFailed(f"Article {article_id} is not in eAccounting any more (deleted there).")
        return node

    def article_update(self, article_id: str, *, fields: dict) -> None:
        """Only `fields` change; the article's other values are sent back as read (PUT replaces it)."""
        node = self._article_node(article_id)
        number = text(node.get("Number"))
        self._article_currency_check(number, fields)
        body = self._article_checked(number, article_replaced(node, article_changes_body(fields)))
        self.client.article_replace(article_id, json_ready(body))

    def article_stock_set(self, article_id: str, *, quantity: int) -> None:
        """StockBalance set on the article (PUT); refused for a stock article (the stock module keeps it)."""
        node = self._article_node(article_id)
        number = text(node.get("Number"))
        if node.get("IsStock"):
            raise ValidationFailed(
                f"Article {number} is a stock article in eAccounting: its stock module keeps the balance, which the "
                "API does not let Koppla set (ArticleApi.StockBalance is read-only with the stock module). Switch "
                "the Stock flow off, or book the stock in eAccounting.",
                system="eaccounting",
            )
        self.client.article_replace(article_id, json_ready(article_replaced(node, {"StockBalance": quantity})))

    # -- customers -------------------------------------------------------------------
    def customer_find_by_email(self, email: str) -> list[ShopCustomer]:
        return [shop_customer_of(node) for node in self.client.customer_find_by_email(email)]

    def _customer_what(self, draft: ShopCustomerDraft) -> str:
        return f"Customer {draft.erp_number or draft.email}"

    def shop_customer_request(self, draft: ShopCustomerDraft) -> dict:
        return self.body_finish("shop_customer", customer_body(draft))

    def shop_customer_problems(self, draft: ShopCustomerDraft) -> list[str]:
        return customer_problems(self.shop_customer_request(draft), what=self._customer_what(draft))

    def shop_customer_create(self, draft: ShopCustomerDraft) -> str:
        terms = terms_for_new_customers(self._read("terms", self.client.terms_list))
        if terms is None:
            raise RecordFailed(
                f"{self._customer_what(draft)}: eAccounting has no normal terms of payment for sales to give a new "
                "customer. Add one in eAccounting."
            )
        body = {**self.shop_customer_request(draft), "TermsOfPaymentId": text(terms.get("Id"))}
        node = self.client.customer_create(json_ready(body))
        return text(node.get("Id"))

    def shop_customer_update(self, customer_id: str, draft: ShopCustomerDraft) -> None:
        node = self.client.customer_get(customer_id)
        if node is None:
            raise RecordFailed(f"Customer {customer_id} is not in eAccounting any more (deleted there).")
        body = customer_replaced(node, self.shop_customer_request(draft))
        self.client.customer_replace(customer_id, json_ready(body))
