from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import Connection


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old one after it, run this, then drop the old key."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update():
                # Reading decrypts with any key; saving encrypts with the first.
                connection.save(update_fields=["secrets", "access_token", "refresh_token"])
                count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the secrets of {count} connection(s)."))
