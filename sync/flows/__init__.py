"""Flow modules, one per flow; `runner_class(flow)` imports the one a run needs."""

from importlib import import_module

from config.errors import ApplicationError

RUNNERS = {
    "orders": "sync.flows.orders.OrdersFlow",
    "customers": "sync.flows.customers.CustomersFlow",
    "products": "sync.flows.products.ProductsFlow",
    "stock": "sync.flows.stock.StockFlow",
    "documents": "sync.flows.documents.DocumentsFlow",
    "refunds": "sync.flows.refunds.RefundsFlow",
    "payouts": "sync.payouts.flow.PayoutsFlow",
    "journal": "sync.flows.journal.JournalFlow",
    "erp_customers": "sync.flows.erp_customers.ErpCustomersFlow",
}


def runner_class(flow: str):
    path = RUNNERS.get(flow)
    if path is None:
        raise ApplicationError(f"Unknown flow '{flow}'.")
    module_path, _, name = path.rpartition(".")
    try:
        module = import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name == module_path:
            raise ApplicationError(f"The {flow} flow is not available in this version of Koppla.") from None
        raise
    return getattr(module, name)
