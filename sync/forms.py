from django import forms

from config.forms import https_formfield

from .models import CENTRA_ORDER_STATUSES, Integration


class IntegrationForm(forms.ModelForm):
    allowed_order_statuses = forms.MultipleChoiceField(
        choices=CENTRA_ORDER_STATUSES,
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
            "home_country",
            "tax_country_source",
            "allow_negative_quantities",
            "vat_rate_check",
            "rounding_account",
            "notify_emails",
            "notify_webhook_url",
            "number_series_warn_below",
        ]
