"""Visma.net's error answers as one readable message (the error_parser of its HttpClient)."""

from __future__ import annotations

import json
from typing import Any

import requests

from integrations.http import response_error_text


def error_message_from(body: Any) -> str:
    """The ERP's own message from any of Visma.net's error shapes ('' when there is none)."""
    if isinstance(body, list):
        return "; ".join(m for m in (error_message_from(item) for item in body) if m)
    if not isinstance(body, dict):
        return ""
    # The exception object: {"ExceptionType", "ExceptionMessage", "ExceptionFaultCode", "ExceptionMessageID", "ExceptionDetails"}
    message = body.get("ExceptionMessage") or body.get("exceptionMessage")
    if message:
        details = body.get("ExceptionDetails") or body.get("exceptionDetails")
        if details and str(details) not in str(message):
            message = f"{message} ({details})"
        return str(message)
    # {"message": ...}, optionally with ASP.NET's modelState {"field": ["problem", ...]}
    message = body.get("message") or body.get("Message")
    problems = body.get("modelState") or body.get("ModelState") or body.get("errors")
    if not message and body.get("title"):  # RFC 7807 problem details
        message = body["title"]
    if isinstance(problems, dict) and problems:
        listed = "; ".join(
            f"{field}: {', '.join(map(str, issues)) if isinstance(issues, list) else issues}"
            for field, issues in problems.items()
        )
        message = f"{str(message).rstrip('. ')}: {listed}" if message else listed
    if message:
        return str(message)
    # An action result or DTO that failed: {"actionResult": "Failed", "errorInfo": ...}
    if body.get("errorInfo"):
        return str(body["errorInfo"])
    if body.get("error_description") or body.get("error"):
        return str(body.get("error_description") or body.get("error"))
    return ""


def visma_error_message(response: requests.Response) -> str:
    """error_parser for HttpClient: what Visma.net said, from its JSON or text."""
    try:
        body = response.json()
    except ValueError:
        return response_error_text(response)  # e.g. a gateway's HTML page: its title, not its markup
    return error_message_from(body) or json.dumps(body)[:500]
