"""One name per record, one style: "Invoice 100116 (order 20275)", never "invoice:100116" in text for people."""

import pytest

from sync.models import ExternalRef, RecordLog, SyncRecord
from sync.record_names import binding_name, record_label, record_name, record_name_of_key, record_name_parse


@pytest.mark.parametrize(
    "args, kwargs, name",
    [
        (("order", "20275"), {}, "Order 20275"),
        (("invoice", "100116"), {"order": "20275"}, "Invoice 100116 (order 20275)"),
        (
            ("credit_note", "200001"),
            {"detail": "return 9001", "order": "20275"},
            "Credit note 200001 (return 9001, order 20275)",
        ),
        (("customer", "jane@example.com"), {}, "Customer jane@example.com"),
        (("return", "9001"), {"order": "20275"}, "Return 9001 (order 20275)"),
        (("payout", "PO-1 row 3"), {"detail": "payment", "order": "1001"}, "Payout PO-1 row 3 (payment, order 1001)"),
        (("item", "1001"), {"detail": "SKU 1001-BLK-M"}, "Item 1001 (SKU 1001-BLK-M)"),
    ],
)
def test_record_name(args, kwargs, name):
    assert record_name(*args, **kwargs) == name


@pytest.mark.parametrize(
    "flow, key, name",
    [
        ("documents", "invoice:100116", "Invoice 100116"),
        ("documents", "credit_note:200001", "Credit note 200001"),
        ("documents", "oops", "oops"),
        ("orders", "20275", "Order 20275"),
        ("refunds", "9001", "Return 9001"),
        ("customers", "c-17", "Customer c-17"),
        ("stock", "1001-BLK-M", "Item 1001-BLK-M"),
        ("payouts", "12:3", "Payout #12 row 3"),
    ],
)
def test_a_record_known_only_by_its_key_is_named_without_the_key(flow, key, name):
    assert record_name_of_key(flow, key) == name


@pytest.mark.parametrize(
    "kind, source, target, data, name",
    [
        ("invoice", "20275", "100116", {}, "Invoice 100116 (order 20275)"),
        ("document", "invoice:100116", "20275", {}, "Invoice 100116 (order 20275)"),
        ("credit_note", "9001", "200001", {"order_number": 20275}, "Credit note 200001 (return 9001, order 20275)"),
        ("customer", "jane@example.com", "10042", {}, "Customer 10042 (jane@example.com)"),
        ("customer", "company:SE556677889901", "10043", {}, "Customer 10043 (SE556677889901)"),
        ("payment", "12:3", "300000", {"order_number": "1001"}, "Payment 300000 (order 1001)"),
        ("size", "1001-BLK-M", "55", {}, "Product size 1001-BLK-M (shop 55)"),
    ],
)
def test_a_binding_is_named_after_the_remote_object_and_what_it_was_made_for(kind, source, target, data, name):
    ref = ExternalRef(kind=kind, source_id=source, target_id=target, data=data)
    assert binding_name(ref) == str(ref) == name


def test_the_records_of_the_documents_flow_have_one_name_whether_read_or_not():
    """A document read from the ERP is labelled by the flow; one that could not be read is named from its key:
    both name the invoice the same way, neither shows the key."""
    read = SyncRecord(flow="documents", source_id="invoice:100116", source_label="Invoice 100116 (order 20275)")
    unread = RecordLog(flow="documents", source_id="invoice:100116", source_label="", status="failed")
    assert str(read) == record_label(read) == "Invoice 100116 (order 20275)"
    assert str(unread) == "Invoice 100116: Failed"
    assert "invoice:" not in str(read) + str(unread)


# --------------------------------------------------------------------------- a name finds its binding in the list
@pytest.mark.parametrize(
    "name, parsed",
    [
        ("Invoice 100116 (order 20275)", ("Invoice", "100116", ["order 20275"])),
        ("credit NOTE 200001 (return 9001, order 20275)", ("Credit note", "200001", ["return 9001", "order 20275"])),
        ("  Product size   1001-BLK-M (shop 55) ", ("Product size", "1001-BLK-M", ["shop 55"])),
        ("Invoice 100116", ("Invoice", "100116", [])),
        ("100116", None),
        ("Invoice", None),
        ("Invoices 100116", None),
    ],
)
def test_a_name_is_taken_apart_into_kind_number_and_details(name, parsed):
    assert record_name_parse(name) == parsed


@pytest.fixture
def bindings(integration):
    from django.utils import timezone

    def ref(kind, source, target, data=None):
        return ExternalRef.objects.create(
            integration=integration,
            kind=kind,
            source_id=source,
            target_id=target,
            data=data or {},
            synced_at=timezone.now(),
        )

    return {
        "invoice": ref("invoice", "20275", "100116"),
        "other_invoice": ref("invoice", "20276", "100117"),
        "credit_note": ref("credit_note", "9001", "200001", {"order_number": "20275"}),
        "document": ref("document", "invoice:100118", "20277"),
        "size": ref("size", "1001-BLK-M", "55"),
    }


def searched(admin_client, term) -> list:
    from django.urls import reverse

    response = admin_client.get(reverse("admin:sync_externalref_changelist"), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize(
    "term, found",
    [
        ("Invoice 100116 (order 20275)", ["invoice"]),
        ("invoice 100116", ["invoice"]),
        ("Credit note 200001 (return 9001, order 20275)", ["credit_note"]),
        ("Invoice 100118 (order 20277)", ["document"]),
        ("Product size 1001-BLK-M (shop 55)", ["size"]),
        ("Invoice 100116 (order 99999)", []),
        ("100117", ["other_invoice"]),
        ("20275", ["invoice"]),
    ],
)
def test_the_bindings_list_finds_a_binding_by_the_name_it_shows(admin_client, bindings, term, found):
    """Pasted from a record log or an e-mail, the name the list shows finds its row; a plain id searches the ids."""
    assert searched(admin_client, term) == [bindings[key] for key in found]
