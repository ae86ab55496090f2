"""Every admin list with filters answers a bad or stale filter value in its address (a word where an id,
a choice or a date belongs, a deleted integration's id) with the list, never a server error.

The lists of Koppla's own admins drop the filter they cannot use and say so (config.admin_utils
.UsableFiltersMixin); lists of other packages' admins (users, schedules) must at least not fail.
"""

import pytest
from django.contrib import admin
from django.contrib.admin import FieldListFilter, helpers
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.urls import reverse

from config.admin_utils import UsableFiltersMixin
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

OWN_APPS = ("sync", "mappings", "integrations", "payouts", "sandbox", "config")
JUNK = ["nonsense", "abc", "notadate", "2026-13-45", "-1", "99999999999999999999999", "1,abc", "None", "\x00"]
FILTERED = [(model, model_admin) for model, model_admin in admin.site._registry.items() if model_admin.list_filter]


def filter_parameters(model, model_admin, user) -> list[str]:
    """The query parameters of every list filter of the admin (also filters hidden for want of choices), of
    its date drill-down, and a date lookup on a date field the list is not filtered on."""
    request = RequestFactory().get("/")
    request.user = user
    names = []
    for list_filter in model_admin.list_filter:
        if isinstance(list_filter, type):  # a SimpleListFilter
            names.append(list_filter.parameter_name)
            continue
        path, factory = list_filter if isinstance(list_filter, (list, tuple)) else (list_filter, FieldListFilter.create)
        field = get_fields_from_path(model, path)[-1]
        names.extend(factory(field, request, {}, model, model_admin, field_path=path).expected_parameters())
    if model_admin.date_hierarchy:
        names.extend(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    dates = [f.name for f in model._meta.concrete_fields if f.get_internal_type() in ("DateTimeField", "DateField")]
    names.extend(f"{name}__gte" for name in dates[:1])
    return names


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def staff_client(admin_user):
    IntegrationFactory(), IntegrationFactory()  # two, so the integration filters are shown
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def test_every_filtered_list_of_the_project_uses_the_mixin():
    own = [admin for model, admin in FILTERED if model._meta.app_label in OWN_APPS]

    assert len(own) >= 15
    assert [type(a).__name__ for a in own if not isinstance(a, UsableFiltersMixin)] == []


@pytest.mark.parametrize(("model", "model_admin"), FILTERED, ids=[m._meta.label for m, _ in FILTERED])
def test_junk_filter_values_never_give_a_server_error(staff_client, admin_user, model, model_admin):
    own = isinstance(model_admin, UsableFiltersMixin)
    answers = {}
    for name in filter_parameters(model, model_admin, admin_user):
        for junk in JUNK:
            response = staff_client.get(changelist(model), {name: junk}, follow=own)
            answers[(name, junk)] = response.status_code
            if "\x00" in junk:  # refused before any list runs (config/bad_request.py): a 400 page, never a 500
                assert response.status_code == 400, (name, junk)
            elif own:  # the list itself, never Django's "?e=1" database error page
                assert response.status_code == 200 and "e" not in response.wsgi_request.GET, (name, junk)
                assert "Database error" not in response.content.decode()

    assert answers and {key: status for key, status in answers.items() if status == 500} == {}


def test_the_examples_from_the_operations_desk(staff_client):
    from sync.models import SyncRecord, SyncRun

    cases = [
        (SyncRecord, {"status__exact": "nonsense"}),
        (SyncRecord, {"integration__id__exact": "abc"}),
        (SyncRun, {"started_at__gte": "notadate"}),
        (SyncRun, {"created_at__year": "abc", "status__exact": "failed"}),
    ]
    for model, query in cases:
        response = staff_client.get(changelist(model), query, follow=True)
        assert response.status_code == 200, query
        assert "Database error" not in response.content.decode()


def test_an_unusable_filter_is_dropped_and_named_while_the_usable_ones_stay(staff_client):
    from sync.models import SyncRun

    response = staff_client.get(
        changelist(SyncRun), {"started_at__gte": "notadate", "status__exact": "failed"}, follow=True
    )

    assert response.status_code == 200
    assert response.request["QUERY_STRING"] == "status__exact=failed"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "started_at__gte" in message and "notadate" in message
    assert "status__exact" not in message


def test_a_stale_integration_id_is_dropped_and_named(staff_client):
    from sync.models import SyncRecord

    response = staff_client.get(changelist(SyncRecord), {"integration__id__exact": "987654"}, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("integration__id__exact" in m and "987654" in m for m in messages), messages


# --------------------------------------------------------------------------- actions posted with unusable row ids
REGISTERED = list(admin.site._registry.items())


def first_action(model_admin, admin_user) -> str:
    request = RequestFactory().get("/")
    request.user = admin_user
    return next(iter(model_admin.get_actions(request)), "delete_selected")


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_an_action_posted_with_an_unusable_row_id_is_the_list_again_with_a_message(
    staff_client, admin_user, model, model_admin
):
    """A page saved and posted again, a crafted request: 'abc', '' or a number beyond any id is no row: the list
    again naming it, nothing done; never a 500 (ValueError "Field 'id' expected a number", OverflowError)."""
    action = first_action(model_admin, admin_user)
    for junk in ["abc", "", "99999999999999999999999", "-99999999999999999999999"]:
        response = staff_client.post(
            changelist(model), {"action": action, helpers.ACTION_CHECKBOX_NAME: [junk], "index": 0}
        )
        if model._meta.pk.get_internal_type() not in ("AutoField", "BigAutoField") and junk:
            assert response.status_code < 500, (action, junk)  # a text key ('abc') may be a row: Django's answer
            continue
        assert response.status_code == 302 and response.url == changelist(model), (action, junk, response.status_code)
        page = staff_client.get(response.url)
        [message] = [str(m) for m in get_messages(page.wsgi_request)]
        assert message.startswith("Nothing was done: the selection holds 1 row id(s) that are not rows of this list")
        assert f"'{junk}'" in message


def test_the_records_resync_action_with_an_unusable_id_changes_nothing(staff_client):
    """Sync › Records, 'Resync the selected records' posted with a good and a bad id: the whole action is refused."""
    from sync.models import SyncRecord

    integration = IntegrationFactory()
    record = SyncRecord.objects.create(
        integration=integration, flow="orders", source_id="1001", status=SyncRecord.Status.DEAD
    )
    response = staff_client.post(
        changelist(SyncRecord),
        {"action": "resync_selected", helpers.ACTION_CHECKBOX_NAME: [str(record.pk), "abc"], "index": 0},
        follow=True,
    )

    assert response.status_code == 200
    record.refresh_from_db()
    assert record.status == SyncRecord.Status.DEAD
    assert any("'abc'" in str(m) for m in get_messages(response.wsgi_request))


def _warnings(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_status_that_does_not_exist_in_the_failed_filter_is_dropped_and_named(staff_client):
    """`status__in` is the Records list's "Failed" choice: a value none of the statuses is named, not 0 rows."""
    from sync.models import SyncRecord

    response = staff_client.get(changelist(SyncRecord), {"status__in": "zzz"}, follow=True)

    assert response.redirect_chain and response.request["QUERY_STRING"] == ""
    [warning] = _warnings(response)
    assert "status__in = 'zzz'" in warning and warning.endswith("shown without that filter.")
    both = staff_client.get(changelist(SyncRecord), {"status__in": "retrying,zzz"}, follow=True)
    assert "status__in = 'retrying,zzz'" in _warnings(both)[0]


def test_a_filter_django_hides_for_a_single_choice_still_names_its_junk_value(admin_client):
    """With one integration Django shows no integration filter and would ignore `integration__id__exact=abc`."""
    from sync.models import SyncRecord

    integration = IntegrationFactory()
    response = admin_client.get(changelist(SyncRecord), {"integration__id__exact": "abc"}, follow=True)

    assert response.request["QUERY_STRING"] == ""
    assert any("integration__id__exact = 'abc'" in m for m in _warnings(response))
    fine = admin_client.get(changelist(SyncRecord), {"integration__id__exact": integration.pk})
    assert fine.status_code == 200 and not _warnings(fine)


def test_every_unusable_value_is_named_in_one_warning(staff_client):
    """A value the list cannot read (a word for an id or a year) and one that is no choice, all in one warning;
    the usable filter stays."""
    from sync.models import SyncRecord

    query = {
        "status__exact": "zzz",
        "integration__id__exact": "abc",
        "created_at__year": "abc",
        "flow__exact": "orders",
    }
    response = staff_client.get(changelist(SyncRecord), query, follow=True)

    assert response.status_code == 200 and response.request["QUERY_STRING"] == "flow__exact=orders"
    [warning] = _warnings(response)
    for named in ("status__exact = 'zzz'", "integration__id__exact = 'abc'", "created_at__year = 'abc'"):
        assert named in warning, warning
    assert "flow__exact" not in warning and warning.endswith("shown without those filters.")
