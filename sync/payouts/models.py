"""The payout models (app `sync`): formats of settlement files, payouts and their lines, and a file kept
between its preview and the confirmation of its import."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from config.models import TimeStampedModel
from sync.models.integrations import Integration


class PayoutFormat(TimeStampedModel):
    """How to read one payment provider's settlement CSV: which column holds what."""

    class Preset(models.TextChoices):
        GENERIC = "generic", "Generic (Koppla columns)"
        ADYEN = "adyen", "Adyen settlement details"
        KLARNA = "klarna", "Klarna settlement"
        STRIPE = "stripe", "Stripe balance transactions"

    name = models.CharField(max_length=100, unique=True)
    preset = models.CharField(max_length=20, choices=Preset.choices, default=Preset.GENERIC)
    delimiter = models.CharField(max_length=2, default=",", help_text="Use \\t for tab.")
    decimal_separator = models.CharField(
        max_length=1, default=".", choices=[(".", ". (1234.50)"), (",", ", (1234,50)")]
    )
    date_format = models.CharField(
        max_length=40, default="%Y-%m-%d", help_text="strftime pattern, e.g. %Y-%m-%d %H:%M:%S"
    )
    col_type = models.CharField("type column", max_length=100, blank=True)
    col_order = models.CharField(
        "order number column", max_length=100, help_text="Our order number (merchant reference)."
    )
    col_psp_reference = models.CharField("PSP reference column", max_length=100, blank=True)
    col_gross = models.CharField(
        "gross amount column", max_length=100, help_text="Captured / refunded amount. Signed, or the credit column."
    )
    col_gross_debit = models.CharField(
        "gross debit column", max_length=100, blank=True, help_text="If set, gross = credit column − debit column."
    )
    col_net = models.CharField(
        "net amount column",
        max_length=100,
        blank=True,
        help_text="Net (gross − fees) as the provider states it. Signed, or the credit column. If set, every row's "
        "gross − fees must equal it to the cent; fee and correction rows with no gross are read from it.",
    )
    col_net_debit = models.CharField(
        "net debit column", max_length=100, blank=True, help_text="If set, net = net column − net debit column."
    )
    col_fee = models.CharField(
        "fee column(s)", max_length=300, blank=True, help_text="One column, or several separated by commas (summed)."
    )
    col_currency = models.CharField("currency column", max_length=100, blank=True)
    col_date = models.CharField("date column", max_length=100, blank=True)
    col_payout = models.CharField("payout/batch column", max_length=100, blank=True)
    col_merchant_account = models.CharField(
        "merchant account column",
        max_length=100,
        blank=True,
        help_text="Column naming the provider's merchant account; one file with several accounts makes one payout "
        "per account and batch.",
    )
    col_net_currency = models.CharField(
        "net currency column",
        max_length=100,
        blank=True,
        help_text="Column of the currency fees and net are paid in, when the file has one besides the gross "
        "currency: a row whose two currencies differ is refused.",
    )
    type_payment = models.CharField(
        "payment types", max_length=200, blank=True, help_text="Type values of captured payments, comma-separated."
    )
    type_refund = models.CharField("refund types", max_length=200, blank=True, help_text="Type values of refunds.")
    type_chargeback = models.CharField(
        "chargeback types",
        max_length=200,
        blank=True,
        help_text="Type values of chargebacks (disputes the shopper won).",
    )
    type_fee = models.CharField(
        "fee types", max_length=200, blank=True, help_text="Type values of lines that are fees only."
    )
    type_adjustment = models.CharField(
        "adjustment types",
        max_length=200,
        blank=True,
        help_text="Type values of corrections the provider made (signed: positive = paid to you); booked by hand.",
    )
    type_payout = models.CharField(
        "bank transfer types", max_length=200, blank=True, help_text="Type values of the bank transfer line."
    )
    fees_negative = models.BooleanField(default=False, help_text="Fees are written as negative numbers.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """A type value names one kind of row: the same value under two kinds could not be counted."""
        seen: dict[str, str] = {}
        errors = {}
        for name in ("type_payment", "type_refund", "type_chargeback", "type_fee", "type_adjustment", "type_payout"):
            for value in (v.strip() for v in getattr(self, name).split(",")):
                if not value:
                    continue
                other = seen.setdefault(value.lower(), name)
                if other != name:
                    label = self._meta.get_field(other).verbose_name
                    errors[name] = f"'{value}' is also a type value of “{label}”: a row type can be one kind only."
        if errors:
            raise ValidationError(errors)


class Payout(TimeStampedModel):
    """One settlement (payout) from a payment provider, imported from its CSV."""

    class Status(models.TextChoices):
        IMPORTED = "imported", "Imported"
        PARTIAL = "partial", "Partly booked"
        BOOKED = "booked", "Booked"

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="payouts")
    format = models.ForeignKey(PayoutFormat, on_delete=models.PROTECT, related_name="payouts")
    provider = models.CharField(
        max_length=40,
        blank=True,
        help_text="The payment provider: the format's preset (adyen, klarna, stripe), or generic-<format id> for a "
        "format of Koppla columns. With merchant account and reference, the payout's identity.",
    )
    reference = models.CharField(max_length=100, help_text="Payout / batch id of the provider.")
    merchant_account = models.CharField(
        max_length=100,
        blank=True,
        help_text="The provider's merchant account the payout belongs to (blank: the file has none).",
    )
    currency = models.CharField(max_length=3)
    bank_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="What reached the bank account."
    )
    paid_out_on = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IMPORTED)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("book_payout", "Can book payouts' lines in the ERP")]
        constraints = [
            # One payout per provider, merchant account and payout id, whatever the format row or the
            # letter case it was imported with.
            models.UniqueConstraint(
                "integration",
                "provider",
                Lower("merchant_account"),
                Lower("reference"),
                name="payout_unique_provider_account",
            )
        ]

    def __str__(self) -> str:
        account = f" ({self.merchant_account})" if self.merchant_account else ""
        return f"{self.format.name} payout {self.reference}{account}"


class PayoutLine(TimeStampedModel):
    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        CHARGEBACK = "chargeback", "Chargeback"
        FEE = "fee", "Fee"
        ADJUSTMENT = "adjustment", "Adjustment"
        PAYOUT = "payout", "Bank transfer"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        BOOKED = "booked", "Booked in the ERP"
        UNMATCHED = "unmatched", "No matching invoice / credit note"
        FAILED = "failed", "Failed"
        MANUAL = "manual", "To book by hand"
        INFO = "info", "Information only"

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(help_text="Row number in the file.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    order_number = models.CharField(max_length=100, blank=True)
    psp_reference = models.CharField(max_length=100, blank=True)
    gross = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="Positive for payments, refunds and chargebacks; adjustments are signed (positive = paid to you).",
    )
    fee = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="Positive: what the provider kept.")
    carried_fee = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="Fees of other rows of this payout (refunds, chargebacks, fee rows) written off with this payment.",
    )
    currency = models.CharField(max_length=3)
    booked_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    target_id = models.CharField(max_length=100, blank=True, help_text="ERP payment number.")
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["payout", "line_no"]
        constraints = [models.UniqueConstraint(fields=["payout", "line_no"], name="payoutline_unique")]

    def __str__(self) -> str:
        return f"{self.payout.reference}:{self.line_no}"

    @property
    def source_id(self) -> str:
        return f"{self.payout_id}:{self.line_no}"


class PayoutUpload(models.Model):
    """The previewed file, so that "Confirm import" posts back only `key` whatever the file's size.

    Only its `user` may confirm it; it is deleted once imported, and any left behind is deleted
    after `expires_at` (when the next file is previewed). `sha256` is the hash of `content` (UTF-8 bytes),
    `settings_sha256` the hash of what the preview read it with (the format's preset and columns, the
    integration, a typed payout id and bank amount); both are checked before the import.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=200, blank=True)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    settings_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.file_name or self.key[:8]
