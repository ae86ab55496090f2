from django.db import models


def https_formfield(db_field, **kwargs):
    """Model form fields where URL inputs assume https:// when the scheme is left out (Django 6 default)."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


HTTPS_URL_OVERRIDES = {models.URLField: {"assume_scheme": "https"}}
