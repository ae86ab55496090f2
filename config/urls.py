from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView

from sync.webhooks import centra_webhook


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("integrations/", include("integrations.urls")),
    path("webhooks/centra/<int:integration_id>/", centra_webhook, name="centra_webhook"),
    path("healthz", healthz, name="healthz"),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))
