from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from sync.webhooks import webhook


def healthz(request):
    return JsonResponse({"status": "ok"})


def favicon(request):
    """Browsers ask for /favicon.ico on their own (e.g. on JSON pages): point them at the icon, no 404 logged."""
    return HttpResponsePermanentRedirect(static("koppla/favicon.png"))


urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("integrations/", include("integrations.urls")),
    # /webhooks/<system>/<integration id>/, answered by the view the registry names (integrations/systems.py).
    path("webhooks/<slug:system>/<int:integration_id>/", webhook, name="webhook"),
    # The address users have in their Centra webhook settings: the same view, kept under its old name.
    path("webhooks/centra/<int:integration_id>/", webhook, {"system": "centra"}, name="centra_webhook"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))

handler400 = "config.bad_request.bad_request"
handler403 = "config.forbidden.permission_denied"
handler404 = "config.not_found.page_not_found"
