"""Keeping a previewed settlement file on the server until its import is confirmed (`PayoutUpload`).

The confirmation posts back a random key instead of the file, so its size is bounded by the upload
limit alone, not by DATA_UPLOAD_MAX_MEMORY_SIZE (the same idea as django-import-export's temporary
import file). A key works only for the user who previewed the file, until PAYOUT_UPLOAD_HOURS have passed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .files import PayoutFileError
from .models import PayoutFormat, PayoutUpload

PAYOUT_UPLOAD_HOURS = 24
_AGAIN = "upload the file again and preview it"


def _sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


def _settings_sha256(*, fmt: PayoutFormat, integration, reference: str, bank_amount: Decimal | None) -> str:
    """The hash of everything besides the file that decides what an import writes: the format row (its
    preset and every column and type setting), the integration, a typed payout id and bank amount."""
    reading = {
        f.attname: str(getattr(fmt, f.attname))
        for f in PayoutFormat._meta.concrete_fields
        if f.attname not in ("created_at", "updated_at", "name")
    }
    amount = "" if bank_amount is None else f"{bank_amount.quantize(Decimal('0.01'))}"
    chosen = {"integration": integration.pk, "reference": reference or "", "bank_amount": amount}
    return hashlib.sha256(json.dumps([reading, chosen], sort_keys=True).encode()).hexdigest()


@transaction.atomic
def payout_upload_keep(
    *,
    user,
    content: str,
    file_name: str = "",
    fmt: PayoutFormat,
    integration,
    reference: str = "",
    bank_amount: Decimal | None = None,
) -> PayoutUpload:
    """Store a previewed file for `user` with the hash of the settings it was previewed with; returns the row
    whose `key` the confirmation posts back. Deletes every upload whose time has run out."""
    now = timezone.now()
    PayoutUpload.objects.filter(expires_at__lt=now).delete()
    return PayoutUpload.objects.create(
        key=secrets.token_urlsafe(32),
        user=user,
        file_name=file_name[:200],
        content=content,
        sha256=_sha256(content),
        settings_sha256=_settings_sha256(
            fmt=fmt, integration=integration, reference=reference, bank_amount=bank_amount
        ),
        expires_at=now + timedelta(hours=PAYOUT_UPLOAD_HOURS),
    )


def payout_upload_get(
    *, key: str, user, fmt: PayoutFormat, integration, reference: str = "", bank_amount: Decimal | None = None
) -> PayoutUpload:
    """The file `user` previewed under `key`, to be imported with the settings given (the confirmation's);
    PayoutFileError when it is unknown, another user's, expired, changed since the preview (sha256 of its
    bytes), or confirmed with another format (or the format was edited since), integration, payout id or bank
    amount than the preview showed."""
    upload = PayoutUpload.objects.filter(key=key).first()
    if upload is None:
        raise PayoutFileError(
            [
                f"the previewed file is no longer kept (already imported, or older than "
                f"{PAYOUT_UPLOAD_HOURS} hours): {_AGAIN}"
            ]
        )
    if upload.user_id != user.pk:
        raise PayoutFileError([f"the previewed file was uploaded by another user: {_AGAIN}"])
    if upload.expires_at < timezone.now():
        raise PayoutFileError([f"the preview is older than {PAYOUT_UPLOAD_HOURS} hours: {_AGAIN}"])
    if _sha256(upload.content) != upload.sha256:
        raise PayoutFileError([f"the file changed since the preview — {_AGAIN}"])
    chosen = _settings_sha256(fmt=fmt, integration=integration, reference=reference, bank_amount=bank_amount)
    if chosen != upload.settings_sha256:
        raise PayoutFileError(
            [
                f"the format “{fmt.name}”, the integration, the payout id or the bank amount is not what the preview "
                f"read the file with (or the format was edited since): nothing was imported — {_AGAIN}"
            ]
        )
    return upload


def payout_upload_delete(*, upload: PayoutUpload) -> None:
    """Forget a file once imported."""
    PayoutUpload.objects.filter(pk=upload.pk).delete()
