"""The sandbox pages of the admin: what the flows created is visible, credentials are not."""

from django.urls import reverse

from integrations.sandbox import store
from integrations.sandbox.models import SandboxFault


def test_objects_are_listed_with_a_summary_and_credentials_are_hidden(admin_client):
    store.obj_put("visma_net", "invoice", "100001", {"customerRefNumber": "20001", "amount": 125.0, "status": "Open"})
    store.obj_put("centra", "token", "secret-token-value", {"token": "secret-token-value"})
    store.obj_put("visma_connect", "client", "koppla-demo", {"client_secret": "very-secret"})

    response = admin_client.get(reverse("admin:sandbox_sandboxobject_changelist"), {"system": "visma_net"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "20001 · 125.0 · Open" in html
    all_rows = admin_client.get(reverse("admin:sandbox_sandboxobject_changelist")).content.decode()
    assert "secret-token-value" not in all_rows and "very-secret" not in all_rows and "koppla-demo" not in all_rows


def test_an_amount_is_listed_with_its_currency(admin_client):
    store.obj_put(
        "visma_net", "invoice", "100002", {"customerRefNumber": "20002", "amount": "49.00", "currencyId": "EUR"}
    )
    store.obj_put("visma_net", "payment", "P1", {"description": "Adyen", "amount": "10.00", "currency": "NOK"})

    html = admin_client.get(reverse("admin:sandbox_sandboxobject_changelist"), {"system": "visma_net"}).content.decode()

    assert "20002 · 49.00 EUR" in html
    assert "10.00 NOK" in html


def test_faults_are_switched_off_from_the_list(admin_client):
    fault = SandboxFault.objects.create(system="visma_net", endpoint=".*", kind="server_error")
    url = reverse("admin:sandbox_sandboxfault_changelist")
    assert 'name="form-0-enabled"' in admin_client.get(url).content.decode()

    response = admin_client.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(fault.pk),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    fault.refresh_from_db()
    assert fault.enabled is False
