"""Admin of the field rules (Mappings › Field rules): the list with its order editable in place, CSV/xlsx
import and export like the other mapping tables, and the Preview page (a real order's body before and after
the rules, sync/field_rules_preview.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from config.admin_utils import AUDIT_FIELDS
from sync.models import Integration
from sync.selectors import integration_preselected

from .admin import MappingAdmin
from .datamapper_models import FieldRule, FieldTarget
from .resources import FieldRuleResource


class PreviewForm(forms.Form):
    integration = forms.ModelChoiceField(queryset=Integration.objects.all())
    target = forms.ChoiceField(
        label="Flow / document",
        choices=[(value, label) for value, label in FieldTarget.choices if value.startswith("orders:")],
        help_text="The body to preview; the integration's enabled rules of it are applied.",
    )
    order = forms.CharField(
        label="Order number", max_length=100, help_text="An order in the shop, e.g. 29001. Nothing is written."
    )


@admin.register(FieldRule)
class FieldRuleAdmin(MappingAdmin):
    resource_classes = [FieldRuleResource]
    change_list_template = "admin/mappings/fieldrule/change_list.html"
    list_display = [
        "position",
        "target",
        "target_path",
        "transform",
        "source_path",
        "argument_short",
        "condition",
        "enabled",
        "integration",
    ]
    list_display_links = ["target_path"]
    list_editable = ["position", "enabled"]
    list_filter = ["integration", "target", "transform", "enabled"]
    search_fields = ["target_path", "source_path", "argument", "condition"]
    search_help_text = "Target path, source path, argument or condition."
    ordering = ["integration__name", "target", "position"]
    fields = [
        "integration",
        "target",
        "position",
        "source_path",
        "transform",
        "argument",
        "target_path",
        "condition",
        "enabled",
        *AUDIT_FIELDS,
    ]
    actions = ["preview", "rules_enable", "rules_disable"]

    @admin.display(description="Argument", ordering="argument")
    def argument_short(self, obj):
        text = obj.argument.replace("\n", "; ")
        return format_html('<span title="{}">{}</span>', obj.argument, text if len(text) <= 40 else text[:39] + "…")

    # -- actions -------------------------------------------------------------------------
    @admin.action(description="Preview the rules on an order")
    def preview(self, request, queryset):
        first = queryset.select_related("integration").first()
        query = {"integration": first.integration_id, "target": first.target} if first else {}
        return _redirect(reverse("admin:mappings_fieldrule_preview") + ("?" + urlencode(query) if query else ""))

    @admin.action(description="Enable the selected rules", permissions=["change"])
    def rules_enable(self, request, queryset):
        count = queryset.update(enabled=True)
        self.message_user(request, f"{count} field rule(s) enabled.", messages.SUCCESS)

    @admin.action(description="Disable the selected rules", permissions=["change"])
    def rules_disable(self, request, queryset):
        count = queryset.update(enabled=False)
        self.message_user(request, f"{count} field rule(s) disabled.", messages.SUCCESS)

    # -- the preview page ------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", view, name="mappings_fieldrule_preview"), *super().get_urls()]

    def preview_view(self, request):
        """Pick an integration, an Orders target and an order number: the body before / after the rules."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from sync.field_rules_preview import field_rules_preview

        initial = {"integration": integration_preselected(query=request.GET), "target": request.GET.get("target")}
        submitted = "order" in request.GET
        form = PreviewForm(request.GET if submitted else None, initial=initial)
        preview = None
        if submitted and form.is_valid():
            data = form.cleaned_data
            preview = field_rules_preview(
                integration=data["integration"], target=data["target"], order_number=data["order"]
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Preview field rules on an order",
            "form": form,
            "preview": preview,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mappings/fieldrule/preview.html", context)


def _redirect(url: str):
    from django.http import HttpResponseRedirect

    return HttpResponseRedirect(url)
