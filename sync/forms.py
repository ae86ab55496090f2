from django import forms

from config.forms import https_formfield
from integrations.systems import Role, order_status_choices
from sync import ports

from .models import Integration

# The Integration settings a payout fee can be written off with, one per way an ERP can (sync/ports.py).
FEE_WRITEOFF_FIELDS = {
    ports.PAYMENT_WRITE_OFF_REASON_CODE: "fee_writeoff_reason_code",
    ports.PAYMENT_WRITE_OFF_ACCOUNT: "fee_writeoff_account",
}


def fee_writeoff_field(system: str) -> str:
    """The Integration field an ERP `system` needs for payout fees ("fee_writeoff_reason_code" for Visma.net,
    "fee_writeoff_account" for Fortnox), from its adapter's capabilities; "" when it writes no fee off."""
    from integrations.adapters import adapter_class

    cls = adapter_class(system, role=Role.ERP)
    capabilities = cls.capabilities if cls is not None else frozenset()
    return next((field for capability, field in FEE_WRITEOFF_FIELDS.items() if capability in capabilities), "")


class IntegrationForm(forms.ModelForm):
    allowed_order_statuses = forms.MultipleChoiceField(
        choices=order_status_choices,  # every shop's, from the registry
        widget=forms.CheckboxSelectMultiple,
        help_text="Only orders in these shop statuses are exported.",
    )

    class Meta:
        model = Integration
        formfield_callback = https_formfield
        fields = [
            "name",
            "shop",
            "erp",
            "is_active",
            "mode",
            "order_cutoff_date",
            "allowed_order_statuses",
            "default_customer_number",
            "order_document",
            "post_documents",
            "home_country",
            "tax_country_source",
            "allow_negative_quantities",
            "vat_rate_check",
            "rounding_account",
            "notify_emails",
            "notify_webhook_url",
            "number_series_warn_below",
        ]
        help_texts = {
            "product_filter": "Only ERP items matching this go to the shop. Conditions <field> = <value> (or !=, or "
            'in with a comma-separated list), joined by "and"; fields itemClass, status, type, number, description, '
            "attribute <NAME>; quote a value with blanks. E.g. itemClass = WEB and attribute WEBSHOP = 1. "
            "Blank: every item.",
        }

    def clean(self):
        """A fee setting the chosen ERP does not use is refused, naming the one it needs."""
        cleaned = super().clean()
        erp = cleaned.get("erp")
        if erp is None or erp.role != Role.ERP:
            return cleaned
        needed = fee_writeoff_field(erp.system)
        how = {"fee_writeoff_reason_code": "under a reason code", "fee_writeoff_account": "to an account"}
        for name in FEE_WRITEOFF_FIELDS.values():
            if name == needed or not cleaned.get(name):
                continue
            label = Integration._meta.get_field(needed).verbose_name if needed else ""
            self.add_error(
                name,
                f"{erp.get_system_display()} writes payout fees off {how.get(needed, 'on no payment')}, not "
                f"{how[name]}: leave this blank" + (f" and enter the {label} instead." if needed else "."),
            )
        return cleaned
