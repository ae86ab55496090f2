from django import forms
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from sync.models import Integration


class IntegrationImportForm(ImportForm):
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.all(), help_text="The integration whose mapping the file updates."
    )


class IntegrationConfirmImportForm(ConfirmImportForm):
    integration = forms.ModelChoiceField(queryset=Integration.objects.all(), widget=forms.HiddenInput)


class IntegrationExportForm(ExportForm):
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.all(), help_text="Rows of this integration are exported."
    )
