"""Every cent and every VAT category: the demo shop's orders and refunds through both sandboxes.

Run by hand from the repository root:

    .venv/bin/python bench/vat_exactness.py [--label NAME]

A throwaway SQLite database (config.settings.test), both sandboxes in-process, the demo data of
`make demo`. The orders flow invoices every order, then the refunds flow credits every refunded
return. Then, from what the Visma.net sandbox holds:

- an invoice whose total differs from its order's total, or whose VAT differs from the order's
  VAT, counts as a difference (per VAT category as well, where the demo shop states its VAT per
  rate: `vat_by_rate` of the demo order);
- for every order refunded in full, invoice − credit notes must be zero on every (account, VAT
  category) and on the VAT of every VAT category; each non-zero pair counts as a difference.

Results go to bench/results/vat_exactness.json and .md (appending the labelled run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # the benches' shared set-up, also when a test loads this file by path
from benchsetup import demo_integration, django_ready  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def d(value) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def document_lines(document: dict) -> list[dict]:
    return document.get("invoiceLines") or document.get("lines") or []


def ledger(document: dict, sign: int, into: dict) -> None:
    """Adds a document's net per (account, VAT category) and VAT per category to `into`."""
    for line in document_lines(document):
        key = ((line.get("account") or {}).get("number", ""), (line.get("vatCode") or {}).get("id", ""))
        into[key] += sign * d(line.get("amountInCurrency", line.get("amount")))
    for detail in document.get("taxDetails") or []:
        into[("VAT", detail.get("taxId", ""))] += sign * d(detail.get("vatAmount"))


def audit() -> dict:
    """Differences between the shop (Centra sandbox) and the ERP (Visma.net sandbox), read from both.

    Returns {"total": [order numbers], "vat_total": [...], "vat_category": [...],
    "nonzero_after_full_refund": ["<order> (<account>, <VAT category>): <amount>", ...], and counts}."""
    from integrations.centra import sandbox as centra
    from integrations.centra.adapter import order_from_centra
    from integrations.visma_net import sandbox as visma

    invoices = {inv.get("customerRefNumber"): inv for inv in visma.invoices()}
    notes_by_order = defaultdict(list)
    for note in visma.credit_notes():
        notes_by_order[str(note.get("externalReference"))].append(note)
    nodes = {str(node["number"]): node for node in centra.orders(private=True)}

    total_diffs, vat_diffs, category_diffs, checked, per_category = [], [], [], 0, 0
    for number, invoice in invoices.items():
        node = nodes.get(str(number))
        if node is None:
            continue
        order = order_from_centra(node)
        checked += 1
        if d(invoice.get("amount")) != order.grand_total:
            total_diffs.append(number)
        if d(invoice.get("vatTotal")) != order.tax_total:
            vat_diffs.append(number)
        stated = node.get("_vatByRate")
        if stated:
            per_category += 1
            expected = sorted(d(v) for v in stated.values() if d(v))  # the demo shop's VAT per rate
            got = sorted(d(t.get("vatAmount")) for t in invoice.get("taxDetails") or [] if d(t.get("vatAmount")))
            if expected != got:
                category_diffs.append(number)

    zero_diffs, full_refunds = [], 0
    for number, notes in notes_by_order.items():
        invoice = invoices.get(number)
        if invoice is None:
            continue
        credited = sum((d(n.get("amount")) for n in notes), Decimal(0))
        if credited != d(invoice.get("amount")):
            continue
        full_refunds += 1
        balance = defaultdict(Decimal)
        ledger(invoice, 1, balance)
        for note in notes:
            ledger(note, -1, balance)
        zero_diffs.extend(f"{number} {key}: {value}" for key, value in balance.items() if value)

    return {
        "orders_in_shop": len(nodes),
        "invoices_checked": checked,
        "invoices_checked_per_category": per_category,
        "mixed_rate_invoices": sum(1 for inv in invoices.values() if len(inv.get("taxDetails") or []) > 1),
        "credit_notes": sum(len(n) for n in notes_by_order.values()),
        "orders_refunded_in_full": full_refunds,
        "total": total_diffs,
        "vat_total": vat_diffs,
        "vat_category": category_diffs,
        "nonzero_after_full_refund": zero_diffs,
    }


def measure() -> dict:
    django_ready()
    from sync.models import RecordLog
    from sync.services import flow_run

    integration = demo_integration()

    started = time.perf_counter()
    orders_run = flow_run(integration=integration, flow="orders", trigger="manual")
    refunds_run = flow_run(integration=integration, flow="refunds", trigger="manual")
    seconds = time.perf_counter() - started

    found = audit()
    failed = list(
        RecordLog.objects.filter(run__in=[orders_run, refunds_run], status="failed").values_list("source_id", "error")
    )
    return {
        "orders_in_shop": found["orders_in_shop"],
        "invoices_checked": found["invoices_checked"],
        "invoices_checked_per_category": found["invoices_checked_per_category"],
        "mixed_rate_invoices": found["mixed_rate_invoices"],
        "orders_failed": orders_run.failed_count,
        "credit_notes": found["credit_notes"],
        "refunds_failed": refunds_run.failed_count,
        "total_differences": len(found["total"]),
        "vat_total_differences": len(found["vat_total"]),
        "vat_category_differences": len(found["vat_category"]),
        "orders_refunded_in_full": found["orders_refunded_in_full"],
        "nonzero_after_full_refund": len(found["nonzero_after_full_refund"]),
        "examples": {
            "vat_total": found["vat_total"][:5],
            "vat_category": found["vat_category"][:5],
            "nonzero_after_full_refund": found["nonzero_after_full_refund"][:5],
            "failed": [f"{source}: {error[:160]}" for source, error in failed[:5]],
        },
        "wall_seconds_in_process": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="current")
    args = parser.parse_args()
    result = measure()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "vat_exactness.json"
    runs = json.loads(path.read_text()) if path.exists() else {}
    runs[args.label] = result
    path.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")
    lines = ["# VAT exactness over the demo shop (orders and refunds through both sandboxes)", ""]
    for label, r in runs.items():
        lines += [
            f"## {label}",
            "",
            f"- orders in the shop: {r['orders_in_shop']}; invoices checked: {r['invoices_checked']}; "
            f"orders failed: {r['orders_failed']}",
            f"- invoices whose total differs from the order: **{r['total_differences']}**",
            f"- invoices whose VAT differs from the order's VAT: **{r['vat_total_differences']}**",
            f"- invoices whose VAT per category differs from the shop's VAT per rate: **{r['vat_category_differences']}** "
            f"(of {r.get('invoices_checked_per_category', 0)} where the demo shop states it; "
            f"{r.get('mixed_rate_invoices', 0)} invoices with more than one VAT category)",
            f"- credit notes: {r['credit_notes']} (refunds failed: {r['refunds_failed']}); orders refunded in full: "
            f"{r['orders_refunded_in_full']}; (account, VAT category) pairs not zero after the full refund: "
            f"**{r['nonzero_after_full_refund']}**",
            f"- examples: {json.dumps(r['examples'], ensure_ascii=False)}",
            f"- wall time in-process: {r['wall_seconds_in_process']} s",
            "",
        ]
    (RESULTS / "vat_exactness.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
