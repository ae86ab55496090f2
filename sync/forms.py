from django import forms

from config.forms import https_formfield
from integrations.systems import order_status_choices

from .models import Integration


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
            "home_country",
            "tax_country_source",
            "allow_negative_quantities",
            "vat_rate_check",
            "rounding_account",
            "notify_emails",
            "notify_webhook_url",
            "number_series_warn_below",
        ]
