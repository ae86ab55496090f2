"""Bindings (ExternalRef rows): what we created remotely for which source record.

`binding_save` commits on its own, right after the remote create that it
records, so a crash later in the same record still leaves the binding behind;
the next attempt finds it and does not create the object a second time.

Keys and data are stored through config.storable (no NUL characters, lone
surrogates, Decimal or dates can make the write fail), and lookups clean the
key the same way, so a key is found as it was stored. Should the data still
not store, the binding is saved without it: the target id is what prevents a
second create, and it is never lost.

Every ExternalRef query and write of the flows goes through here: single lookups, page-at-a-time
lookups (`refs_for`, `refs_by_target`), saves, and `document_ensure`, the one way a document
(invoice, credit note) is found or created, bound and posted exactly once.

Pending creates (BindingIntent): `document_ensure` commits an intent right before a remote create;
once the create is bound the intent means nothing (a binding always answers first) and is retired in
bulk (`intents_retire`). Only a source with an intent and no binding (the create's answer was lost) is
searched in the remote before it is created; every other create costs no search.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from config.storable import storable_json, storable_text

from .models import BindingIntent, ExternalRef, Integration

logger = logging.getLogger("koppla.sync")


def binding_key(value) -> str:
    """A source or target id as bindings store and look it up (cleaned, at most 100 characters)."""
    return storable_text(str(value))[:100]


def binding_get(*, integration: Integration, kind: str, source_id: str) -> ExternalRef | None:
    return ExternalRef.objects.filter(integration=integration, kind=kind, source_id=binding_key(source_id)).first()


def binding_by_target(*, integration: Integration, kind: str, target_id: str) -> ExternalRef | None:
    return ExternalRef.objects.filter(integration=integration, kind=kind, target_id=binding_key(target_id)).first()


def bindings_map(*, integration: Integration, kind: str) -> dict[str, str]:
    """source id → target id of every binding of a kind."""
    return dict(ExternalRef.objects.filter(integration=integration, kind=kind).values_list("source_id", "target_id"))


def _refs_by(field: str, *, integration: Integration, kind: str, ids: Iterable[str]) -> dict[str, ExternalRef]:
    """Bindings of one kind whose `field` (source_id or target_id) is one of `ids`, keyed by that field."""
    keys = list(dict.fromkeys(binding_key(i) for i in ids))
    if not keys:
        return {}
    refs = ExternalRef.objects.filter(integration=integration, kind=kind, **{f"{field}__in": keys})
    return {getattr(ref, field): ref for ref in refs}


def refs_for(*, integration: Integration, kind: str, source_ids: Iterable[str]) -> dict[str, ExternalRef]:
    """Bindings of one kind for the given source ids (one query per page, not one per record)."""
    return _refs_by("source_id", integration=integration, kind=kind, ids=source_ids)


def refs_by_target(*, integration: Integration, kind: str, target_ids: Iterable[str]) -> dict[str, ExternalRef]:
    """Bindings of one kind whose target is one of `target_ids` (target id → binding)."""
    return _refs_by("target_id", integration=integration, kind=kind, ids=target_ids)


def credit_note_refs(*, integration: Integration, order_number: str, exclude: str = "") -> list[ExternalRef]:
    """The credit-note bindings of an order (their data names it), oldest first, but the `exclude`d refund's."""
    refs = ExternalRef.objects.filter(
        integration=integration, kind=ExternalRef.Kind.CREDIT_NOTE, data__order_number=order_number
    ).exclude(source_id=binding_key(exclude))
    return list(refs.order_by("pk"))


def checksum_of(value) -> str:
    """A stable hash of what was sent, to tell whether it changed since."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def binding_save(
    *,
    integration: Integration,
    kind: str,
    source_id: str,
    target_id: str,
    data: dict | None = None,
    checksum: str = "",
    new: bool = False,
) -> ExternalRef:
    """Record (or update) a binding and commit it at once.

    `data` is stored cleaned (config.storable). If the row cannot be written
    with it, it is written without it (data {"not_stored": why}), so the
    binding of something just created remotely is never lost. `new`: the caller
    knows of no binding (it just created the remote object): one INSERT, and an
    existing row is updated instead.
    """
    defaults = {"target_id": binding_key(target_id), "synced_at": timezone.now()}
    if data is not None:
        defaults["data"] = storable_json(data)
    if checksum:
        defaults["checksum"] = storable_text(checksum)[:64]
    write = _binding_insert if new else _binding_write
    try:
        return write(integration=integration, kind=kind, source_id=source_id, defaults=defaults)
    except Exception as exc:  # noqa: BLE001 - keep the binding itself whatever its details did
        if data is None:
            raise
        logger.exception("Binding %s %s stored without its data", kind, source_id)
        defaults["data"] = {"not_stored": storable_text(f"{type(exc).__name__}: {exc}", 500)}
        return write(integration=integration, kind=kind, source_id=source_id, defaults=defaults)


def _binding_write(*, integration: Integration, kind: str, source_id: str, defaults: dict) -> ExternalRef:
    with transaction.atomic():
        ref, _ = ExternalRef.objects.update_or_create(
            integration=integration, kind=kind, source_id=binding_key(source_id), defaults=defaults
        )
    return ref


def _binding_insert(*, integration: Integration, kind: str, source_id: str, defaults: dict) -> ExternalRef:
    """A new binding in one statement; a binding already there is updated instead."""
    try:
        with transaction.atomic():
            return ExternalRef.objects.create(
                integration=integration, kind=kind, source_id=binding_key(source_id), **defaults
            )
    except IntegrityError:
        return _binding_write(integration=integration, kind=kind, source_id=source_id, defaults=defaults)


# --------------------------------------------------------------------------- pending creates
def intents_pending(*, integration: Integration, kind: str, source_ids: Iterable[str]) -> set[str]:
    """The source ids (of those given) with a pending create: one query per page."""
    keys = list(dict.fromkeys(binding_key(i) for i in source_ids))
    if not keys:
        return set()
    return set(
        BindingIntent.objects.filter(integration=integration, kind=kind, source_id__in=keys).values_list(
            "source_id", flat=True
        )
    )


def intent_record(*, integration: Integration, kind: str, source_id: str) -> None:
    """Commit the intent to create the remote object of a source, before the create is sent."""
    intents_record(integration=integration, kind=kind, source_ids=[source_id])


def intents_record(*, integration: Integration, kind: str, source_ids: Iterable[str]) -> None:
    """Commit the intents of several sources in one statement (those recorded before stay as they are)."""
    keys = dict.fromkeys(binding_key(s) for s in source_ids)
    intents = [BindingIntent(integration=integration, kind=kind, source_id=key) for key in keys]
    if intents:
        BindingIntent.objects.bulk_create(intents, ignore_conflicts=True)


def intents_retire(*, integration: Integration) -> int:
    """Delete the integration's intents whose source is bound (their create succeeded); one statement.

    A binding answers before its intent is ever read, so intents are retired in bulk (once per run, see
    sync/flows/page_refs.py) rather than one DELETE per create."""
    bound = ExternalRef.objects.filter(integration=integration, kind=OuterRef("kind"), source_id=OuterRef("source_id"))
    deleted, _ = BindingIntent.objects.filter(integration=integration).filter(Exists(bound)).delete()
    return deleted


def intent_drop(*, integration: Integration, kind: str, source_id: str) -> None:
    """Forget an intent whose create surely did not happen (it was never sent)."""
    intents_drop(integration=integration, kind=kind, source_ids=[source_id])


def intents_drop(*, integration: Integration, kind: str, source_ids: Iterable[str]) -> None:
    """Forget the intents of sources whose create was never sent (one statement)."""
    keys = [binding_key(s) for s in source_ids]
    if keys:
        BindingIntent.objects.filter(integration=integration, kind=kind, source_id__in=keys).delete()


def _nothing_created(exc: BaseException) -> bool:
    """Whether a failed create surely created nothing: only the flow's own refusal (RecordFailed: a precheck,
    the customer's lease) before anything was sent. A remote error keeps the intent whatever it says: a
    refusal may answer a retry of a request whose first attempt got through, and a 502/504 may come after
    the work was done, so the retry searches once before creating."""
    from sync.flows.base import RecordFailed

    return isinstance(exc, RecordFailed)


@dataclass(frozen=True)
class EnsuredDocument:
    number: str
    created: bool  # created by this call (else bound before, or found remotely)
    data: dict  # the binding's data as it was found or made (before posting)


def document_ensure(
    *,
    integration: Integration,
    kind: str,
    source_id: str,
    ref: ExternalRef | None,
    find: Callable[[], tuple[str, dict] | None],
    create: Callable[[], tuple[str, dict]],
    post: Callable[..., None],
    posted_data: Callable[[EnsuredDocument, dict], dict],
    pending: bool | None = None,
    intended: bool = False,
) -> EnsuredDocument:
    """The remote document of a source record, exactly once: bound → found → created, then posted.

    1. `ref` (the source's binding, as the caller read it) names the document: it is used.
    2. Else, when a create is pending for the source (`pending`, as the caller read it per page;
       None: looked up here), `find()` looks the document up remotely by Koppla's reference:
       (number, data), bound now. Without a pending create nothing can exist remotely: no search.
    3. Else the intent is committed (unless the caller did, `intended`) and `create()` creates it:
       (number, data), bound at once, before anything else can fail, so a crash later never
       creates it a second time (the intent of a bound source is retired later, in bulk:
       `intents_retire`). A create the flow refused before sending drops the intent; after any
       remote error it stays, so the retry searches first.
    4. `post(number, check_status=…)` posts it; check_status is set unless it was just created
       (one made earlier may be posted already).
    5. The binding is updated with its data merged with `posted_data(ensured, data as bound)` and
       "released": True, so the source is left out from then on.
    """
    if ref is None and pending is None:
        pending = bool(intents_pending(integration=integration, kind=kind, source_ids=[source_id]))
    if ref is not None:
        ensured = EnsuredDocument(ref.target_id, False, ref.data or {})
    else:
        found = find() if pending else None
        if found is not None:
            number, data = found
            ref = binding_save(
                integration=integration, kind=kind, source_id=source_id, target_id=number, data=data, new=True
            )
            ensured = EnsuredDocument(number, False, data)
        else:
            if not pending and not intended:  # `intended`: the caller recorded it (a page's, in bulk)
                intent_record(integration=integration, kind=kind, source_id=source_id)
            try:
                number, data = create()
            except BaseException as exc:
                if _nothing_created(exc):
                    intent_drop(integration=integration, kind=kind, source_id=source_id)
                raise
            # Committed right after the create, before anything else can fail.
            ref = binding_save(
                integration=integration, kind=kind, source_id=source_id, target_id=number, data=data, new=True
            )
            ensured = EnsuredDocument(number, True, data)
    post(ensured.number, check_status=not ensured.created)
    bound_data = ref.data or {}
    binding_data_set(ref=ref, data={**bound_data, **posted_data(ensured, bound_data), "released": True})
    return ensured


def binding_data_set(*, ref: ExternalRef, data: dict) -> None:
    """Replace a binding's data (one UPDATE, committed); data that does not store is replaced by why."""
    now = timezone.now()
    try:
        with transaction.atomic():
            ExternalRef.objects.filter(pk=ref.pk).update(data=storable_json(data), synced_at=now)
    except Exception as exc:  # noqa: BLE001 - the binding itself stays whatever its details did
        logger.exception("Binding %s %s stored without its data", ref.kind, ref.source_id)
        ExternalRef.objects.filter(pk=ref.pk).update(
            data={"not_stored": storable_text(f"{type(exc).__name__}: {exc}", 500), "released": True}, synced_at=now
        )
    ref.data = data
