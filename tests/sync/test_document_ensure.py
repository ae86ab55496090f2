"""sync.bindings.document_ensure: bound → found → created (bound at once), then posted, exactly once."""

import pytest

from sync.bindings import binding_get, binding_save, document_ensure
from sync.models import ExternalRef
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db
KIND = ExternalRef.Kind.INVOICE


def ensure(integration, calls, *, found=None, ref=None):
    def find():
        calls.append("find")
        return found

    def create():
        calls.append("create")
        return "INV-2", {"customer_number": "10001"}

    def post(number, *, check_status):
        # A created document is bound before it is posted: a failed post never creates it again.
        calls.append(("post", number, check_status, binding_get(integration=integration, kind=KIND, source_id="5001")))

    return document_ensure(
        integration=integration,
        kind=KIND,
        source_id="5001",
        ref=ref,
        find=find,
        create=create,
        post=post,
        posted_data=lambda ensured, bound: {"customer_number": ensured.data.get("customer_number"), "had": bool(bound)},
    )


def test_nothing_bound_or_found_is_created_bound_at_once_then_posted_without_a_status_check():
    integration = IntegrationFactory()
    calls = []

    ensured = ensure(integration, calls)

    assert (ensured.number, ensured.created) == ("INV-2", True)
    assert calls[:2] == ["find", "create"]
    _post, number, check_status, bound_before_post = calls[2]
    assert (number, check_status, bound_before_post.target_id) == ("INV-2", False, "INV-2")
    ref = binding_get(integration=integration, kind=KIND, source_id="5001")
    assert ref.data == {"customer_number": "10001", "had": True, "released": True}


def test_a_document_found_by_its_reference_is_bound_and_posted_with_a_status_check():
    integration = IntegrationFactory()
    calls = []

    ensured = ensure(integration, calls, found=("INV-1", {"customer_number": "10009", "found_by": "search"}))

    assert (ensured.number, ensured.created) == ("INV-1", False)
    assert [c if isinstance(c, str) else c[:3] for c in calls] == ["find", ("post", "INV-1", True)]
    ref = binding_get(integration=integration, kind=KIND, source_id="5001")
    assert ref.data == {"customer_number": "10009", "found_by": "search", "had": True, "released": True}


def test_a_bound_document_is_neither_searched_nor_created():
    integration = IntegrationFactory()
    ref = binding_save(
        integration=integration, kind=KIND, source_id="5001", target_id="INV-0", data={"customer_number": "10003"}
    )
    calls = []

    ensured = ensure(integration, calls, ref=ref)

    assert (ensured.number, ensured.created, ensured.data["customer_number"]) == ("INV-0", False, "10003")
    assert [c[:3] for c in calls] == [("post", "INV-0", True)]
    assert binding_get(integration=integration, kind=KIND, source_id="5001").data["released"] is True
