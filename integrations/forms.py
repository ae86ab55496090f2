from django import forms

from config.forms import https_formfield

from .models import SECRET_KEYS, Connection
from .systems import system_info


def _secret_input(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


def _clear_box(label: str) -> forms.BooleanField:
    return forms.BooleanField(label=f"Remove the stored {label.lower()}", required=False)


class ConnectionForm(forms.ModelForm):
    """Connection form with write-only secret inputs: stored secrets are never sent to the browser."""

    client_secret = _secret_input(SECRET_KEYS["client_secret"])
    clear_client_secret = _clear_box(SECRET_KEYS["client_secret"])
    api_token = _secret_input(SECRET_KEYS["api_token"])
    clear_api_token = _clear_box(SECRET_KEYS["api_token"])
    webhook_secret = _secret_input(SECRET_KEYS["webhook_secret"])
    clear_webhook_secret = _clear_box(SECRET_KEYS["webhook_secret"])

    class Meta:
        model = Connection
        formfield_callback = https_formfield
        fields = [
            "name",
            "system",
            "auth_type",
            "base_url",
            "token_url",
            "authorize_url",
            "client_id",
            "tenant_id",
            "scopes",
            "rate_limit",
            "credentials_expire_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in SECRET_KEYS:
            if key not in self.fields:  # view-only admin: no secret inputs at all
                continue
            stored = bool(self.instance.pk and self.instance.secret(key))
            self.fields[key].help_text = (
                "Stored. Leave blank to keep it; type a new value to replace it." if stored else "Not set."
            )
        if "scopes" in self.fields:
            self.fields["scopes"].help_text = (
                "Space-separated. Blank: the system's defaults. Fortnox: Connect asks for the scopes the flows of "
                "the integrations using this connection need, shows them first, and records here what was granted."
            )
        # Blank URL / scope fields are filled from the system's defaults on save.
        for name in ("base_url", "token_url", "authorize_url", "scopes"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        system = cleaned.get("system")
        if system:
            info = system_info(system)
            defaults = {
                "base_url": info.base_url,
                "token_url": info.token_url,
                "authorize_url": info.authorize_url,
                "scopes": info.default_scopes,
            }
            for name, default in defaults.items():
                if not cleaned.get(name) and default:
                    cleaned[name] = default
                    setattr(self.instance, name, default)
            if not cleaned.get("base_url"):
                self.add_error("base_url", "This system has no default API URL: enter it.")
        return cleaned

    def secret_changes(self) -> dict[str, str | None]:
        """New secret values to store ({key: value}); None removes the key."""
        changes = {}
        for key in SECRET_KEYS:
            if self.cleaned_data.get(f"clear_{key}"):
                changes[key] = None
            elif self.cleaned_data.get(key):
                changes[key] = self.cleaned_data[key]
        return changes


SECRET_FORM_FIELDS = [name for key in SECRET_KEYS for name in (key, f"clear_{key}")]
