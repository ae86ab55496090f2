"""Integrations (one shop connected to one ERP), their flows and each flow's switch."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from config.models import TimeStampedModel
from integrations.models import Connection
from integrations.systems import Role, order_status_choices
from mappings.countries import COUNTRIES
from sync import ports


class Flow(models.TextChoices):
    ORDERS = "orders", "Orders → ERP invoices"
    CUSTOMERS = "customers", "Customers → ERP"
    PRODUCTS = "products", "Products ERP → shop"
    STOCK = "stock", "Stock ERP → shop"
    DOCUMENTS = "documents", "Invoices & credit notes ERP → shop"
    REFUNDS = "refunds", "Refunds → ERP credit notes"
    PAYOUTS = "payouts", "Payouts → ERP payments"
    JOURNAL = "journal", "Orders → ERP sales journal entries (daily)"
    ERP_CUSTOMERS = "erp_customers", "Customers ERP → shop"


# How often the schedule runs each flow unless the integration says otherwise (minutes).
DEFAULT_INTERVALS = {
    Flow.ORDERS: 5,
    Flow.CUSTOMERS: 15,
    Flow.PRODUCTS: 60,
    Flow.STOCK: 15,
    Flow.DOCUMENTS: 30,
    Flow.REFUNDS: 10,
    Flow.PAYOUTS: 1440,
    Flow.JOURNAL: 60,
    Flow.ERP_CUSTOMERS: 60,
}


def _default_statuses():
    return ["SHIPPED"]


class OrderDocument(models.TextChoices):
    """What an order becomes in the ERP (Integration.order_document)."""

    INVOICE = "invoice", "Customer invoice (booked)"
    SALES_ORDER = "sales_order", "Sales order (the ERP invoices it later)"
    JOURNAL_ENTRY = "journal_entry", "Sales journal entry (a day's orders per currency and VAT category)"


ORDER_DOCUMENT_NOUNS = {
    OrderDocument.INVOICE: "invoice",
    OrderDocument.SALES_ORDER: "sales order",
    OrderDocument.JOURNAL_ENTRY: "sales journal entry",
}
# The ErpPort capability (sync/ports.py) each order document needs; "" when every ERP has it.
ORDER_DOCUMENT_CAPABILITIES = {
    OrderDocument.INVOICE: "",
    OrderDocument.SALES_ORDER: ports.SALES_ORDER,
    OrderDocument.JOURNAL_ENTRY: ports.JOURNAL_TRANSACTION,
}


def order_document_problem(document: str, erp: Connection) -> str:
    """Why the ERP connection `erp` cannot take orders as `document` ("" when it can), naming the ERP."""
    from integrations.adapters import adapter_class

    needed = ORDER_DOCUMENT_CAPABILITIES.get(document, "")
    if not needed:
        return ""
    cls = adapter_class(erp.system, role=Role.ERP)
    if cls is not None and needed in cls.capabilities:
        return ""
    system = cls.display_name if cls is not None else erp.get_system_display()
    return (
        f"{erp}: Koppla cannot send {ORDER_DOCUMENT_NOUNS[document]}s to {system}; "
        f'choose "{OrderDocument.INVOICE.label}".'
    )


def only_paid_problem(shop: Connection) -> str:
    """Why `shop` cannot filter orders by payment ("" when it can: capability ORDER_PAID), naming the shop."""
    from integrations.adapters import adapter_class

    cls = adapter_class(shop.system, role=Role.SHOP)
    if cls is not None and ports.ORDER_PAID in cls.capabilities:
        return ""
    system = cls.display_name if cls is not None else shop.get_system_display()
    return f"{shop}: {system} does not tell whether an order is paid; choose the order statuses to export instead."


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
    order_document = models.CharField(
        max_length=20,
        choices=OrderDocument.choices,
        default=OrderDocument.INVOICE,
        help_text="What each order becomes in the ERP: a customer invoice, booked at once; a sales order the "
        "ERP invoices later (only for ERPs that take sales orders; a Fortnox connection then needs the 'order' "
        "scope); or a line of a daily sales journal entry (one journal transaction per day, currency and VAT "
        "category on the mapped revenue accounts: the books without the documents; ERPs that take journal "
        "transactions). Each order is sent once: an order already sent as another document is not sent again.",
    )
    only_paid_orders = models.BooleanField(
        default=False,
        help_text="Export only orders the shop holds as paid in full. Visma eAccounting has no 'paid' order "
        "status: an order counts as paid when the customer invoice made from it is paid (its payment status). "
        "Only for shops that can tell (not Centra: use its statuses).",
    )
    erp_branch = models.CharField(
        "ERP branch",
        max_length=30,
        blank=True,
        help_text="Branch sales orders and journal entries are made in (Visma.net branch number). Blank: the "
        "ERP's default branch.",
    )
    erp_order_type = models.CharField(
        "ERP sales order type",
        max_length=10,
        blank=True,
        default="SO",
        help_text="Order type of the sales orders Koppla makes (Visma.net: SO unless the company set up others).",
    )
    erp_warehouse = models.CharField(
        "ERP warehouse",
        max_length=30,
        blank=True,
        help_text="Warehouse sales order lines ship from when the order does not say. Blank: the item's default.",
    )
    journal_receivable_account = models.CharField(
        "journal receivable account",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{4,10}$", "An account is 4 to 10 digits, e.g. 1580 (BAS).")],
        help_text="Account the day's gross sales are debited to on sales journal entries, e.g. 1580 (BAS: "
        "receivables from card payments) or 1510 (customer receivables). Needed when orders are sent as sales "
        "journal entries; the nets go to the mapped revenue accounts and the VAT to the VAT category's account.",
    )
    post_documents = models.BooleanField(
        "post invoices and credit notes",
        default=True,
        help_text="Post each invoice and credit note in the ERP right after it is created (Visma.net: release; "
        "Fortnox: bookkeep). Off: they stay unposted for someone to check and post in the ERP; payouts and the "
        "documents flow then wait until they are posted there. Each is still created exactly once.",
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
    product_filter = models.CharField(
        max_length=200,
        blank=True,
        help_text="Only ERP items matching this condition go to the shop, e.g. itemClass = WEB or "
        "attribute WEBSHOP = 1. Blank: every item.",
    )
    # Customers ERP → shop (Flow.ERP_CUSTOMERS)
    update_shop_customers = models.BooleanField(
        default=False,
        help_text="Customers ERP → shop: overwrite a customer the shop already has when the ERP's changes. "
        "Off: only customers the shop lacks are created.",
    )
    # The ERP's customers are read into e-mail bindings up to this change stamp (sync/customer_directory.py)
    erp_customers_read_to = models.CharField(max_length=40, blank=True, editable=False)

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
        help_text="ERP reason code PSP fees are written off with on customer payments (checked against the ERP). "
        "For ERPs that write fees off under a reason code (Visma.net).",
    )
    fee_writeoff_account = models.CharField(
        "fee write-off account",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{4,10}$", "An account is 4 to 10 digits, e.g. 6570 (BAS).")],
        help_text="Account PSP fees are written off to on customer payments, e.g. 6570 (BAS bank charges). "
        "For ERPs that write fees off to an account instead of under a reason code (Fortnox).",
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
        if self.erp_id and self.erp.role == Role.ERP:
            problem = order_document_problem(self.order_document, self.erp)
            if problem:
                errors["order_document"] = problem
            elif self.order_document == OrderDocument.JOURNAL_ENTRY and not self.journal_receivable_account:
                errors["journal_receivable_account"] = (
                    "Sales journal entries debit the day's gross sales to this account: fill it in, e.g. 1580."
                )
        if self.only_paid_orders and self.shop_id and self.shop.role == Role.SHOP:
            problem = only_paid_problem(self.shop)
            if problem:
                errors["only_paid_orders"] = problem
        from sync.flows.product_filter import filter_problem

        problem = filter_problem(self.product_filter)
        if problem:
            errors["product_filter"] = f"The filter cannot be used: {problem}."
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
