from django.contrib import admin


class KopplaAdminSite(admin.AdminSite):
    site_header = "Koppla"
    site_title = "Koppla"
    index_title = "Operations"
