"""Exactly once: crashes after the remote create, failed releases, faults, and two workers at once."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from integrations.centra import demo_data as centra_demo
from integrations.centra import sandbox as centra
from integrations.sandbox.models import SandboxFault
from integrations.visma_net import sandbox as visma
from mappings.models import PaymentMethodMapping
from sync import bindings
from sync.models import ExternalRef, Flow, RecordLog, SyncRecord
from sync.services import flow_run


def add_swish(integration):
    PaymentMethodMapping.objects.get_or_create(
        integration=integration, shop_method="swish", defaults={"erp_payment_method": "INVOICE"}
    )


def exportable_numbers(integration) -> set[str]:
    return {str(o["number"]) for o in centra.orders() if o["status"] in integration.allowed_order_statuses}


def invoice_refs() -> Counter:
    return Counter(inv["customerRefNumber"] for inv in visma.invoices())


def test_crash_between_remote_create_and_binding_commit_creates_no_duplicate(flow_integration, monkeypatch, resync):
    centra_demo.seed(orders=12)
    add_swish(flow_integration)
    real_save = bindings.binding_save
    crashed = []

    def crash_once_after_invoice_create(**kwargs):
        if kwargs["kind"] == ExternalRef.Kind.INVOICE and not crashed and "found_by" not in (kwargs.get("data") or {}):
            crashed.append(kwargs["source_id"])
            raise SystemError("worker killed right after the remote create")
        return real_save(**kwargs)

    monkeypatch.setattr(bindings, "binding_save", crash_once_after_invoice_create)
    run = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")

    victim = crashed[0]
    assert run.failed_count == 1
    assert not ExternalRef.objects.filter(integration=flow_integration, kind="invoice", source_id=victim).exists()
    assert invoice_refs()[victim] == 1  # the invoice exists remotely, unbound

    resync(flow_integration, "orders", [victim])

    assert invoice_refs()[victim] == 1
    ref = ExternalRef.objects.get(integration=flow_integration, kind="invoice", source_id=victim)
    assert ref.data["found_by"] == "search" and ref.data["released"] is True
    assert SyncRecord.objects.get(integration=flow_integration, flow="orders", source_id=victim).status == "ok"
    assert set(invoice_refs()) == exportable_numbers(flow_integration)


def test_failed_release_is_resumed_by_resync_not_recreated(flow_integration, resync):
    centra_demo.seed(orders=6)
    add_swish(flow_integration)
    fault = SandboxFault.objects.create(
        system="visma_net", endpoint=r"action/release", kind="server_error", status_code=400, remaining=1
    )

    run = flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="manual")

    log = RecordLog.objects.get(run=run, status="failed")
    assert "was created, but Visma.net refused to release it" in log.error
    assert "resync releases this same invoice" in log.error
    count = visma.invoice_count()
    fault.delete()

    resync(flow_integration, "orders", [log.source_id])

    assert visma.invoice_count() == count
    invoice = next(i for i in visma.invoices() if i["customerRefNumber"] == log.source_id)
    assert invoice["status"] == "Open"


def test_ten_percent_faults_over_300_orders_end_with_exactly_one_invoice_each(flow_integration, resync):
    centra_demo.seed(orders=320)
    add_swish(flow_integration)
    expected = exportable_numbers(flow_integration)
    assert len(expected) >= 300
    for system in ("visma_net", "centra"):
        for kind in ("server_error", "rate_limit", "timeout"):
            SandboxFault.objects.create(system=system, endpoint=".*", kind=kind, probability=0.034, status_code=503)
    SandboxFault.objects.create(
        system="visma_net", endpoint=r"POST .*/v2/customerinvoice", kind="timeout_after_write", probability=0.05
    )

    for _ in range(12):
        flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="schedule")
        pending = SyncRecord.objects.filter(integration=flow_integration, flow="orders").exclude(status="ok")
        if not pending.exists() and SyncRecord.objects.filter(flow="orders").count() >= len(expected):
            break
        # Let the retry backoff elapse; dead letters are resynced as an operator would.
        pending.filter(status="retrying").update(next_attempt_at=timezone.now())
        dead = list(pending.filter(status="dead").values_list("source_id", flat=True))
        if dead:
            resync(flow_integration, "orders", dead)

    assert SandboxFault.objects.filter(fired__gt=0).count() >= 4, "faults were injected"
    refs = invoice_refs()
    assert set(refs) == expected
    assert max(refs.values()) == 1
    assert visma.invoice_count() == len(expected)
    assert not SyncRecord.objects.filter(integration=flow_integration, flow="orders").exclude(status="ok").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_flow_at_once_invoice_each_order_once(flow_integration):
    centra_demo.seed(orders=40)
    add_swish(flow_integration)
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def worker():
        try:
            barrier.wait()
            runs.append(flow_run(integration=flow_integration, flow=Flow.ORDERS, trigger="schedule"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert not errors, errors
    statuses = sorted(run.status for run in runs)
    assert statuses == ["skipped", "succeeded"], [(r.status, r.message) for r in runs]
    refs = invoice_refs()
    assert set(refs) == exportable_numbers(flow_integration) and max(refs.values()) == 1
