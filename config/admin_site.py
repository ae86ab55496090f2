from django.contrib import admin
from django.urls import path


class KopplaAdminSite(admin.AdminSite):
    site_header = "Koppla"
    site_title = "Koppla"
    index_title = "Operations"

    def get_urls(self):
        from sync.views import dashboard_view

        return [path("dashboard/", self.admin_view(dashboard_view), name="dashboard"), *super().get_urls()]
