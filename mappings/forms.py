from django import forms
from import_export.forms import ConfirmImportForm, ExportForm, ImportForm

from sync.models import Integration

from .tabular import DELIMITER_CHOICES, ENCODING_CHOICES


class IntegrationImportForm(ImportForm):
    integration = forms.ModelChoiceField(
        queryset=Integration.objects.all(), help_text="The integration whose mapping the file updates."
    )
    delimiter = forms.ChoiceField(
        choices=DELIMITER_CHOICES,
        initial="auto",
        required=False,
        help_text="For CSV files: what separates the columns. Detect reads comma, semicolon (Excel in Sweden, "
        "Norway, the Netherlands) and tab files.",
    )
    encoding = forms.ChoiceField(
        choices=ENCODING_CHOICES,
        initial="utf-8",
        required=False,
        help_text="For CSV files. A file saved in Excel as plain 'CSV (Comma delimited)' on Windows is usually "
        "Windows-1252; 'CSV UTF-8' is UTF-8 (read as UTF-8 whatever is chosen here). .xlsx files need no choice.",
    )


class IntegrationConfirmImportForm(ConfirmImportForm):
    integration = forms.ModelChoiceField(queryset=Integration.objects.all(), widget=forms.HiddenInput)
    delimiter = forms.ChoiceField(choices=DELIMITER_CHOICES, required=False, widget=forms.HiddenInput)
    encoding = forms.ChoiceField(choices=ENCODING_CHOICES, required=False, widget=forms.HiddenInput)


class IntegrationExportForm(ExportForm):
    """The Export page: the integration (preselected by the admin like on Import) and the file format, CSV
    unless xlsx is chosen. Submitted without either, each field says what to choose."""

    integration = forms.ModelChoiceField(
        queryset=Integration.objects.all(),
        help_text="Rows of this integration are exported.",
        error_messages={"required": "Choose the integration whose rows to export."},
    )

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        field = self.fields["format"]
        field.choices = [(value, label) for value, label in field.choices if value != ""]
        field.initial = next((value for value, label in field.choices if label == "csv"), None)
        field.help_text = "csv opens in Excel and any text editor; xlsx is an Excel workbook."
        field.error_messages["required"] = "Choose the file format: csv or xlsx."
