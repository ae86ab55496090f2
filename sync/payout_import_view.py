"""The payout import page: upload → preview of every payout the file makes → confirm. Nothing is written
before the confirmation, and nothing at all when the file has a problem (each listed with its row)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from .models import Integration, PayoutFormat
from .payout_files import PRESETS, PayoutFileError
from .payouts import payout_file_import, payout_file_preview, payout_report

SALT = "koppla.payout-import"


class PayoutImportForm(forms.Form):
    integration = forms.ModelChoiceField(queryset=Integration.objects.all())
    format = forms.ModelChoiceField(queryset=PayoutFormat.objects.all(), help_text="How to read the file's columns.")
    file = forms.FileField(required=False, help_text="The provider's settlement report as CSV.")
    reference = forms.CharField(
        required=False, help_text="Payout id; blank: taken from the file (a file of several payouts: leave blank)."
    )
    bank_amount = forms.DecimalField(
        required=False,
        decimal_places=2,
        help_text="Amount received in the bank; blank: the file's transfer row (a file of several payouts: leave "
        "blank).",
    )
    content = forms.CharField(required=False, widget=forms.HiddenInput)  # the previewed file, signed
    file_name = forms.CharField(required=False, widget=forms.HiddenInput)


def _read_upload(upload) -> str:
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PayoutFileError(
            ["the file is not UTF-8 text: save it again as “CSV UTF-8” (Excel) or export it from the provider as UTF-8"]
        ) from None


class PayoutImportMixin:
    """`import_view` for PayoutAdmin."""

    def import_view(self, request):
        if not request.user.has_perm("sync.add_payout"):
            messages.error(request, "You may not import payouts.")
            return redirect("admin:sync_payout_changelist")
        form = PayoutImportForm(request.POST or None, request.FILES or None)
        problems, preview = [], None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            confirm = "confirm" in request.POST and data["content"]
            try:
                if confirm:
                    try:
                        content = signing.loads(data["content"], salt=SALT)
                    except signing.BadSignature:
                        raise PayoutFileError(["the previewed file was changed: upload it again"]) from None
                    file_name = data["file_name"]
                elif data["file"]:
                    content, file_name = _read_upload(data["file"]), data["file"].name
                else:
                    raise PayoutFileError(["choose a settlement file"])
                arguments = {
                    "integration": data["integration"],
                    "fmt": data["format"],
                    "content": content,
                    "file_name": file_name,
                    "reference": data["reference"],
                    "bank_amount": data["bank_amount"],
                }
                if confirm:
                    payouts = payout_file_import(**arguments)
                else:
                    preview = payout_file_preview(**arguments)
            except PayoutFileError as exc:
                problems = exc.problems
            else:
                if confirm:
                    return self._imported(request, payouts)
                form = PayoutImportForm(
                    initial={
                        **{k: v for k, v in data.items() if k not in ("file", "content")},
                        "content": signing.dumps(content, salt=SALT, compress=True),
                        "file_name": file_name,
                    }
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a payout file",
            "form": form,
            "problems": problems,
            "preview": preview,
            "opts": self.model._meta,
            "demo_integrations": Integration.objects.filter(is_active=True) if settings.SANDBOX_ENABLED else [],
            "presets": list(PRESETS),
        }
        return TemplateResponse(request, "admin/sync/payout/import.html", context)

    def _imported(self, request, payouts):
        for payout in payouts:
            report = payout_report(payout=payout)
            level = messages.SUCCESS if report.balances else messages.WARNING
            messages.add_message(
                request,
                level,
                f"Imported payout {payout}: {sum(report.counts.values())} lines, net {report.net} {payout.currency}, "
                f"bank {report.bank_amount} — "
                + ("balances to the cent." if report.balances else f"differs by {report.difference}."),
            )
        if len(payouts) == 1:
            return redirect("admin:sync_payout_change", payouts[0].pk)
        return redirect("admin:sync_payout_changelist")
