"""Validate JSON against operations of a committed OpenAPI 3.0 subset, with unknown fields forbidden.

`strict()` injects `additionalProperties: false` into every object schema that
lists properties, recursively (components included), so a field the spec does
not know fails validation instead of passing silently.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path

from jsonschema import Draft4Validator

VISMA_NET_SUBSET = Path(__file__).resolve().parents[2] / "integrations/visma_net/spec/visma-net-erp-v1.subset.json"
FORTNOX_SPEC = Path(__file__).resolve().parents[2] / "integrations/fortnox/spec/fortnox-v3.openapi.json"


def strict(node):
    """A copy of a schema where every object with properties allows no others."""
    if isinstance(node, dict):
        out = {key: strict(value) for key, value in node.items()}
        if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(value) for value in node]
    return node


class Spec:
    def __init__(self, path: Path):
        self.document = json.loads(path.read_text(encoding="utf-8"))
        self.components = strict(self.document["components"])
        # literal paths before templated ones, so /v1/customer/customerClass wins over /v1/customer/{customerCd}
        self._templates = sorted(
            ((re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p) for p in self.document["paths"]),
            key=lambda pair: (pair[1].count("{"), pair[1]),
        )

    def operations(self) -> set[tuple[str, str]]:
        return {(method.upper(), path) for path, item in self.document["paths"].items() for method in item}

    def operation(self, method: str, path: str) -> dict:
        return self.document["paths"][path][method.lower()]

    def template_for(self, concrete_path: str) -> str | None:
        for pattern, template in self._templates:
            if pattern.match(concrete_path):
                return template
        return None

    def validator(self, schema: dict) -> Draft4Validator:
        return Draft4Validator({**strict(copy.deepcopy(schema)), "components": self.components})

    def request_schema(self, method: str, path: str) -> dict | None:
        body = self.operation(method, path).get("requestBody")
        if not body:
            return None
        content = body["content"]  # Fortnox's spec declares its JSON bodies as */*
        return (content.get("application/json") or content.get("*/*") or next(iter(content.values())))["schema"]

    def response_schema(self, method: str, path: str, status: int) -> dict | None:
        response = self.operation(method, path).get("responses", {}).get(str(status))
        if response is None:
            raise AssertionError(f"{method} {path} does not document HTTP {status}")
        return (response.get("content", {}).get("application/json") or {}).get("schema")


def problems(validator: Draft4Validator, instance) -> list[str]:
    """Every validation error as "path: message" (empty when valid)."""
    return sorted(
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    )


@functools.cache
def visma_net() -> Spec:
    return Spec(VISMA_NET_SUBSET)


@functools.cache
def fortnox() -> Spec:
    return Spec(FORTNOX_SPEC)
