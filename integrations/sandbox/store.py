"""Storage helpers for the emulators: JSON objects per (system, kind, key) and counters."""

from collections.abc import Iterable

from django.db import router, transaction
from django.db.models import F

from .models import SandboxCounter, SandboxObject


def obj_get(system: str, kind: str, key: str | int) -> dict | None:
    row = SandboxObject.objects.filter(system=system, kind=kind, key=str(key)).only("data").first()
    return row.data if row else None


def obj_put(system: str, kind: str, key: str | int, data: dict) -> dict:
    SandboxObject.objects.update_or_create(system=system, kind=kind, key=str(key), defaults={"data": data})
    return data


def obj_delete(system: str, kind: str, key: str | int) -> bool:
    return SandboxObject.objects.filter(system=system, kind=kind, key=str(key)).delete()[0] > 0


def obj_list(system: str, kind: str) -> Iterable[dict]:
    """Every object of a kind in creation order (streams; does not load all at once)."""
    rows = SandboxObject.objects.filter(system=system, kind=kind).order_by("id").values_list("data", flat=True)
    return rows.iterator(chunk_size=500)


def obj_count(system: str, kind: str) -> int:
    return SandboxObject.objects.filter(system=system, kind=kind).count()


def obj_page(system: str, kind: str, *, offset: int, limit: int) -> list[dict]:
    rows = SandboxObject.objects.filter(system=system, kind=kind).order_by("id")[offset : offset + limit]
    return [row.data for row in rows]


def counter_next(system: str, name: str, *, start: int = 1) -> int:
    """Next number of a sequence; safe under concurrent requests."""
    with transaction.atomic(using=router.db_for_write(SandboxCounter)):
        counter, created = SandboxCounter.objects.select_for_update().get_or_create(
            system=system, name=name, defaults={"value": start}
        )
        if created:
            return start
        SandboxCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
        counter.refresh_from_db()
        return counter.value


def counter_peek(system: str, name: str) -> int | None:
    row = SandboxCounter.objects.filter(system=system, name=name).first()
    return row.value if row else None


def counter_set(system: str, name: str, value: int) -> None:
    SandboxCounter.objects.update_or_create(system=system, name=name, defaults={"value": value})


def system_reset(system: str) -> None:
    SandboxObject.objects.filter(system=system).delete()
    SandboxCounter.objects.filter(system=system).delete()
