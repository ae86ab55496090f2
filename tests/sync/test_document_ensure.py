"""sync.bindings.document_ensure: bound → found (only for a pending create) → created (bound at once), then
posted, exactly once."""

import pytest

from integrations.http import RemoteDown, ValidationFailed
from sync.bindings import (
    binding_get,
    binding_save,
    document_ensure,
    intent_record,
    intents_pending,
    intents_retire,
)
from sync.models import BindingIntent, ExternalRef
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db
KIND = ExternalRef.Kind.INVOICE


def ensure(integration, calls, *, found=None, ref=None, fails=None, pending=None):
    def find():
        calls.append("find")
        return found

    def create():
        # The intent is committed before the create is sent.
        calls.append(("create", set(intents_pending(integration=integration, kind=KIND, source_ids=["5001"]))))
        if fails is not None:
            raise fails
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
        pending=pending,
    )


def test_nothing_bound_and_nothing_pending_is_created_without_a_search_bound_at_once_then_posted():
    integration = IntegrationFactory()
    calls = []

    ensured = ensure(integration, calls)

    assert (ensured.number, ensured.created) == ("INV-2", True)
    assert calls[:1] == [("create", {"5001"})]  # no search; the intent was committed before the create
    _post, number, check_status, bound_before_post = calls[1]
    assert (number, check_status, bound_before_post.target_id) == ("INV-2", False, "INV-2")
    ref = binding_get(integration=integration, kind=KIND, source_id="5001")
    assert ref.data == {"customer_number": "10001", "had": True, "released": True}
    # The intent of a bound source means nothing more; it is retired with the others in bulk.
    assert intents_retire(integration=integration) == 1 and not BindingIntent.objects.exists()


def test_a_create_whose_answer_was_lost_keeps_its_intent_and_the_retry_finds_it_instead_of_creating():
    integration = IntegrationFactory()
    lost = RemoteDown("Visma.net did not answer in 30 s", system="visma_net", maybe_sent=True)

    with pytest.raises(RemoteDown):
        ensure(integration, [], fails=lost)
    assert intents_pending(integration=integration, kind=KIND, source_ids=["5001"]) == {"5001"}

    calls = []
    ensured = ensure(integration, calls, found=("INV-9", {"customer_number": "10001", "found_by": "search"}))

    assert (ensured.number, ensured.created) == ("INV-9", False)
    assert [c if isinstance(c, str) else c[:3] for c in calls] == ["find", ("post", "INV-9", True)]
    assert binding_get(integration=integration, kind=KIND, source_id="5001").target_id == "INV-9"
    assert intents_retire(integration=integration) == 1


def test_a_pending_create_not_found_remotely_is_created_once():
    integration = IntegrationFactory()
    intent_record(integration=integration, kind=KIND, source_id="5001")
    calls = []

    ensured = ensure(integration, calls, pending=True)

    assert (ensured.number, ensured.created) == ("INV-2", True)
    assert [c if isinstance(c, str) else c[0] for c in calls] == ["find", "create", "post"]
    assert binding_get(integration=integration, kind=KIND, source_id="5001").target_id == "INV-2"


def test_only_intents_of_bound_sources_are_retired():
    integration = IntegrationFactory()
    intent_record(integration=integration, kind=KIND, source_id="5001")
    intent_record(integration=integration, kind=KIND, source_id="5002")  # its answer was lost: it stays
    binding_save(integration=integration, kind=KIND, source_id="5001", target_id="INV-1")
    binding_save(integration=integration, kind=ExternalRef.Kind.CREDIT_NOTE, source_id="5002", target_id="CN-1")

    assert intents_retire(integration=integration) == 1
    assert intents_pending(integration=integration, kind=KIND, source_ids=["5001", "5002"]) == {"5002"}


def test_a_create_the_remote_refused_keeps_its_intent_so_the_retry_searches_once():
    """A refusal may answer a retried request whose first attempt got through: the retry looks first."""
    integration = IntegrationFactory()
    refused = ValidationFailed("Customer 10001 is on hold", system="visma_net", status=400)

    with pytest.raises(ValidationFailed):
        ensure(integration, [], fails=refused)

    assert intents_pending(integration=integration, kind=KIND, source_ids=["5001"]) == {"5001"}
    calls = []
    ensure(integration, calls)
    assert [c if isinstance(c, str) else c[0] for c in calls] == ["find", "create", "post"]


def test_a_create_the_flow_refused_before_sending_drops_its_intent():
    from sync.flows.base import RecordFailed

    integration = IntegrationFactory()
    with pytest.raises(RecordFailed):
        ensure(integration, [], fails=RecordFailed("Another worker is creating the customer"))

    assert not BindingIntent.objects.exists()
    calls = []
    ensure(integration, calls)
    assert "find" not in calls


def test_a_gateway_timeout_with_a_long_retry_after_may_have_been_done_and_keeps_the_intent():
    integration = IntegrationFactory()
    gateway = RemoteDown("504 Gateway Timeout", system="visma_net", status=504, maybe_sent=True, retry_after=600)

    with pytest.raises(RemoteDown):
        ensure(integration, [], fails=gateway)

    assert intents_pending(integration=integration, kind=KIND, source_ids=["5001"]) == {"5001"}


def test_a_document_found_by_its_reference_is_bound_and_posted_with_a_status_check():
    integration = IntegrationFactory()
    intent_record(integration=integration, kind=KIND, source_id="5001")  # an earlier attempt's answer was lost
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
