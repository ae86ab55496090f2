"""VismaNetErp's payments part (mixed into integrations/visma_net/adapter.py)."""


class VismaNetPayments:
    client = None  # the VismaNetClient, set by VismaNetErp
