"""Field rules on the Visma.net payloads: the client takes payload objects (`.body()`), the rules work on bodies.

`finished(adapter, kind, payload)` passes the payload's body through the adapter's `body_finish`
(integrations.adapters.BodyFinishing) and returns what the client sends: the payload itself when no rules
apply, else a FinishedBody carrying the body after the rules, so the request is exactly what the record
log shows.
"""

from __future__ import annotations


class FinishedBody:
    """A body after the field rules, in the shape the client takes (an object with `.body()`)."""

    def __init__(self, body: dict):
        self._body = body

    def body(self) -> dict:
        return self._body


def finished(adapter, kind: str, payload):
    """The payload to send for body kind `kind` (see the module docstring)."""
    if getattr(adapter, "body_hook", None) is None:
        return payload
    return FinishedBody(adapter.body_finish(kind, payload.body()))
