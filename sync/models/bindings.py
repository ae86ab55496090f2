"""Bindings: the source record ↔ remote object pairs written by sync/bindings.py."""

from django.db import models

from config.models import TimeStampedModel
from sync.record_names import binding_name

from .integrations import Integration


class ExternalRef(TimeStampedModel):
    """The binding between a source record and the object we created for it remotely.

    Written and committed right after a successful remote create; every create
    first looks here (then searches the remote), so nothing is created twice.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"
        SALES_ORDER = "sales_order", "Sales order"
        PRODUCT = "product", "Product"
        VARIANT = "variant", "Product variant"
        SIZE = "size", "Product size"
        STOCK = "stock", "Stock level"
        DOCUMENT = "document", "Document on order"
        PAYMENT = "payment", "Payment"
        JOURNAL_TRANSACTION = "journal_transaction", "Sales journal entry"
        ARTICLE = "article", "Shop article"
        SHOP_CUSTOMER = "shop_customer", "Customer in the shop"

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="external_refs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_id = models.CharField(max_length=100)
    target_id = models.CharField(max_length=100)
    checksum = models.CharField(max_length=64, blank=True, help_text="Hash of what was last sent.")
    data = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-synced_at"]
        verbose_name = "external reference"
        indexes = [
            models.Index(fields=["integration", "kind", "target_id"]),
            # The admin list at scale (sync/admin/bindings.py): newest first, and the key search by prefix or
            # exact id (varchar_pattern_ops: LIKE 'x%' on PostgreSQL whatever the collation).
            models.Index(fields=["synced_at", "id"], name="externalref_synced"),
            models.Index(fields=["source_id"], opclasses=["varchar_pattern_ops"], name="externalref_source_prefix"),
            models.Index(fields=["target_id"], opclasses=["varchar_pattern_ops"], name="externalref_target_prefix"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["integration", "kind", "source_id"], name="externalref_unique_source"),
            models.CheckConstraint(condition=~models.Q(target_id=""), name="externalref_target_required"),
        ]

    def __str__(self) -> str:
        return binding_name(self)


class BindingIntent(models.Model):
    """A remote create about to be made for a source record (sync/bindings.py `document_ensure`).

    Committed right before the create and removed once the create is bound (ExternalRef). A binding
    without its intent is the normal case; an intent without a binding means the create may have
    happened without its answer reaching us (a crash, a lost response): only then does the next
    attempt search the remote by Koppla's reference before creating. So a document costs no search
    call on its first attempt, and a crash still never creates it twice.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="binding_intents")
    kind = models.CharField(max_length=20, choices=ExternalRef.Kind.choices)
    source_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "pending create"
        constraints = [
            models.UniqueConstraint(fields=["integration", "kind", "source_id"], name="bindingintent_unique_source")
        ]

    def __str__(self) -> str:
        return f"Pending {self.get_kind_display().lower()} for {self.source_id}"
