"""The payout import page: upload → preview of every payout the file makes → confirm. Nothing is written
before the confirmation, and nothing at all when the file has a problem (each listed with its row).
The previewed file stays on the server (`PayoutUpload`): the confirmation posts back only its key, so a
file of any size can be confirmed."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from sync.models import Integration, Payout, PayoutFormat
from sync.selectors import integration_preselected

from .files import PRESETS, PayoutFileError
from .services import money_text, payout_file_import, payout_file_preview, payout_report
from .uploads import payout_upload_delete, payout_upload_get, payout_upload_keep


class PayoutImportForm(forms.Form):
    integration = forms.ModelChoiceField(queryset=Integration.objects.all())
    format = forms.ModelChoiceField(queryset=PayoutFormat.objects.all(), help_text="How to read the file's columns.")
    file = forms.FileField(required=False, help_text="The provider's settlement report as CSV.")
    reference = forms.CharField(
        required=False,
        max_length=Payout._meta.get_field("reference").max_length,
        help_text="Payout id; blank: taken from the file (a file of several payouts: leave blank).",
    )
    bank_amount = forms.DecimalField(
        required=False,
        max_digits=Payout._meta.get_field("bank_amount").max_digits,
        decimal_places=Payout._meta.get_field("bank_amount").decimal_places,
        help_text="Amount received in the bank; blank: the file's transfer row (a file of several payouts: leave "
        "blank).",
    )
    upload = forms.CharField(required=False, widget=forms.HiddenInput)  # key of the previewed file (PayoutUpload)


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
            raise PermissionDenied  # config.forbidden renders the page naming sync.add_payout
        form = PayoutImportForm(request.POST or None, request.FILES or None)
        if not form.is_bound:
            form.fields["integration"].initial = integration_preselected(query=request.GET)
        problems, preview = [], None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            confirm = "confirm" in request.POST and data["upload"]
            upload = None
            try:
                chosen = {
                    "integration": data["integration"],
                    "fmt": data["format"],
                    "reference": data["reference"],
                    "bank_amount": data["bank_amount"],
                }
                if confirm:
                    upload = payout_upload_get(key=data["upload"], user=request.user, **chosen)
                    content, file_name = upload.content, upload.file_name
                elif data["file"]:
                    content, file_name = _read_upload(data["file"]), data["file"].name
                else:
                    raise PayoutFileError(["choose a settlement file"])
                arguments = {**chosen, "content": content, "file_name": file_name}
                if confirm:
                    payouts = payout_file_import(**arguments)
                    payout_upload_delete(upload=upload)
                else:
                    preview = payout_file_preview(**arguments)
            except PayoutFileError as exc:
                problems = exc.problems
            else:
                if confirm:
                    return self._imported(request, payouts)
                kept = payout_upload_keep(user=request.user, content=content, file_name=file_name, **chosen)
                form = PayoutImportForm(
                    initial={**{k: v for k, v in data.items() if k not in ("file", "upload")}, "upload": kept.key}
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

            def money(value, report=report, currency=payout.currency):
                return money_text(value, currency, report.places)

            if not report.balances:
                verdict = f"differs by {money(report.difference)}."
            elif report.by_hand:
                verdict = (
                    f"the net equals the bank amount, but {money(report.by_hand)} is left to book by hand "
                    "(lines “to book by hand”) before the ERP's cash movement equals it."
                )
            else:
                verdict = "balances to the cent."
            messages.add_message(
                request,
                messages.SUCCESS if report.erp_equals_bank else messages.WARNING,
                f"Imported payout {payout}: {sum(report.counts.values())} lines, net {money(report.net)}, "
                f"bank {money(report.bank_amount)} — {verdict}",
            )
        if len(payouts) == 1:
            return redirect("admin:sync_payout_change", payouts[0].pk)
        return redirect("admin:sync_payout_changelist")
