"""How much Koppla sends to Visma.net in one write, checked before the first write of a record.

A record whose document Visma.net would refuse must fail before anything is
created for it (a customer created for an invoice that is then refused stays
behind in the ERP). So the flows check the mapped payloads here first, and the
sandbox refuses what these limits refuse, as the real API's gateway would.

Where the numbers come from (read this before trusting them):
- The official spec (visma-net-erp-v1, OpenAPI 3.0.4, 2025-04; the subset we
  use is in spec/ here) declares no maxLength and no maxItems anywhere, so
  neither the number of lines of CustomerInvoiceUpdateDto /
  CustomerCreditNoteUpdateDto nor any field of those or of CustomerUpdateDto
  has a documented maximum. Its prose names two sizes: a document line's
  "Transaction descr." "may contain up to 30 characters"
  (CustomerInvoiceLineDto, CustomerCreditNoteLineDto) and a customer class id
  "up to 10 characters" (CustomerClassDto; we only pick existing ones).
- Every number below is therefore a Koppla default, chosen conservatively,
  not a fact of the API. Each can be changed with the Django setting
  VISMA_NET_LIMITS (config/settings/base.py; the line count and request size
  also from the environment: VISMA_NET_MAX_DOCUMENT_LINES,
  VISMA_NET_MAX_REQUEST_BYTES).
  - document_lines 1000: far above any real shop order, far below the
    10,000-line order whose request a gateway refused (chaos test 6).
  - request_bytes 1,000,000: the request size a typical front proxy accepts
    by default (nginx's client_max_body_size is 1 MB); a 1,000-line invoice
    is about 0.5 MB.
  - line_description 255 and customer_name 60: what Koppla has always sent
    (it cuts longer texts; the spec's prose says 30 for line descriptions:
    set line_description to 30 to follow it strictly).
  - address_line, city 50, postal_code 20, email 100, phone 30,
    vat_registration_id 30: generous for real data. These are refused, not
    cut, when longer: a shortened address or e-mail sends the invoice astray.
  - journal_description 255: a journal transaction's description
    (JournalTransactionUpdateDto declares no length), which carries Koppla's
    reference of a sales journal entry: refused, not cut, when longer (a cut
    reference would not be found again).
- Sales orders (SalesOrderUpdateDto) and journal transactions are checked with
  the same document_lines, line_description and request_bytes limits.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, int] = {
    "document_lines": 1000,
    "request_bytes": 1_000_000,
    "line_description": 255,
    "customer_name": 60,
    "contact_name": 60,
    "address_line": 50,
    "city": 50,
    "postal_code": 20,
    "email": 100,
    "phone": 30,
    "vat_registration_id": 30,
    "journal_description": 255,
}

# Customer fields checked (refused when longer): body path → limit name.
CUSTOMER_FIELDS: dict[tuple[str, ...], str] = {
    ("vatRegistrationId",): "vat_registration_id",
    **{
        (part, field): limit
        for part in ("mainAddress", "invoiceAddress", "deliveryAddress")
        for field, limit in (
            ("addressLine1", "address_line"),
            ("addressLine2", "address_line"),
            ("addressLine3", "address_line"),
            ("postalCode", "postal_code"),
            ("city", "city"),
        )
    },
    **{
        (part, field): limit
        for part in ("mainContact", "invoiceContact", "deliveryContact")
        for field, limit in (("email", "email"), ("phone1", "phone"), ("phone2", "phone"))
    },
}
SETTING = "VISMA_NET_LIMITS"
# Where a document line's text is: invoices and credit notes, sales orders, journal transactions.
DESCRIPTION_KEYS = ("description", "lineDescription", "transactionDescription")


def limits() -> dict[str, int]:
    """The limits in force: DEFAULTS overridden by settings.VISMA_NET_LIMITS."""
    return {**DEFAULTS, **(getattr(settings, SETTING, None) or {})}


def limit(name: str) -> int:
    return int(limits()[name])


def _source(name: str) -> str:
    return f"{SETTING}['{name}']"


def body_size(body: Any) -> int:
    """Bytes of the JSON request body as the HTTP client sends it."""
    return len(json.dumps(body).encode("utf-8"))


def _value(body: dict, path: tuple[str, ...]) -> Any:
    """A plain value from a wrapped body: ("mainAddress", "city") reads body.mainAddress.value.city.value."""
    node: Any = body
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
        if isinstance(node, dict) and set(node) == {"value"}:
            node = node["value"]
    return node


def _shown(text: str) -> str:
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def document_problems(body: dict, *, lines_key: str, what: str = "document") -> list[str]:
    """What Visma.net would refuse in a document body (`lines_key`: invoiceLines, or lines of a credit note or
    a sales order, journalTransactionLines of a journal transaction)."""
    problems = []
    lines = body.get(lines_key) or []
    most = limit("document_lines")
    if len(lines) > most:
        problems.append(
            f"the {what} has {len(lines):,} lines, Koppla sends at most {most:,} in one Visma.net document "
            f"(setting {_source('document_lines')})"
        )
    longest = limit("line_description")
    for index, line in enumerate(lines, start=1):
        text = next((t for t in (_value(line, (k,)) for k in DESCRIPTION_KEYS) if isinstance(t, str)), None)
        if isinstance(text, str) and len(text) > longest:
            problems.append(
                f"line {index} description {_shown(text)} has {len(text)} characters, at most {longest} are sent "
                f"(setting {_source('line_description')})"
            )
            break
    problems.extend(_size_problem(body, what))
    return problems


def customer_problems(body: dict) -> list[str]:
    """What Visma.net would refuse in a customer body (CustomerUpdateDto)."""
    problems = []
    for path, name in CUSTOMER_FIELDS.items():
        text = _value(body, path)
        most = limit(name)
        if isinstance(text, str) and len(text) > most:
            problems.append(
                f"{'.'.join(path)} {_shown(text)} has {len(text)} characters, Visma.net takes at most {most} "
                f"(setting {_source(name)})"
            )
    return problems + _size_problem(body, "customer")


def _size_problem(body: dict, what: str) -> list[str]:
    size, most = body_size(body), limit("request_bytes")
    if size <= most:
        return []
    return [
        f"the {what} request would be {size:,} bytes, Koppla sends at most {most:,} bytes in one Visma.net request "
        f"(setting {_source('request_bytes')})"
    ]
