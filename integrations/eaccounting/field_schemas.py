"""What field rules may target in the bodies Koppla sends to Visma eAccounting (integrations/spec_fields.py).

Requests from the official spec in spec/ (its paths are relative to the /v2/ server): articles and
customers written by the catalogue and customer flows ERP → shop. Lengths from the spec's maxLength
(an article's Name 50, Number 40, …).
"""

from __future__ import annotations

from pathlib import Path

SPEC = Path(__file__).resolve().parent / "spec" / "visma-eaccounting-v2.openapi.yaml"

OPERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "article": (("POST", "/articles"),),
    "shop_customer": (("POST", "/customers"),),
}
# Fields the adapter finds a record by again: field rules may not change them (spec_fields.key_check).
KEYS: dict[str, tuple[str, ...]] = {
    "article": ("Number",),  # article_find
    "shop_customer": ("EmailAddress",),  # customer_find_by_email
}
