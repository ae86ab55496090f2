"""Regenerate visma-net-erp-v1.subset.json: the operations VismaNetClient calls, from the official spec.

    .venv/bin/python integrations/visma_net/spec/build_subset.py [path/to/visma-net-erp-v1.openapi.json]

The operations are read from the `@operation(METHOD, path)` markers in
integrations/visma_net/client.py and client_orders.py (by parsing the file, so no Django set-up is
needed). Each operation is copied as it is, keeping only its application/json
content, together with every component schema it references, transitively.
Contract tests (tests/contracts/) read only the subset written here.
"""

from __future__ import annotations

import ast
import copy
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLIENT = HERE.parent / "client.py"
# every module holding VismaNetClient's calls (client.py and its mixins)
CLIENT_MODULES = (CLIENT, HERE.parent / "client_orders.py")
SUBSET = HERE / "visma-net-erp-v1.subset.json"
DEFAULT_SOURCE = HERE.parents[2].parent / "shared" / "specs" / "visma-net-erp-v1.openapi.json"
REF_PREFIX = "#/components/schemas/"


def client_operations(sources: tuple[Path, ...] = CLIENT_MODULES) -> list[tuple[str, str]]:
    """(METHOD, path) of every @operation marker in the client's modules, in file order, without repeats."""
    found: list[tuple[str, str]] = []
    nodes = [node for source in sources for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))]
    for node in nodes:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and getattr(decorator.func, "id", "") == "operation"
                and len(decorator.args) == 2
            ):
                pair = (decorator.args[0].value, decorator.args[1].value)
                if pair not in found:
                    found.append(pair)
    return found


def _json_only(content: dict) -> dict:
    return {k: v for k, v in content.items() if k == "application/json"}


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = set()
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                found.add(value[len(REF_PREFIX) :])
            else:
                found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def build(spec: dict, operations: list[tuple[str, str]]) -> dict:
    paths: dict[str, dict] = {}
    for method, path in operations:
        operation = spec["paths"].get(path, {}).get(method.lower())
        if operation is None:
            raise SystemExit(f"{method} {path} is not in the official spec: fix the client's @operation marker.")
        operation = copy.deepcopy(operation)
        if "requestBody" in operation:
            operation["requestBody"]["content"] = _json_only(operation["requestBody"]["content"])
        for response in operation.get("responses", {}).values():
            if "content" in response:
                response["content"] = _json_only(response["content"])
        paths.setdefault(path, {})[method.lower()] = operation

    schemas = spec["components"]["schemas"]
    wanted, todo = set(), _refs(paths)
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        if name not in schemas:
            raise SystemExit(f"The spec refers to a missing schema {name}.")
        wanted.add(name)
        todo |= _refs(schemas[name]) - wanted
    return {
        "openapi": spec["openapi"],
        "info": {
            **spec["info"],
            "x-koppla-subset": "Operations used by integrations/visma_net/client.py, copied from the official "
            "visma-net-erp-v1.openapi.json by integrations/visma_net/spec/build_subset.py "
            "(application/json content only). Do not edit by hand.",
        },
        "servers": spec.get("servers", []),
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {name: schemas[name] for name in sorted(wanted)},
            "securitySchemes": spec["components"].get("securitySchemes", {}),
        },
    }


def main(argv: list[str]) -> None:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    spec = json.loads(source.read_text(encoding="utf-8"))
    subset = build(spec, client_operations())
    SUBSET.write_text(json.dumps(subset, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{SUBSET.name}: {len(subset['paths'])} paths, {len(subset['components']['schemas'])} schemas")


if __name__ == "__main__":
    main(sys.argv)
