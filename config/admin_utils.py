"""Small helpers shared by the admin modules of every app."""

import json
import re

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

AUDIT_FIELDS = ("created_at", "updated_at")


def admin_url(obj, action: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=[obj.pk])


def admin_link(obj, text: str | None = None):
    if obj is None:
        return "—"
    return format_html('<a href="{}">{}</a>', admin_url(obj), text if text is not None else str(obj))


def changelist_link(model, text: str, **filters):
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, text)


def pretty_json(value):
    if value in (None, "", [], {}):
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    return format_html('<pre class="koppla-json">{}</pre>', text)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the system: viewable and filterable, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def erp_capitalised(text: str) -> str:
    """A label with "ERP" written as the abbreviation it is ("Erp payment method" → "ERP payment method")."""
    return re.sub(r"\berp\b", "ERP", text, flags=re.IGNORECASE)


class ErpLabelsMixin:
    """ModelAdmin forms label fields named after the ERP with "ERP", not Django's "Erp" from the field name."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and field.label:
            field.label = erp_capitalised(str(field.label))
        return field
