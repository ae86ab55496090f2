from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from config.models import TimeStampedModel
from integrations.models import Connection
from integrations.systems import Role, order_status_choices
from mappings.countries import COUNTRIES


class Flow(models.TextChoices):
    ORDERS = "orders", "Orders → ERP invoices"
    CUSTOMERS = "customers", "Customers → ERP"
    PRODUCTS = "products", "Products ERP → shop"
    STOCK = "stock", "Stock ERP → shop"
    DOCUMENTS = "documents", "Invoices & credit notes ERP → shop"
    REFUNDS = "refunds", "Refunds → ERP credit notes"
    PAYOUTS = "payouts", "Payouts → ERP payments"


# How often the schedule runs each flow unless the integration says otherwise (minutes).
DEFAULT_INTERVALS = {
    Flow.ORDERS: 5,
    Flow.CUSTOMERS: 15,
    Flow.PRODUCTS: 60,
    Flow.STOCK: 15,
    Flow.DOCUMENTS: 30,
    Flow.REFUNDS: 10,
    Flow.PAYOUTS: 1440,
}


def _default_statuses():
    return ["SHIPPED"]


def validate_country(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code.")


class Integration(TimeStampedModel):
    """One shop connected to one ERP, with its flow switches and order rules."""

    class Mode(models.TextChoices):
        LIVE = "live", "Live: write to the target system"
        DRY_RUN = "dry_run", "Dry run: map and record payloads, write nothing"

    class TaxCountrySource(models.TextChoices):
        SHIPPING = "shipping", "Shipping address"
        BILLING = "billing", "Billing address"

    name = models.CharField(max_length=100, unique=True)
    shop = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="shop_integrations", help_text="Order source."
    )
    erp = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="erp_integrations")
    is_active = models.BooleanField(default=True, help_text="Off: no flow of this integration runs.")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.LIVE)
    home_country = models.CharField(
        max_length=2, default="SE", validators=[validate_country], help_text="Country the company is VAT registered in."
    )
    tax_country_source = models.CharField(
        max_length=10,
        choices=TaxCountrySource.choices,
        default=TaxCountrySource.SHIPPING,
        help_text="Which address decides the VAT country (OSS: where the goods go).",
    )
    order_cutoff_date = models.DateField(
        null=True, blank=True, help_text="Orders created before this date are never exported."
    )
    allowed_order_statuses = models.JSONField(
        default=_default_statuses, help_text="Only orders in these shop statuses are exported."
    )
    default_customer_number = models.CharField(
        max_length=30,
        blank=True,
        help_text="ERP customer used for every private-person order (walk-in customer). Blank: one ERP customer per shopper.",
    )
    allow_negative_quantities = models.BooleanField(
        default=False,
        help_text="Send order and return lines with a negative quantity to the ERP as they are. Off: such an "
        "order or return fails with the line named, before anything is written to the ERP.",
    )

    class VatRateCheck(models.TextChoices):
        REFUSE = "refuse", "Refuse: the record fails"
        WARN = "warn", "Warn: book with the shop's VAT and log a warning"

    vat_rate_check = models.CharField(
        "VAT rate check",
        max_length=10,
        choices=VatRateCheck.choices,
        default=VatRateCheck.REFUSE,
        help_text="When a line's charged VAT rate differs from its VAT category's rate on the document date: "
        "refuse = the record fails with the line named; warn = the document is booked with the shop's VAT and a "
        "warning is written to the record log.",
    )
    rounding_account = models.CharField(
        max_length=10,
        default="3740",
        validators=[RegexValidator(r"^[0-9]{4,10}$", "An account is 4 to 10 digits, e.g. 3740 (BAS).")],
        help_text="Account rounding remainders between the lines' nets and the document's taxable amount are "
        "booked to.",
    )
    notify_emails = models.TextField(
        blank=True, help_text="Who is told when a flow breaks: e-mail addresses, one per line or comma-separated."
    )
    notify_webhook_url = models.URLField(
        blank=True, help_text="Optional chat webhook (Slack/Teams-style incoming webhook) that gets the same messages."
    )
    number_series_warn_below = models.PositiveIntegerField(
        default=500, help_text="Warn when fewer customer numbers than this are left in the ERP's number series."
    )
    customer_numbering_id = models.CharField(
        max_length=30,
        default="CUSTOMER",
        help_text="The ERP number sequence new customers are numbered from (checked for capacity and overlap).",
    )
    # Products ERP → shop: which fields of an existing shop product are overwritten from the ERP.
    update_product_name = models.BooleanField(
        default=False, help_text="Overwrite product/variant names in the shop when the ERP's change."
    )
    update_product_description = models.BooleanField(
        default=False, help_text="Overwrite descriptions in the shop when the ERP's change."
    )
    update_product_price = models.BooleanField(default=True, help_text="Send price changes to the shop.")
    update_product_ean = models.BooleanField(default=True, help_text="Send EAN changes to the shop.")

    # Stock ERP → shop
    class StockMode(models.TextChoices):
        SUM = "sum", "Sum of the listed warehouses"
        SINGLE = "single", "First listed warehouse only"

    stock_erp_warehouses = models.CharField(
        max_length=200,
        blank=True,
        help_text="ERP warehouse ids whose available quantity is sent, comma-separated. Blank: all warehouses.",
    )
    stock_mode = models.CharField(max_length=10, choices=StockMode.choices, default=StockMode.SUM)
    stock_shop_warehouse = models.CharField(
        max_length=50, default="1", help_text="Shop warehouse id the stock levels are set in."
    )
    # Payouts PSP → ERP
    fee_writeoff_reason_code = models.CharField(
        "fee write-off reason code",
        max_length=30,
        blank=True,
        help_text="ERP reason code PSP fees are written off with on customer payments (checked against the ERP).",
    )
    payment_cash_account = models.CharField(
        max_length=30, blank=True, help_text="ERP cash account PSP payouts are booked to."
    )

    class Meta:
        ordering = ["name"]

    @property
    def notify_recipients(self) -> list[str]:
        return [a.strip() for a in self.notify_emails.replace("\n", ",").split(",") if a.strip()]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        if self.shop_id and self.shop.role != Role.SHOP:
            errors["shop"] = f"{self.shop} is not a shop system."
        if self.erp_id and self.erp.role != Role.ERP:
            errors["erp"] = f"{self.erp} is not an ERP."
        statuses = self.allowed_order_statuses
        # The shop's own statuses (registry); without a shop system that has some, any shop's.
        shop_system = self.shop.system if self.shop_id and self.shop.role == Role.SHOP else None
        valid = {code for code, _ in order_status_choices(shop_system)} or {code for code, _ in order_status_choices()}
        if not isinstance(statuses, list) or not statuses or not set(statuses) <= valid:
            errors["allowed_order_statuses"] = f"Pick one or more of: {', '.join(sorted(valid))}."
        from django.core.validators import validate_email

        for address in self.notify_recipients:
            try:
                validate_email(address)
            except ValidationError:
                errors["notify_emails"] = f"'{address}' is not an e-mail address."
        if errors:
            raise ValidationError(errors)


class IntegrationFlow(TimeStampedModel):
    """The on/off switch and schedule of one flow of one integration."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="flows")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    enabled = models.BooleanField(default=False)
    interval_minutes = models.PositiveIntegerField(default=15, help_text="Scheduled run interval.")

    class Meta:
        ordering = ["integration__name", "flow"]
        permissions = [("run_flow", "Can start a flow run now")]
        constraints = [
            models.UniqueConstraint(fields=["integration", "flow"], name="integrationflow_unique"),
            models.CheckConstraint(condition=models.Q(flow__in=Flow.values), name="integrationflow_flow_valid"),
            models.CheckConstraint(condition=models.Q(interval_minutes__gte=1), name="integrationflow_interval_min"),
        ]

    def __str__(self) -> str:
        return f"{self.integration} · {self.get_flow_display()}"


class SyncRun(TimeStampedModel):
    """One execution of one flow for one integration."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        WEBHOOK = "webhook", "Webhook"
        MANUAL = "manual", "Run now"
        RESYNC = "resync", "Resync"
        FOLLOW_UP = "follow_up", "Follow-up (records queued during another run)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with failed records"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        PAUSED = "paused", "Stopped: the remote asked us to wait"

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="runs")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    dry_run = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last sign of life of the worker running it; a run silent too long is taken over.",
    )
    current_source_id = models.CharField(
        max_length=100, blank=True, help_text="The record being processed right now (empty between records)."
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    ok_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    cursor_from = models.CharField(max_length=100, blank=True, help_text="Changes after this point were read.")
    cursor_to = models.CharField(max_length=100, blank=True, help_text="Where the next run starts reading.")
    message = models.TextField(blank=True, help_text="Why the run failed or was skipped.")
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"
        indexes = [models.Index(fields=["integration", "flow", "-created_at"])]
        constraints = [
            # The lock: at most one running run per integration and flow, enforced by the database.
            models.UniqueConstraint(
                fields=["integration", "flow"],
                condition=models.Q(status="running"),
                name="syncrun_one_running_per_flow",
            ),
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="syncrun_done_le_total"),
        ]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class RecordLog(TimeStampedModel):
    """What happened to one record in one attempt: payload, remote calls, result."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        DRY_RUN = "dry_run", "Dry run (not sent)"
        WAITING = "waiting", "Waiting: the remote asked us to wait"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="records")
    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="record_logs")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    source_id = models.CharField(max_length=100, help_text="Id of the record in the source system.")
    source_label = models.CharField(max_length=200, blank=True, help_text="e.g. order number, e-mail, SKU.")
    target_id = models.CharField(max_length=100, blank=True, help_text="Id created or updated in the target.")
    status = models.CharField(max_length=20, choices=Status.choices)
    attempt = models.PositiveSmallIntegerField(default=1)
    request = models.JSONField(null=True, blank=True, help_text="The payload mapped for the target.")
    response = models.JSONField(null=True, blank=True, help_text="What the target answered.")
    calls = models.JSONField(default=list, blank=True, help_text="Every remote call, secrets redacted.")
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="When the record is retried.")

    class Meta:
        ordering = ["-created_at"]
        permissions = [("resync_record", "Can resync records")]
        indexes = [
            models.Index(fields=["integration", "flow", "source_id"]),
            models.Index(fields=["status", "next_attempt_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(attempt__gte=1), name="recordlog_attempt_min"),
        ]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} {self.source_label or self.source_id}: {self.get_status_display()}"


class SyncRecord(TimeStampedModel):
    """The current state of one source record in one flow (RecordLog keeps every attempt).

    Failed records wait here for their next automatic attempt; after the last
    one they are dead letters until someone resyncs them.
    """

    class Status(models.TextChoices):
        OK = "ok", "OK"
        SKIPPED = "skipped", "Skipped"
        RETRYING = "retrying", "Failed, will retry"
        DEAD = "dead", "Failed, gave up (needs action)"
        QUEUED = "queued", "Queued for the next run"

    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="sync_records")
    flow = models.CharField(max_length=20, choices=Flow.choices)
    source_id = models.CharField(max_length=100)
    source_label = models.CharField(max_length=200, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed attempts in a row.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_log = models.ForeignKey(RecordLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "record"
        constraints = [
            models.UniqueConstraint(fields=["integration", "flow", "source_id"], name="syncrecord_unique"),
        ]
        indexes = [models.Index(fields=["integration", "flow", "status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} {self.source_label or self.source_id}"


class WebhookEvent(TimeStampedModel):
    """One webhook delivery: verified (accepted), a repeat of an accepted one (duplicate), or not (rejected).

    `reason` says in one line why a delivery was rejected, or what was skipped in an accepted one;
    `notes` lists every skipped event (bad id, not an object) of an accepted delivery.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DUPLICATE = "duplicate", "Duplicate (already accepted)"
        REJECTED = "rejected", "Rejected"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="webhook_events")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True, help_text="Events skipped in this delivery, one per line.")
    signature = models.CharField(max_length=128, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(default=list, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    enqueued = models.JSONField(default=dict, blank=True, help_text="Flow → source ids queued.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A signature is accepted once: a second delivery with it is a replay.
            models.UniqueConstraint(
                fields=["integration", "signature"],
                condition=models.Q(status="accepted"),
                name="webhookevent_signature_once",
            )
        ]

    def __str__(self) -> str:
        return f"Webhook {self.pk} ({self.get_status_display()})"


class ExternalRef(TimeStampedModel):
    """The binding between a source record and the object we created for it remotely.

    Written and committed right after a successful remote create; every create
    first looks here (then searches the remote), so nothing is created twice.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"
        PRODUCT = "product", "Product"
        VARIANT = "variant", "Product variant"
        SIZE = "size", "Product size"
        STOCK = "stock", "Stock level"
        DOCUMENT = "document", "Document on order"
        PAYMENT = "payment", "Payment"

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
        indexes = [models.Index(fields=["integration", "kind", "target_id"])]
        constraints = [
            models.UniqueConstraint(fields=["integration", "kind", "source_id"], name="externalref_unique_source"),
            models.CheckConstraint(condition=~models.Q(target_id=""), name="externalref_target_required"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_id} → {self.target_id}"


class Lease(models.Model):
    """A named lock held across remote calls, without a transaction (see sync/leases.py).

    One row per key while it is held; the holder deletes it when done. A row
    whose `expires_at` has passed belongs to a holder that died and may be
    taken over.
    """

    key = models.CharField(max_length=255, unique=True, help_text="What is locked, e.g. customer:3:anna@example.com.")
    holder = models.CharField(max_length=100, help_text="Which worker holds it: host, process id, random part.")
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="After this moment another worker may take it over.")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} (held by {self.holder} until {timezone.localtime(self.expires_at):%Y-%m-%d %H:%M:%S})"


class NumberSeriesCheck(TimeStampedModel):
    """A reading of an ERP number sequence: capacity left and overlap with other integrations."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="number_series_checks")
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.CASCADE, related_name="number_series_checks"
    )
    numbering_id = models.CharField(max_length=30)
    description = models.CharField(max_length=200, blank=True)
    start_number = models.CharField(max_length=30, blank=True)
    end_number = models.CharField(max_length=30, blank=True)
    last_number = models.CharField(max_length=30, blank=True)
    remaining = models.BigIntegerField(null=True, blank=True)
    overlaps_with = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    message = models.TextField(blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["-checked_at"]
        get_latest_by = "checked_at"
        indexes = [models.Index(fields=["connection", "numbering_id", "-checked_at"])]

    def __str__(self) -> str:
        return f"{self.connection.name} {self.numbering_id}"


class Notification(TimeStampedModel):
    """The last time people were told about one problem, so they are told at most once an hour."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="notifications")
    key = models.CharField(max_length=200, help_text="Identity of the problem, e.g. run_failed:orders.")
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    suppressed = models.PositiveIntegerField(default=0, help_text="Repeats not sent since the last message.")

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["integration", "key"], name="notification_unique_problem")]

    def __str__(self) -> str:
        return self.subject


from .bulk_models import BulkAction  # noqa: E402, F401
from .demo_models import DemoSeed  # noqa: E402, F401
from .payouts.models import Payout, PayoutFormat, PayoutLine, PayoutUpload  # noqa: E402, F401
