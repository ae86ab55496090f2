"""Which fields a body Koppla sends may carry, read from the system's official OpenAPI spec.

A system whose bodies field rules may shape has a module `integrations/<system>/field_schemas.py` with:

- `SPEC`: the path of its spec (OpenAPI JSON or YAML, committed in the package);
- `OPERATIONS`: body kind (what its adapter passes to `body_finish`) → the (METHOD, path) operations whose
  request body it is, the first one the spec has wins;
- `KEYS` (optional): body kind → target paths the adapter finds a record of that kind by again (its
  reference, the e-mail customers are matched on); field rules may not target them (`key_check`);
- `lengths()` (optional): {(kind, target path with `*` for list elements): the length Koppla holds the
  field to where the spec gives no maxLength} (e.g. Visma.net's limits.py, read from settings when
  called), and `LENGTHS_SOURCE` naming where those come from.

`target_field(system, kind, path)` walks the request schema ($ref, allOf/anyOf/oneOf, arrays) along the
dotted path (`*` or a number steps into a list's elements) and returns the field, or raises
TargetFieldError with a sentence naming the nearest existing fields.
"""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType

REF = "#/components/schemas/"


class TargetFieldError(ValueError):
    """The target path names no field of the body in the system's spec (the message says which exist)."""


class TargetKeyError(TargetFieldError):
    """The target is a field Koppla finds the remote record by again (the module's KEYS): no rule may change it."""


@dataclass(frozen=True)
class TargetField:
    path: str
    type: str  # "string", "number", "integer", "boolean" or "" (the spec does not say)
    max_length: int | None
    length_source: str  # "the spec" or the module's LENGTHS_SOURCE; "" without a length
    schema: str  # the request schema's name, for messages


def field_schemas(system: str) -> ModuleType | None:
    """The system's field_schemas module, None when field rules cannot target it."""
    try:
        return import_module(f"integrations.{system}.field_schemas")
    except ModuleNotFoundError as exc:
        if exc.name in (f"integrations.{system}", f"integrations.{system}.field_schemas"):
            return None
        raise


@functools.lru_cache(maxsize=8)
def spec_load(path: str) -> dict:
    """The spec document at `path` (read once per process)."""
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith((".yaml", ".yml")):
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C safe loader where built: 0.3 s, not 3
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    return json.loads(text)


def request_schema(system: str, kind: str, *, label: str = "") -> tuple[dict, dict, str]:
    """(spec document, the request body's schema, its name) of `kind` in `system`; TargetFieldError if none."""
    who = label or system
    module = field_schemas(system)
    if module is None:
        raise TargetFieldError(
            f"field rules cannot shape what Koppla sends to {who}: Koppla has no spec of its bodies."
        )
    operations = module.OPERATIONS.get(kind)
    if not operations:
        kinds = ", ".join(sorted(module.OPERATIONS)) or "none"
        raise TargetFieldError(f"{who} takes no {kind.replace('_', ' ')} from Koppla (its bodies: {kinds}).")
    spec = spec_load(str(module.SPEC))
    for method, path in operations:
        operation = (spec.get("paths", {}).get(path) or {}).get(method.lower())
        body = (operation or {}).get("requestBody")
        if not body:
            continue
        content = body.get("content") or {}
        media = content.get("application/json") or content.get("*/*") or next(iter(content.values()), {})
        schema = media.get("schema") or {}
        name = schema.get("$ref", "").removeprefix(REF) or f"{method} {path}"
        return spec, schema, name
    wanted = " or ".join(f"{m} {p}" for m, p in operations)
    raise TargetFieldError(
        f"the {who} spec in this version of Koppla has no request for {kind.replace('_', ' ')}s ({wanted})."
    )


def target_field(system: str, kind: str, path: str, *, label: str = "") -> TargetField:
    """The field `path` names in the body of `kind` sent to `system`; TargetFieldError naming the nearest fields."""
    spec, schema, name = request_schema(system, kind, label=label)
    components = (spec.get("components") or {}).get("schemas") or {}
    node = _flat(schema, components)
    done: list[str] = []
    for segment in path.strip().split("."):
        where = ".".join(done) or "the body"
        if node["type"] == "array":
            if segment == "*" or segment.isdigit():
                node = _flat(node["items"], components)
                done.append(segment)
                continue
            raise TargetFieldError(
                f"{where} is a list in {name}: write {where}.*.{segment} (every element) or {where}.0.{segment} "
                "(the first)."
            )
        if segment == "*" or segment.isdigit():
            raise TargetFieldError(f"{where} is not a list in {name}, so '{segment}' cannot follow it.")
        properties = node["properties"]
        if not properties:
            raise TargetFieldError(f"{where} is one value in {name}, it has no field '{segment}'.")
        if segment not in properties:
            raise TargetFieldError(f"{name} has no field '{segment}' in {where}{_nearest(segment, properties)}.")
        node = _flat(properties[segment], components)
        done.append(segment)
        if node["readOnly"]:
            raise TargetFieldError(f"{'.'.join(done)} is read-only in {name}: the API does not take it.")
    full = ".".join(done)
    key_check(system, kind, full, name=name)
    if node["type"] == "array":
        raise TargetFieldError(f"{full} is a list in {name}: name a field of its elements, e.g. {full}.*.<field>.")
    if node["properties"]:
        if "value" in node["properties"]:
            raise TargetFieldError(f"{full} is wrapped in {name}: write {full}.value.")
        raise TargetFieldError(f"{full} is a group of fields in {name}{_nearest('', node['properties'], prefix=full)}.")
    length, source = node["maxLength"], "the spec" if node["maxLength"] else ""
    if length is None:
        module = field_schemas(system)
        generic = ".".join("*" if s.isdigit() else s for s in done)
        lengths = getattr(module, "lengths", None)
        length = (lengths() if lengths else {}).get((kind, generic))
        source = getattr(module, "LENGTHS_SOURCE", "Koppla's limits") if length else ""
    return TargetField(path=full, type=node["type"], max_length=length, length_source=source, schema=name)


def key_check(system: str, kind: str, path: str, *, name: str = "the body") -> None:
    """TargetKeyError when `path` (a list index written as * or a number) is, or holds, a field the system's
    adapter finds a record of `kind` by again (field_schemas.KEYS): a rule changing it would hide the record
    from that lookup, and after a lost answer Koppla would create it a second time."""
    module = field_schemas(system)
    generic = ".".join("*" if part.isdigit() else part for part in path.strip().split("."))
    for key in (getattr(module, "KEYS", {}) or {}).get(kind, ()):
        if key == generic or key.startswith(generic + "."):
            raise TargetKeyError(
                f"{key} in {name} is the field Koppla finds the record by again (after a lost answer or a crash): "
                "a rule changing it would make Koppla create the record a second time. Shape another field."
            )


def _nearest(word: str, properties: dict, *, prefix: str = "") -> str:
    names = sorted(properties)
    folded = [n for n in names if n.casefold() == word.casefold()]
    close = folded or difflib.get_close_matches(word, names, n=4, cutoff=0.5) if word else []
    shown = close or names[:12]
    more = "" if close or len(names) <= 12 else f" (and {len(names) - 12} more)"
    lead = "nearest" if close else "its fields"
    return f"; {lead}: " + ", ".join(f"{prefix}.{n}" if prefix else n for n in shown) + more


def _flat(schema: dict, components: dict, depth: int = 0) -> dict:
    """The schema with $ref followed and allOf/anyOf/oneOf merged: type, properties, items, maxLength, readOnly."""
    out = {"type": "", "properties": {}, "items": {}, "maxLength": None, "readOnly": False}
    if not isinstance(schema, dict) or depth > 20:
        return out
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF):
        merged = _flat(components.get(ref.removeprefix(REF), {}), components, depth + 1)
        out.update({k: v for k, v in merged.items() if v})
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or []:
            merged = _flat(part, components, depth + 1)
            out["properties"] = {**out["properties"], **merged["properties"]}
            for name in ("type", "items", "maxLength"):
                out[name] = out[name] or merged[name]
            out["readOnly"] = out["readOnly"] or merged["readOnly"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "")
    if kind:
        out["type"] = kind
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {**out["properties"], **schema["properties"]}
        out["type"] = out["type"] or "object"
    if schema.get("items"):
        out["items"] = schema["items"]
        out["type"] = out["type"] or "array"
    if isinstance(schema.get("maxLength"), int):
        out["maxLength"] = schema["maxLength"]
    if schema.get("readOnly"):
        out["readOnly"] = True
    if out["type"] == "object" and not out["properties"]:
        out["type"] = "object"
    return out
