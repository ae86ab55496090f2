"""Regenerate sandbox-subset.json: the operations the eAccounting sandbox serves, from the official spec.

    .venv/bin/python integrations/eaccounting/spec/build_sandbox_subset.py [path/to/visma-eaccounting-v2.openapi.yaml]

Needs PyYAML (only here: the official spec is YAML, the subset JSON). Copies each served
path (SERVED_PATHS) with every component schema it references, transitively, so the sandbox
(integrations/eaccounting/sandbox.py) validates field names, types, lengths and enums against
the spec without reading YAML at run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBSET = HERE / "sandbox-subset.json"
DEFAULT_SOURCE = HERE.parents[2].parent / "shared" / "specs" / "visma-eaccounting-v2.openapi.yaml"
REF_PREFIX = "#/components/schemas/"
SERVED_PATHS = (
    "/orders",
    "/orders/{id}",
    "/customerinvoices",
    "/customerinvoices/{invoiceId}",
    "/customers",
    "/customers/{customerId}",
    "/articles",
    "/articles/{articleId}",
    "/articleaccountcodings",
    "/companysettings",
    "/vatcodes",
    "/termsofpayments",
    "/termsofpayments/{id}",
    "/units",
    "/units/{id}",
)


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found: set[str] = set()
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                found.add(value[len(REF_PREFIX) :])
            else:
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def build(source: Path) -> dict:
    import yaml

    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    paths = {p: spec["paths"][p] for p in SERVED_PATHS}
    schemas = spec["components"]["schemas"]
    wanted, todo = set(), set(_refs(paths)) | {"CommonExtendedBadRequest", "CommonError"}
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted.add(name)
        todo |= _refs(schemas[name]) - wanted
    return {
        "openapi": spec["openapi"],
        "info": {**spec["info"], "x-subset-of": "visma-eaccounting-v2.openapi.yaml (paths the sandbox serves)"},
        "paths": paths,
        "components": {"schemas": {name: schemas[name] for name in sorted(wanted)}},
    }


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    SUBSET.write_text(json.dumps(build(source), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {SUBSET}")
