"""Bindings (ExternalRef rows): what we created remotely for which source record.

`binding_save` commits on its own, right after the remote create that it
records, so a crash later in the same record still leaves the binding behind;
the next attempt finds it and does not create the object a second time.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from .models import ExternalRef, Integration


def binding_get(*, integration: Integration, kind: str, source_id: str) -> ExternalRef | None:
    return ExternalRef.objects.filter(integration=integration, kind=kind, source_id=str(source_id)).first()


def binding_by_target(*, integration: Integration, kind: str, target_id: str) -> ExternalRef | None:
    return ExternalRef.objects.filter(integration=integration, kind=kind, target_id=str(target_id)).first()


def bindings_map(*, integration: Integration, kind: str) -> dict[str, str]:
    """source id → target id of every binding of a kind."""
    return dict(ExternalRef.objects.filter(integration=integration, kind=kind).values_list("source_id", "target_id"))


def checksum_of(value) -> str:
    """A stable hash of what was sent, to tell whether it changed since."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def binding_save(
    *,
    integration: Integration,
    kind: str,
    source_id: str,
    target_id: str,
    data: dict | None = None,
    checksum: str = "",
) -> ExternalRef:
    """Record (or update) a binding and commit it at once."""
    defaults = {"target_id": str(target_id), "synced_at": timezone.now()}
    if data is not None:
        defaults["data"] = data
    if checksum:
        defaults["checksum"] = checksum
    with transaction.atomic():
        ref, _ = ExternalRef.objects.update_or_create(
            integration=integration, kind=kind, source_id=str(source_id), defaults=defaults
        )
    return ref
