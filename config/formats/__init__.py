"""Koppla's own date formats (settings.FORMAT_MODULE_PATH), read before Django's for the site's language."""
