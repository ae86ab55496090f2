from django.conf import settings
from django.contrib import admin
from django.urls import path


class KopplaAdminSite(admin.AdminSite):
    site_header = "Koppla"
    site_title = "Koppla"
    index_title = "Operations"

    def get_urls(self):
        from sync.views import dashboard_view

        return [path("dashboard/", self.admin_view(dashboard_view), name="dashboard"), *super().get_urls()]

    def each_context(self, request):
        """Every admin page's context, plus `time_zone`: the zone its times are shown in (settings.TIME_ZONE),
        named in the header ("Times in Europe/Stockholm")."""
        return {**super().each_context(request), "time_zone": settings.TIME_ZONE}
