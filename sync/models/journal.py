"""Sales journal entries (Integration.order_document "journal_entry"): each order's share, the daily entries.

- `JournalShare`: what one order adds to the sales journal in one VAT category (its nets per revenue account,
  its VAT, its gross), written by the orders flow; `entry` is set once it is summarised in an entry.
- `JournalEntry`: one journal transaction of a day, currency and VAT category (reference
  "KOPPLA-<day>-<currency>-<category>-<sequence>"). The row and its shares are written in one transaction
  before the remote create (the intent, status PENDING); CREATED once the ERP's number is bound.
- `JournalVatAccount`: the ledger account a VAT category's output VAT is credited to on the entries, where the
  ERP does not tell it (or to use another).
"""

from django.core.validators import RegexValidator
from django.db import models

from config.models import TimeStampedModel

from .integrations import Integration

account_validator = RegexValidator(r"^[0-9]{4,10}$", "An account is 4 to 10 digits, e.g. 2611 (BAS).")


class JournalEntry(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending: made in Koppla, not confirmed by the ERP yet"
        CREATED = "created", "Created in the ERP"

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="journal_entries")
    day = models.DateField(help_text="The day whose orders the entry summarises (the orders' document date).")
    currency = models.CharField(max_length=3)
    vat_category = models.CharField("VAT category", max_length=30)
    sequence = models.PositiveIntegerField(help_text="1 for a day's first entry; late orders go into the next.")
    reference = models.CharField(max_length=100, help_text="Koppla's key of the entry in the ERP.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    erp_number = models.CharField("ERP number", max_length=100, blank=True)
    net = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    vat = models.DecimalField("VAT", max_digits=18, decimal_places=4, default=0)
    gross = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    order_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "currency", "vat_category", "sequence"]
        verbose_name = "sales journal entry"
        verbose_name_plural = "sales journal entries"
        constraints = [
            models.UniqueConstraint(fields=["integration", "reference"], name="journalentry_unique_reference"),
            models.UniqueConstraint(
                fields=["integration", "day", "currency", "vat_category", "sequence"], name="journalentry_unique_seq"
            ),
        ]

    def __str__(self) -> str:
        return f"Sales journal entry {self.erp_number or self.reference}"


class JournalShare(TimeStampedModel):
    """One order's part of the sales journal in one VAT category; amounts in `currency`, exact (net + vat = gross).

    `lines`: [{"account": "3001", "net": "100.00"}, ...], the order's nets per revenue account (text amounts).
    """

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="journal_shares")
    order_number = models.CharField(max_length=100)
    day = models.DateField()
    currency = models.CharField(max_length=3)
    vat_category = models.CharField("VAT category", max_length=30)
    lines = models.JSONField(default=list)
    net = models.DecimalField(max_digits=18, decimal_places=4)
    vat = models.DecimalField("VAT", max_digits=18, decimal_places=4)
    gross = models.DecimalField(max_digits=18, decimal_places=4)
    places = models.PositiveSmallIntegerField(default=2, help_text="Decimals of the currency.")
    currency_rate = models.DecimalField(max_digits=18, decimal_places=8, null=True, blank=True)
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="shares")

    class Meta:
        ordering = ["-day", "order_number", "vat_category"]
        verbose_name = "sales journal share"
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "order_number", "vat_category"], name="journalshare_unique_order_category"
            ),
        ]
        indexes = [models.Index(fields=["integration", "entry", "day"])]

    def __str__(self) -> str:
        return f"Order {self.order_number} · {self.vat_category}"


class JournalVatAccount(TimeStampedModel):
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="journal_vat_accounts")
    vat_category = models.CharField("VAT category", max_length=30)
    account = models.CharField(
        "VAT account",
        max_length=10,
        validators=[account_validator],
        help_text="Account the category's output VAT is credited to on sales journal entries, e.g. 2611 (BAS).",
    )

    class Meta:
        ordering = ["integration__name", "vat_category"]
        verbose_name = "sales journal VAT account"
        constraints = [
            models.UniqueConstraint(fields=["integration", "vat_category"], name="journalvataccount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.vat_category} → {self.account}"
