"""Visma.net sales journal entries (VismaNetErp.journal_transaction_*): the GL batch sent, the exact find over
a listing paged by lines, the VAT as charged, and what the sandbox refuses in Visma.net's words."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from integrations.http import ValidationFailed, record_calls
from integrations.sandbox.models import SandboxFault
from integrations.visma_net import sandbox
from integrations.visma_net.adapter import VismaNetErp
from integrations.visma_net.adapter_orders import reference_day
from integrations.visma_net.client_orders import journal_transaction_batches
from integrations.visma_net.paging import read_pages
from integrations.visma_net.schemas import JournalLine, JournalTransactionPayload
from sync.drafts import JournalDraft, JournalLineDraft
from sync.erp import JOURNAL_TRANSACTION

D = Decimal
ZERO = D(0)


@pytest.fixture
def erp(visma_connection, seeded, clock):
    return VismaNetErp(visma_connection, clock=clock)


def entry(reference="KOPPLA-2026-11-30-EUR-OSS-AT-1", *, net="87.46", vat="17.50", currency="EUR") -> JournalDraft:
    """Two Austrian orders at 20 %: the shop's VAT (17.50, each order's own) is not round(87.46 × 20 %) = 17.49."""
    net, vat = D(net), D(vat)
    return JournalDraft(
        reference=reference,
        transaction_date="2026-11-30",
        currency=currency,
        vat_category="OSS-AT",
        lines=(
            JournalLineDraft("1510", net + vat, ZERO, "Orders 29101, 29102"),
            JournalLineDraft("3106", ZERO, net, "Sales OSS AT 20 %", vat_category="OSS-AT", taxable=net),
            JournalLineDraft("2611", ZERO, vat, "VAT OSS AT 20 %", vat_category="OSS-AT"),
        ),
        order_numbers=("29101", "29102"),
        text="Sales 2026-11-30 EUR",
    )


# --------------------------------------------------------------------------- the batch sent
def test_the_batch_carries_the_reference_the_lines_and_the_vat_as_charged(erp):
    draft = entry()

    body = erp.journal_transaction_request(draft)
    number = erp.journal_transaction_create(draft)

    assert body["description"] == {"value": draft.reference}
    assert (body["createVatTransaction"], body["skipVatAmountValidation"]) == ({"value": True}, {"value": True})
    lines = body["journalTransactionLines"]
    assert [("vatCodeId" in x, "vatId" in x) for x in lines] == [(False, False), (True, False), (False, True)]
    assert lines[2]["vatId"] == {"value": erp.vat_ids["OSS-AT"]}
    stored = sandbox.document_get(sandbox.JOURNAL, number)
    credits = [D(str(x["creditAmountInCurrency"])) for x in stored["journalTransactionLines"]]
    assert credits == [ZERO, D("87.46"), D("17.50")]  # the shop's VAT, not Visma.net's 17.49
    assert (stored["status"], stored["transactionDate"], stored["currencyId"]) == (
        "Balanced",
        "2026-11-30T00:00:00",
        "EUR",
    )
    document = erp.journal_transaction_get(number)
    assert (document.total, document.order_number, document.released) == (D("104.96"), draft.reference, False)
    assert erp.document_get(JOURNAL_TRANSACTION, number) == document
    assert erp.document_get(JOURNAL_TRANSACTION, "599999") is None


def test_without_skipping_the_vat_validation_visma_net_refuses_vat_other_than_its_own(client):
    payload = JournalTransactionPayload(
        transaction_date=date(2026, 11, 30),
        currency="EUR",
        description="KOPPLA-TEST",
        create_vat_transaction=True,
        lines=(
            JournalLine("1510", debit=D("104.96")),
            JournalLine("3106", credit=D("87.46"), vat_category="OSS-AT"),
            JournalLine("2611", credit=D("17.50"), vat_id="OSS-AT"),
        ),
    )
    with pytest.raises(ValidationFailed, match="differs from the calculated amount 17.49"):
        client.journal_transaction_create(payload)


def test_an_unbalanced_batch_is_refused_in_visma_nets_words(client):
    payload = JournalTransactionPayload(
        transaction_date=date(2026, 11, 30),
        lines=(JournalLine("1510", debit=D("125.01")), JournalLine("3001", credit=D("125.00"))),
    )
    with pytest.raises(ValidationFailed, match="Batch is out of balance"):
        client.journal_transaction_create(payload)
    assert sandbox.journal_transactions() == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"reference": ""}, "no reference"),
        ({"reference": "K" * 300}, "at most 255"),
        ({"lines": (JournalLineDraft("1510", D("1"), D("1"), "both"),)}, "either a debit or a credit"),
        (
            {
                "lines": (
                    JournalLineDraft("1510", D("1.001"), ZERO, "x"),
                    JournalLineDraft("3001", ZERO, D("1.001"), "y"),
                )
            },
            "more decimals",
        ),
        (
            {"lines": (JournalLineDraft("", D("1"), ZERO, "x"), JournalLineDraft("3001", ZERO, D("1"), "y"))},
            "no account",
        ),
    ],
)
def test_what_visma_net_would_refuse_is_a_problem_before_anything_is_written(erp, change, words):
    problems = erp.journal_transaction_problems(replace(entry(), **change))
    assert any(words in p for p in problems), problems


def test_an_unknown_vat_category_is_a_problem_and_a_sane_entry_has_none(erp):
    assert erp.journal_transaction_problems(entry()) == []
    draft = entry()
    lines = tuple(replace(line, vat_category="XX99") if line.vat_category else line for line in draft.lines)

    problems = erp.journal_transaction_problems(replace(draft, lines=lines))

    assert problems == ["VAT category XX99 does not exist in Visma.net: map an existing one"]


# --------------------------------------------------------------------------- finding
def test_find_reads_the_gl_batches_since_the_day_before_the_entrys_day(erp):
    with record_calls() as calls:
        assert erp.journal_transaction_find("KOPPLA-2026-11-30-EUR-OSS-AT-1") is None
        assert erp.journal_transaction_find("LEGACY-7") is None
    urls = [c["url"] for c in calls]
    assert "lastModifiedDateTime=2026-11-29" in urls[0] and "module=GL" in urls[0]
    assert "lastModifiedDateTime=2000-01-01" in urls[1]
    assert (reference_day("KOPPLA-2026-11-30-SEK-1-1"), reference_day("KOPPLA-2026-02-30-X")) == (
        date(2026, 11, 30),
        None,
    )


def test_find_joins_a_batch_split_over_pages_and_compares_the_reference_exactly(erp):
    numbers = [erp.journal_transaction_create(entry(f"KOPPLA-2026-11-30-EUR-OSS-AT-{n}")) for n in (11, 1, 2)]
    erp.client.page_size = 2  # 3 lines a batch: every batch comes split over two pages

    batches = list(journal_transaction_batches(erp.client.journal_transaction_list(modified_since=date(2026, 1, 1))))

    assert [(b["batchNumber"], len(b["journalTransactionLines"])) for b in batches] == [(n, 3) for n in numbers]
    assert erp.journal_transaction_find("KOPPLA-2026-11-30-EUR-OSS-AT-1").number == numbers[1]
    assert erp.journal_transaction_find("KOPPLA-2026-11-30-EUR-OSS-AT-2").number == numbers[2]
    assert erp.journal_transaction_find("KOPPLA-2026-11-30-EUR-OSS-AT-") is None


def test_paging_by_weight_reads_until_the_lines_stated_are_read():
    pages = {
        1: [{"n": 1, "w": 2, "metadata": {"totalCount": 5}}],
        2: [{"n": 2, "w": 2, "metadata": {"totalCount": 5}}],
        3: [{"n": 3, "w": 1, "metadata": {"totalCount": 5}}],
        4: [{"n": 99, "w": 1}],  # never asked for: the 5 lines are read
    }
    got = list(read_pages(lambda p: pages[p["pageNumber"]], "/x", size=2, weight=lambda r: r["w"]))
    assert [r["n"] for r in got] == [1, 2, 3]


def test_faults_injected_into_the_new_endpoints_are_retried_like_any_other(erp):
    SandboxFault.objects.create(
        system="visma_net", endpoint="GET .*/v2/journaltransaction$", kind="server_error", status_code=503, remaining=2
    )
    SandboxFault.objects.create(
        system="visma_net", endpoint="GET .*/v1/salesorder$", kind="rate_limit", retry_after=3, remaining=1
    )

    assert erp.journal_transaction_find("KOPPLA-2026-11-30-EUR-OSS-AT-1") is None
    assert erp.sales_order_find("7001") is None

    assert list(SandboxFault.objects.order_by("pk").values_list("fired", flat=True)) == [2, 1]
