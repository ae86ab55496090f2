"""VismaNetErp's items, stock and documents-out part (mixed into integrations/visma_net/adapter.py)."""


class VismaNetItems:
    client = None  # the VismaNetClient, set by VismaNetErp
