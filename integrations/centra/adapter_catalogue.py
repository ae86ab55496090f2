"""CentraShop's catalogue, stock and order-attribute part (mixed into integrations/centra/adapter.py)."""


class CentraCatalogue:
    client = None  # the CentraClient, set by CentraShop
