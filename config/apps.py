from django.contrib.admin.apps import AdminConfig


class KopplaAdminConfig(AdminConfig):
    default_site = "config.admin_site.KopplaAdminSite"
