"""An in-memory shop whose catalogue is flat articles and that takes customers (ArticleShopPort,
CustomerWriteShopPort), for the flows' tests. State lives on the class (adapters are built per run);
the `article_shop` fixture resets it and makes it the adapter of the integration's shop system."""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

from sync import ports
from sync.drafts import ShopCustomerDraft
from sync.shop import ShopAddress, ShopArticle, ShopCustomer

EVERYTHING = frozenset({ports.ARTICLE_WRITE, ports.ARTICLE_STOCK, ports.CUSTOMER_WRITE})


class FakeArticleShop:
    system = "fake_articles"
    display_name = "Fake article shop"
    capabilities = EVERYTHING

    articles: dict[str, ShopArticle] = {}
    customers: dict[str, ShopCustomer] = {}
    drafts: dict[str, ShopCustomerDraft] = {}
    calls: list[tuple] = []
    stock: dict[str, int] = {}
    _ids = itertools.count(1)

    def __init__(self, connection=None, **kwargs):
        self.connection = connection

    @classmethod
    def reset(cls, *, capabilities: frozenset[str] | None = None) -> None:
        cls.articles, cls.customers, cls.drafts, cls.calls, cls.stock = {}, {}, {}, [], {}
        cls._ids = itertools.count(1)
        cls.capabilities = capabilities or EVERYTHING

    @classmethod
    def writes(cls) -> list[tuple]:
        return [c for c in cls.calls if c[0] not in ("article_find", "customer_find_by_email")]

    # -- articles --------------------------------------------------------------------
    def article_find(self, number: str) -> ShopArticle | None:
        self.calls.append(("article_find", number))
        found = next((a for a in self.articles.values() if a.number == number), None)
        return replace(found) if found else None

    def article_request(self, *, number: str, fields: dict) -> dict:
        return {"Number": number, **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()}}

    def article_create(self, *, number: str, fields: dict) -> ShopArticle:
        self.calls.append(("article_create", number, dict(fields)))
        article = ShopArticle(id=f"A{next(self._ids)}", number=number, **fields)
        self.articles[article.id] = article
        return replace(article)

    def article_update(self, article_id: str, *, fields: dict) -> None:
        self.calls.append(("article_update", article_id, dict(fields)))
        article = self.articles[article_id]
        for name, value in fields.items():
            setattr(article, name, value)

    def article_stock_set(self, article_id: str, *, quantity: int) -> None:
        self.calls.append(("article_stock_set", article_id, quantity))
        self.stock[article_id] = quantity

    # -- customers -------------------------------------------------------------------
    def customer_find_by_email(self, email: str) -> list[ShopCustomer]:
        self.calls.append(("customer_find_by_email", email))
        return [c for c in self.customers.values() if c.email.lower() == email.strip().lower()]

    def shop_customer_problems(self, draft: ShopCustomerDraft) -> list[str]:
        return [] if draft.address.city else [f"the customer's city is required (customer {draft.erp_number})"]

    def shop_customer_request(self, draft: ShopCustomerDraft) -> dict:
        return {
            "Name": draft.name,
            "EmailAddress": draft.email,
            "IsPrivatePerson": not draft.is_company,
            "ContactPersonName": draft.contact_name,
            "InvoiceCity": draft.address.city,
            "InvoiceCountryCode": draft.address.country,
        }

    def _store(self, customer_id: str, draft: ShopCustomerDraft) -> None:
        self.drafts[customer_id] = draft
        self.customers[customer_id] = ShopCustomer(
            id=customer_id, email=draft.email, updated_at="", address=draft.address, is_company=draft.is_company
        )

    def shop_customer_create(self, draft: ShopCustomerDraft) -> str:
        self.calls.append(("shop_customer_create", draft.email))
        customer_id = f"C{next(self._ids)}"
        self._store(customer_id, draft)
        return customer_id

    def shop_customer_update(self, customer_id: str, draft: ShopCustomerDraft) -> None:
        self.calls.append(("shop_customer_update", customer_id))
        self._store(customer_id, draft)

    def add_customer(self, email: str, *, city: str = "Malmö") -> str:
        customer_id = f"C{next(self._ids)}"
        self.customers[customer_id] = ShopCustomer(
            id=customer_id, email=email, updated_at="", address=ShopAddress(city=city)
        )
        return customer_id
