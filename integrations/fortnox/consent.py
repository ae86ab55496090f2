"""Fortnox consent: the scopes Koppla asks for follow the flows that use the connection; the tenant id after it.

Fortnox fixes a token's scopes when the user consents (api-notes § A1), so Connect asks for what the
flows of the integrations using the connection as their ERP call, and shows why before the consent page.
Which scope each flow needs follows the endpoints FortnoxErp calls (the scope of each endpoint:
errors.SCOPES, Fortnox's scope names):

- orders: invoice (invoices created, found and booked), customer (the order's customer found or created);
  order too when the integration sends its orders as Fortnox orders (Integration.order_document);
- customers: customer;
- refunds: invoice (credit invoices created, found and booked), customer (the refunded customer's invoices);
- documents: invoice (invoices and credit invoices read for the shop);
- payouts: payment (invoice payments created, found and booked), invoice (the paid invoice read for its
  currency and date, a customer's credit invoices searched). No bookkeeping: a fee is written off inside
  the invoice payment (its WriteOffs, api-notes § A6); no voucher or account is read;
- products: article;
- stock: article; warehouse too when stock points are listed (Integration.stock_erp_warehouses), as stock
  balances and stock points are the warehouse module's;
- always companyinformation: the company's DatabaseNumber is read after the consent (the tenant id that
  service-account client credentials send) and "Test connection" reads it.

After the consent, `connection_tenant_id_read` stores that DatabaseNumber in Connection.tenant_id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction

from integrations.clients import client_for
from integrations.http import RemoteError
from integrations.models import Connection

COMPANY_INFORMATION = "companyinformation"
WAREHOUSE = "warehouse"
ORDER = "order"
# Integration.order_document's value for orders sent as sales orders (sync.models.OrderDocument.SALES_ORDER).
SALES_ORDER_DOCUMENT = "sales_order"
# The order the consent page lists scopes in.
SCOPE_ORDER = (COMPANY_INFORMATION, "customer", "invoice", ORDER, "payment", "article", WAREHOUSE)
# flow name (sync's Flow values) → (scope, what the flow does with it)
FLOW_SCOPES: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (("invoice", "creates, finds and books invoices"), ("customer", "finds or creates the customer")),
    "customers": (("customer", "finds, creates and updates customers"),),
    "refunds": (
        ("invoice", "creates, finds and books credit invoices"),
        ("customer", "finds the refunded customer's credit invoices"),
    ),
    "documents": (("invoice", "reads invoices and credit invoices"),),
    "payouts": (
        ("payment", "books payments on invoices, with fees written off"),
        ("invoice", "reads the paid invoice"),
    ),
    "products": (("article", "reads articles"),),
    "stock": (("article", "reads articles' stock"),),
}
SALES_ORDER_REASON = "creates and finds orders (the integration sends its orders as Fortnox orders)"
STOCK_POINTS_REASON = "reads the stock at the listed stock points (warehouse module)"
COMPANY_REASON = "reads the company's DatabaseNumber after the consent (the tenant id); Test connection reads it"


@dataclass(frozen=True)
class ScopeNeed:
    """One scope to ask for and why: `reasons` are lines such as "Orders → ERP invoices: creates … invoices"."""

    scope: str
    reasons: tuple[str, ...]


def consent_scopes(
    flows: Iterable[str],
    *,
    stock_points: bool = False,
    sales_orders: bool = False,
    labels: Mapping[str, str] | None = None,
) -> list[ScopeNeed]:
    """The Fortnox scopes `flows` need, companyinformation first, each with the flows that need it.

    flows: flow names as sync's Flow values ("orders", "stock"…); labels: flow name → its display name
    (default: the name capitalised). stock_points: the stock flow reads listed stock points, so it also
    needs "warehouse". sales_orders: the orders flow sends Fortnox orders (the integration's order document),
    so it needs "order". Raises ValueError for a flow name Fortnox serves no scope for.
    """
    labels = labels or {}
    reasons: dict[str, list[str]] = {COMPANY_INFORMATION: [f"Every connection: {COMPANY_REASON}"]}
    for flow in dict.fromkeys(flows):
        if flow not in FLOW_SCOPES:
            raise ValueError(f"'{flow}' is not a flow Koppla knows Fortnox scopes for ({', '.join(FLOW_SCOPES)}).")
        label = labels.get(flow) or flow.capitalize()
        needs = list(FLOW_SCOPES[flow])
        if flow == "stock" and stock_points:
            needs.append((WAREHOUSE, STOCK_POINTS_REASON))
        if flow == "orders" and sales_orders:
            needs.append((ORDER, SALES_ORDER_REASON))
        for scope, why in needs:
            reasons.setdefault(scope, []).append(f"{label}: {why}")
    return [ScopeNeed(scope, tuple(reasons[scope])) for scope in SCOPE_ORDER if scope in reasons]


@dataclass(frozen=True)
class ConsentPlan:
    """What Connect asks Fortnox for: the scopes with their reasons, and the flows they were read from.

    flows: display names of the switched-on flows read; every_flow: none is switched on yet, so the scopes
    of every flow are asked for (a later Connect with the flows switched on asks for less).
    """

    needs: list[ScopeNeed]
    flows: list[str] = field(default_factory=list)
    every_flow: bool = False

    @property
    def scopes(self) -> list[str]:
        return [need.scope for need in self.needs]


def consent_plan(*, connection: Connection) -> ConsentPlan:
    """The scopes the flows switched on in the integrations that use `connection` as their ERP need.

    An integration's stock flow needs "warehouse" when the integration lists stock points (stock ERP
    warehouses). With no flow switched on yet (a connection set up before its integrations), every flow's
    scopes are asked for, "warehouse" when any of its integrations lists stock points.
    """
    integrations = list(connection.erp_integrations.prefetch_related("flows").order_by("name"))
    flows: list[str] = []
    labels: dict[str, str] = {}
    stock_points = sales_orders = False
    for integration in integrations:
        for switch in integration.flows.all():
            if not switch.enabled:
                continue
            flows.append(switch.flow)
            labels[switch.flow] = switch.get_flow_display()
            if switch.flow == "stock" and integration.stock_erp_warehouses.strip():
                stock_points = True
            if switch.flow == "orders" and integration.order_document == SALES_ORDER_DOCUMENT:
                sales_orders = True
    if flows:
        shown = [labels[flow] for flow in dict.fromkeys(flows)]
        needs = consent_scopes(flows, stock_points=stock_points, sales_orders=sales_orders, labels=labels)
        return ConsentPlan(needs, flows=shown)
    any_points = any(integration.stock_erp_warehouses.strip() for integration in integrations)
    any_orders = any(integration.order_document == SALES_ORDER_DOCUMENT for integration in integrations)
    return ConsentPlan(consent_scopes(FLOW_SCOPES, stock_points=any_points, sales_orders=any_orders), every_flow=True)


@dataclass(frozen=True)
class TenantRead:
    """The outcome of reading the tenant id: `ok`, and the sentence for the admin message."""

    ok: bool
    message: str


def connection_tenant_id_read(*, connection: Connection) -> TenantRead:
    """Read GET /3/companyinformation's DatabaseNumber and store it as the connection's tenant id.

    Called right after a consent: the tenant id is what service-account client credentials send
    (TenantId, api-notes § A1). A tenant id already stored and equal is kept; a different one is replaced
    (the consent was given for another company) and the message says so. A failed read stores nothing.
    """
    try:
        info = client_for(connection).company_information()
    except RemoteError as exc:
        return TenantRead(False, f"its tenant id (DatabaseNumber) could not be read from Fortnox: {exc.message}")
    number = str(info.get("DatabaseNumber") or "").strip()
    company = info.get("CompanyName") or "the company"
    if not number:
        return TenantRead(False, f"Fortnox's company information of {company} has no DatabaseNumber: no tenant id.")
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        before = locked.tenant_id
        if before != number:
            locked.tenant_id = number
            locked.save(update_fields=["tenant_id", "updated_at"])
    connection.tenant_id = number
    if before and before != number:
        return TenantRead(
            True,
            f"the consent was given for {company}, tenant id {number}, not the tenant {before} stored before: "
            f"the tenant id is now {number}.",
        )
    return TenantRead(True, f"tenant id {number} ({company}, its DatabaseNumber) is stored for service accounts.")
