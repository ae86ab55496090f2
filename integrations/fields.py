"""Model fields whose values are encrypted in the database and masked in repr()."""

import json

from django.db import models

from . import crypto


class Secret(str):
    """A str that never shows itself in repr() (tracebacks, logs with %r, debug pages)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'********'" if self else "''"


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; reads back as a `Secret`."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return Secret("") if value == "" else value
        return Secret(crypto.decrypt(value))

    def to_python(self, value):
        if value is None or isinstance(value, Secret):
            return value
        return Secret(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(str(value))

    def value_to_string(self, obj):
        # Serialization (dumpdata) must not write secrets in clear.
        return ""


class SecretDict(dict):
    """A dict of secrets whose repr() names the keys but never the values."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: '********'" for k in self) + "}"


class EncryptedJSONField(models.TextField):
    """A JSON object of secrets stored as one Fernet token; reads back as a `SecretDict`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") is dict:
            kwargs.pop("default")
        if kwargs.get("blank") is True:
            kwargs.pop("blank")
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if not value:
            return SecretDict()
        return SecretDict(json.loads(crypto.decrypt(value)))

    def to_python(self, value):
        if isinstance(value, dict):
            return SecretDict(value)
        if not value:
            return SecretDict()
        return SecretDict(json.loads(value))

    def get_prep_value(self, value):
        if not value:
            return ""
        return crypto.encrypt(json.dumps(dict(value), sort_keys=True))

    def value_to_string(self, obj):
        # Serialization (dumpdata) must not write secrets in clear.
        return ""
