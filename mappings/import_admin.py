"""Admin import (preview, then confirm) and export of the mapping tables: CSV or .xlsx, one integration.

- The import form's delimiter and encoding reach the file reader through `tabular.read_options`, set
  for the one request the import views serve.
- A file that cannot be read is a sentence under the file field, never an exception name.
- What the reader notes about the file (read as UTF-8 although another encoding was chosen, which sheet
  of a workbook was read) is shown as a warning above the preview.
- Importing needs "add" or "change" on the table; each new row needs "add" and each changed row "change"
  (checked by the resource in the preview and again at confirm, where a refusal answers 403).
- The confirm step writes all rows or none; if it finds problems it writes nothing and says why.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, QueryDict
from django.urls import reverse
from import_export.results import RowResult

from sync.selectors import integration_preselected

from .forms import IntegrationConfirmImportForm, IntegrationExportForm, IntegrationImportForm
from .tabular import FileReadError, ReadOptions, SafeCSV, SafeXLSX, SpreadsheetImport, read_options


class SpreadsheetImportExportMixin:
    import_formats = [SpreadsheetImport]
    export_formats = [SafeCSV, SafeXLSX]
    import_form_class = IntegrationImportForm
    confirm_form_class = IntegrationConfirmImportForm
    export_form_class = IntegrationExportForm

    def has_import_permission(self, request):
        return self.has_add_permission(request) or self.has_change_permission(request)

    # -- the two import steps ---------------------------------------------
    def import_action(self, request, **kwargs):
        token = read_options.set(ReadOptions.of(request.POST))
        try:
            response = super().import_action(request, **kwargs)
        finally:
            read_options.reset(token)
        result = (getattr(response, "context_data", None) or {}).get("result")
        for note in getattr(result, "notes", []):
            messages.warning(request, note)
        if getattr(result, "permission_refused", False):
            response.status_code = 403
        return response

    def process_import(self, request, **kwargs):
        token = read_options.set(ReadOptions.of(request.POST))
        try:
            return super().process_import(request, **kwargs)
        finally:
            read_options.reset(token)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, FileReadError):
            form.add_error("import_file", str(e))
        else:
            form.add_error("import_file", "The file could not be read as CSV or as an Excel .xlsx workbook.")

    def get_import_data_kwargs(self, **kwargs):
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        """After confirm: report and go back to the list, or (problems found, nothing written) say why."""
        if result.has_errors() or result.has_validation_errors():
            if getattr(result, "permission_refused", False):
                raise PermissionDenied
            problems = getattr(result, "problems", [])
            messages.error(request, "Nothing was imported. " + " ".join(problems))
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        totals = result.totals
        messages.success(
            request,
            f"Import finished: {totals[RowResult.IMPORT_TYPE_NEW]:,} new, {totals[RowResult.IMPORT_TYPE_UPDATE]:,} "
            f"updated and {totals[RowResult.IMPORT_TYPE_SKIP]:,} unchanged {self.opts.verbose_name_plural}.",
        )

    # -- the chosen integration and read options reach the resource -------
    def create_import_form(self, request):
        form = super().create_import_form(request)
        if not form.is_bound:
            form.fields["integration"].initial = integration_preselected(query=request.GET)
        return form

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        if form is not None and getattr(form, "cleaned_data", None):
            resource_kwargs["integration"] = form.cleaned_data.get("integration")
        return resource_kwargs

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            options = ReadOptions.of(import_form.cleaned_data)
            initial["integration"] = import_form.cleaned_data["integration"].pk
            initial.update(delimiter=options.delimiter, encoding=options.encoding)
        return initial

    # -- export: one integration's rows, exactly the import columns -------
    def export_action(self, request):
        """The Export page; a submission that exports nothing says at the top what is missing."""
        if request.method == "POST" and not request.POST:  # nothing sent at all: answer it like an empty form
            request.POST = QueryDict("resource=0")
        response = super().export_action(request)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if request.method == "POST" and form is not None and form.errors:
            missing = [str(message) for errors in form.errors.values() for message in errors]
            messages.error(request, "Nothing was exported. " + " ".join(missing))
        return response

    def init_request_context_data(self, request, form):
        """The export page: its integration preselected like the import page's (the list's filter, or the only one)."""
        if not form.is_bound and "integration" in form.fields and form.initial.get("integration") is None:
            form.fields["integration"].initial = integration_preselected(query=request.GET)
        return super().init_request_context_data(request, form)

    def get_export_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_export_resource_kwargs(request, **kwargs)
        form = kwargs.get("export_form")
        if form is not None and getattr(form, "cleaned_data", None):
            resource_kwargs["integration"] = form.cleaned_data.get("integration")
        return resource_kwargs

    def get_data_for_export(self, request, queryset, **kwargs):
        form = kwargs.get("export_form")
        if form is not None and getattr(form, "cleaned_data", None):
            queryset = queryset.filter(integration=form.cleaned_data["integration"])
        return super().get_data_for_export(request, queryset, **kwargs)
