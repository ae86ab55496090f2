"""Admin page of the action "Change the rule and re-bind shop products" (SKU rules list).

Step 1: the new rule (prefilled with the current one). Step 2 ("Preview"):
what would be matched and what not, nothing changed. Step 3 ("Re-bind"):
bindings replaced and the rule saved in one transaction, the summary shown
as the admin message.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse

from config.errors import ApplicationError
from integrations.http import RemoteError

from .models import SkuRule

FIELDS = ("product_source", "variant_source", "size_source", "separator")


class SkuRuleRebindForm(forms.ModelForm):
    class Meta:
        model = SkuRule
        fields = FIELDS

    def clean(self):
        cleaned = super().clean()
        self.instance.rebind_confirmed = True  # the refusal of bound rules is what this page is for
        return cleaned


def rebind_page(modeladmin: admin.ModelAdmin, request, queryset):
    """The action: one rule at a time, preview first, then apply."""
    from sync.engine import remote_error_message
    from sync.flows.product_mapping import SkuRuleSpec
    from sync.product_rebind import sku_rule_rebind

    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one SKU rule to change.", messages.WARNING)
        return None
    rule = queryset.get()
    step = request.POST.get("step", "")
    form = SkuRuleRebindForm(request.POST if step else None, instance=SkuRule.objects.get(pk=rule.pk))
    report = None
    if step and form.is_valid():
        spec = SkuRuleSpec(*(form.cleaned_data[f] or "" for f in FIELDS))
        try:
            report = sku_rule_rebind(rule=rule, spec=spec, apply=step == "apply")
        except RemoteError as exc:
            form.add_error(None, remote_error_message(exc))
        except (ApplicationError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or "; ".join(exc.messages))
        else:
            if report.applied:
                level = messages.WARNING if report.unmatched_items else messages.SUCCESS
                modeladmin.message_user(request, report.summary(), level)
                return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Change the SKU rule of {rule.integration} and re-bind its shop products",
        "rule": rule,
        "form": form,
        "report": report,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/mappings/skurule/rebind.html", context)
