import pytest

from integrations.centra import sandbox
from integrations.centra.client import CentraClient
from integrations.http import RetryPolicy
from tests.fakes import FakeClock


@pytest.fixture(autouse=True)
def _centra_rate_limits_reset():
    sandbox.rate_limits_reset()
    yield
    sandbox.rate_limits_reset()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(centra_connection, clock):
    """A client of the in-process Centra sandbox that never really sleeps."""
    return CentraClient(
        centra_connection,
        clock=clock,
        policy=RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, jitter=0.0),
    )


def order_node(number: int, **overrides) -> dict:
    """A small retail order as Centra shows it: one line of 2 × 100.00 SEK incl. 25 % VAT, 59.00 shipping."""
    node = {
        "number": number,
        "status": "SHIPPED",
        "createdAt": "2026-03-01T10:00:00+00:00",
        "updatedAt": "2026-03-02T10:00:00+00:00",
        "store": {"type": "DIRECT_TO_CONSUMER"},
        "grandTotal": {"value": "259.00", "currency": {"code": "SEK"}},
        "totals": {
            "grandTotal": {"value": "259.00"},
            "shipping": {"value": "59.00"},
            "taxIncluded": {"value": "51.80"},
            "taxAdded": {"value": "0.00"},
        },
        "shippingPriceGroup": {"shippingOption": {"id": "1", "name": "Standard", "uri": "standard"}},
        "paymentMethod": {"uri": "klarna-checkout", "plugin": "kco3"},
        "customer": {"id": "7", "email": "anna@example.se", "firstName": "Anna", "lastName": "Berg"},
        "billingAddress": {
            "firstName": "Anna",
            "lastName": "Berg",
            "address1": "Storgatan 1",
            "city": "Stockholm",
            "zipCode": "114 55",
            "country": {"code": "SE"},
            "email": "anna@example.se",
        },
        "lines": [
            {
                "id": f"{number}01",
                "quantity": 2,
                "taxPercent": "25",
                "discountPercent": "0",
                "productName": "Merino T-shirt",
                "productVariantName": "Black",
                "productSize": {"id": "92003", "SKU": "1001-BLK-M", "sizeNumber": "M", "description": "M"},
                "product": {"id": "90001", "productNumber": "1001"},
                "productVariant": {"id": "91001", "variantNumber": "BLK"},
                "unitOriginalPrice": {"value": "100.00"},
                "unitPrice": {"value": "100.00"},
                "lineValue": {"value": "200.00"},
            }
        ],
    }
    node.update(overrides)
    return node
