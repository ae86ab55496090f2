"""A settlement file kept on the server between its preview and the confirmation of its import."""

from django.conf import settings
from django.db import models


class PayoutUpload(models.Model):
    """The previewed file, so that "Confirm import" posts back only `key` whatever the file's size.

    Only its `user` may confirm it; it is deleted once imported, and any left behind is deleted
    after `expires_at` (when the next file is previewed). `sha256` is the hash of `content`, checked
    before the import.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=200, blank=True)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.file_name or self.key[:8]
