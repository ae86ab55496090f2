"""Visma eAccounting's error answers as one readable message with its code (the error_parser of EAccountingClient).

eAccounting answers an error with `{"ErrorCode": 2000, "DeveloperErrorMessage": "…", "ErrorId": "<uuid>"}`,
the spec's CommonExtendedBadRequest adding `Errors: [{Field, ErrorCode, Message, Key}]` (CommonError) for
the fields a validation refused. The identity server answers OAuth's `{"error", "error_description"}`.
Codes and their meaning: ../shared/api-notes/fortnox-eaccounting.md § B (developer.vismaonline.com
error-codes page and its changelog); the shapes: spec visma-eaccounting-v2 components CommonExtendedBadRequest
and CommonError.

Messages read "<what it means and what to do> (eAccounting code N: <eAccounting's own message>)", so an
operator reads what to fix and support can still search the code and the ErrorId.
"""

from __future__ import annotations

import json
import re
from typing import Any

import requests

from integrations.http import response_error_text

VALIDATION = 2000
NOT_FOUND = 3000
FISCAL_YEAR_MISSING = 3001
ACCOUNT_NOT_FOUND = 3002
CONFLICT = 4000
CANNOT_BE_DELETED = 4001
NO_ACCESS = 4002
QUOTA = 4010
LOCKED_PERIOD = 4026

# Codes that mean "no such record" whatever HTTP status they come with.
NOT_FOUND_CODES = frozenset({NOT_FOUND})

_TRY_AGAIN = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*(second|sec|s\b|minute|min)", re.IGNORECASE)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})")


def explain(code: int | None, message: str, *, fields: list[str] = (), date: str = "") -> str:
    """What an eAccounting error code means for the person who has to fix it ('' for codes without words).

    `fields`: the fields a validation (2000) named; `date`: the document date a 3001/4026 is about, when known."""
    named = ", ".join(fields)
    for_date = f" for {date}" if date else " for the document's date"
    words = {
        VALIDATION: (
            f"eAccounting refused the value of {named}: correct it (in the shop record or the mapping), then resync"
            if named
            else "eAccounting refused a value of the record: correct it, then resync"
        ),
        NOT_FOUND: "the record is not in eAccounting (deleted, or never there)",
        FISCAL_YEAR_MISSING: (
            f"eAccounting has no fiscal year{for_date}: create the fiscal year{for_date} in eAccounting "
            "(Settings › Fiscal years), then resync"
        ),
        ACCOUNT_NOT_FOUND: (
            "the account is not in eAccounting's chart of accounts: add it there or correct the mapping, then resync"
        ),
        CONFLICT: "eAccounting already holds such a record (a duplicate, e.g. the same number): it was not created again",
        CANNOT_BE_DELETED: "eAccounting does not let this record be deleted (it is in use)",
        NO_ACCESS: (
            "the eAccounting company or user has no access to this module (licence or user rights): add it in "
            "eAccounting, or connect with a user who has it, then click Connect again"
        ),
        QUOTA: "eAccounting's quota of 600 calls per minute for this endpoint is used up: Koppla waits and goes on",
        LOCKED_PERIOD: (
            f"the accounting period{for_date} is locked in eAccounting: unlock it (Settings › Lock accounting "
            "period) or date the document in an open period"
        ),
    }
    return words.get(code, "") if code is not None else ""


def _sentence(words: str) -> str:
    """Words as a sentence's start ("eAccounting …" keeps its own spelling)."""
    return words if words.startswith("eAccounting") else f"{words[0].upper()}{words[1:]}"


def _code(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def field_errors(body: Any) -> list[dict]:
    """The spec's CommonError entries ({Field, ErrorCode, Message, Key}) of an error body, [] when none."""
    errors = body.get("Errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def error_message_from(body: Any) -> tuple[str, int | None]:
    """(readable message, eAccounting code) from any of eAccounting's error shapes; ('', None) when there is none."""
    if not isinstance(body, dict):
        return "", None
    code = _code(body.get("ErrorCode"))
    said = str(body.get("DeveloperErrorMessage") or body.get("Message") or "").strip()
    problems = field_errors(body)
    fields = [str(e.get("Field")) for e in problems if e.get("Field")]
    if code is None and problems:
        code = _code(problems[0].get("ErrorCode"))
    if code is not None or said or problems:
        date = next(iter(_DATE.findall(said)), "")
        words = explain(code, said, fields=fields, date=date)
        details = "; ".join(
            f"{e.get('Field')}: {e.get('Message') or e.get('ErrorCode') or '?'}"
            if e.get("Field")
            else str(e.get("Message") or e.get("ErrorCode") or "")
            for e in problems
        )
        own = "; ".join(part for part in (said, details) if part)
        error_id = str(body.get("ErrorId") or "")
        source = f"eAccounting code {code}" if code is not None else "eAccounting"
        source += f": {own}" if own else ""
        source += f"; ErrorId {error_id}" if error_id else ""
        text = f"{_sentence(words)} ({source})" if words else (own or source)
        return text, code
    if body.get("error") == "invalid_grant":
        return (
            "Visma's identity server refused the refresh token (invalid_grant: "
            f"{body.get('error_description') or 'invalid refresh token'}): it was used already or has been "
            "revoked. Click Connect to authorise again."
        ), None
    for key in ("error_description", "message", "error"):
        if isinstance(body.get(key), str) and body[key]:
            return body[key], None
    return "", None


def _body(response: requests.Response) -> Any:
    try:
        return json.loads(response.text or "")
    except ValueError:
        return None


def eaccounting_error_message(response: requests.Response) -> str:
    """error_parser for HttpClient: what eAccounting said, in words."""
    body = _body(response)
    if body is None:
        return response_error_text(response)
    message, _code = error_message_from(body)
    return message or json.dumps(body)[:500]


def eaccounting_error_code(body: Any) -> int | None:
    """The eAccounting code of an error body (already redacted JSON or text), None when it has none."""
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    return error_message_from(body)[1] if isinstance(body, dict) else None


def quota_wait(response: requests.Response) -> float | None:
    """Seconds a 429 asks to wait in its text: "… Try again in 55 seconds." (code 4010, api-notes § B).

    The wait_reader of EAccountingClient, used when the answer has no Retry-After header; None when the
    text names no wait."""
    if response.status_code != 429:
        return None
    body = _body(response)
    text = str(body.get("DeveloperErrorMessage") or "") if isinstance(body, dict) else (response.text or "")
    found = _TRY_AGAIN.search(text)
    if not found:
        return None
    seconds = float(found.group(1))
    return seconds * 60 if found.group(2).lower().startswith("min") else seconds
