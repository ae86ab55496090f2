"""Keeping a previewed settlement file on the server until its import is confirmed (`PayoutUpload`).

The confirmation posts back a random key instead of the file, so its size is bounded by the upload
limit alone, not by DATA_UPLOAD_MAX_MEMORY_SIZE (the same idea as django-import-export's temporary
import file). A key works only for the user who previewed the file, until PAYOUT_UPLOAD_HOURS have passed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .files import PayoutFileError
from .models import PayoutUpload

PAYOUT_UPLOAD_HOURS = 24
_AGAIN = "upload the file again and preview it"


def _sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def payout_upload_keep(*, user, content: str, file_name: str = "") -> PayoutUpload:
    """Store a previewed file for `user`; returns the row whose `key` the confirmation posts back.
    Deletes every upload whose time has run out."""
    now = timezone.now()
    PayoutUpload.objects.filter(expires_at__lt=now).delete()
    return PayoutUpload.objects.create(
        key=secrets.token_urlsafe(32),
        user=user,
        file_name=file_name[:200],
        content=content,
        sha256=_sha256(content),
        expires_at=now + timedelta(hours=PAYOUT_UPLOAD_HOURS),
    )


def payout_upload_get(*, key: str, user) -> PayoutUpload:
    """The file `user` previewed under `key`; PayoutFileError when it is unknown, another user's, expired
    or changed since the preview."""
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
        raise PayoutFileError([f"the previewed file was changed on the server: {_AGAIN}"])
    return upload


def payout_upload_delete(*, upload: PayoutUpload) -> None:
    """Forget a file once imported."""
    PayoutUpload.objects.filter(pk=upload.pk).delete()
