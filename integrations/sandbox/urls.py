from django.urls import include, path

app_name = "sandbox"
urlpatterns = [
    path("visma-connect/", include("integrations.visma_net.connect_sandbox")),
    path("visma-net/api/", include("integrations.visma_net.sandbox")),
    path("centra/", include("integrations.centra.sandbox")),
    path("fortnox/", include("integrations.fortnox.sandbox")),
    path("eaccounting/", include("integrations.eaccounting.sandbox")),
]
