"""eAccounting's error answers in words: each code says what it means and what to do, with eAccounting's own
message, the fields a validation named and the ErrorId (errors.py; api-notes § B, spec CommonExtendedBadRequest)."""

import json

import pytest
import requests

from integrations.eaccounting.errors import (
    eaccounting_error_code,
    eaccounting_error_message,
    error_message_from,
    quota_wait,
)

ERROR_ID = "0f9a2b1c-1111-2222-3333-444455556666"


def answer(status: int, body, *, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = (json.dumps(body) if not isinstance(body, str) else body).encode()
    response.headers["Content-Type"] = content_type
    response.url = "https://eaccounting.example/v2/orders"
    return response


def test_a_validation_error_names_the_fields_eaccounting_refused():
    message, code = error_message_from(
        {
            "ErrorCode": 2000,
            "DeveloperErrorMessage": "The request is invalid.",
            "ErrorId": ERROR_ID,
            "Errors": [
                {
                    "Field": "InvoicePostalCode",
                    "ErrorCode": "Required",
                    "Message": "Postal code is required",
                    "Key": "x",
                },
                {"Field": "Name", "ErrorCode": "MaxLength", "Message": "At most 50 characters", "Key": "y"},
            ],
        }
    )

    assert code == 2000
    assert message.startswith("eAccounting refused the value of InvoicePostalCode, Name: correct it")
    assert "InvoicePostalCode: Postal code is required; Name: At most 50 characters" in message
    assert f"ErrorId {ERROR_ID}" in message and "eAccounting code 2000" in message


@pytest.mark.parametrize(
    ("code", "said", "words"),
    [
        (3000, "Order with id 'x' was not found.", "the record is not in eAccounting"),
        (
            3001,
            "Fiscal year does not exist for date 2027-01-15.",
            "create the fiscal year for 2027-01-15 in eAccounting (Settings › Fiscal years), then resync",
        ),
        (3002, "Account 3999 not found.", "add it there or correct the mapping"),
        (4000, "CustomerNumber 1001 is already used by another customer.", "a duplicate"),
        (4002, "No access to module.", "no access to this module (licence or user rights)"),
        (4010, "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 55 seconds.", "600 calls"),
        (4026, "The period 2026-01-31 is locked.", "the accounting period for 2026-01-31 is locked in eAccounting"),
    ],
)
def test_each_documented_code_is_explained_with_eaccountings_own_message(code, said, words):
    message, found = error_message_from({"ErrorCode": code, "DeveloperErrorMessage": said, "ErrorId": ERROR_ID})

    assert found == code
    assert words.lower() in message.lower()
    assert f"(eAccounting code {code}: {said}; ErrorId {ERROR_ID})" in message


def test_a_fiscal_year_error_without_a_date_still_says_what_to_create():
    message, _ = error_message_from({"ErrorCode": 3001, "DeveloperErrorMessage": "FiscalYearDoesNotExist"})
    assert "create the fiscal year for the document's date in eAccounting" in message


def test_an_unknown_code_keeps_eaccountings_words_and_code():
    message, code = error_message_from({"ErrorCode": 9999, "DeveloperErrorMessage": "Something new went wrong."})
    assert (message, code) == ("Something new went wrong.", 9999)


def test_the_identity_servers_invalid_grant_says_to_connect_again():
    message, code = error_message_from({"error": "invalid_grant", "error_description": "invalid_refresh_token"})
    assert code is None and "refresh token" in message and message.endswith("Click Connect to authorise again.")


def test_the_error_parser_reads_json_and_falls_back_to_text():
    assert "not in eAccounting" in eaccounting_error_message(
        answer(404, {"ErrorCode": 3000, "DeveloperErrorMessage": "x"})
    )
    text = eaccounting_error_message(answer(502, "<html><title>Bad gateway</title></html>", content_type="text/html"))
    assert "502" in text or "Bad gateway" in text
    assert eaccounting_error_code('{"ErrorCode": 4026}') == 4026
    assert eaccounting_error_code("not json") is None
    assert eaccounting_error_code({"Errors": [{"Field": "Name", "ErrorCode": "2000"}]}) == 2000


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("API calls quota exceeded! maximum admitted 600 per Minute. Try again in 55 seconds.", 55.0),
        ("API calls quota exceeded! Try again in 1 second.", 1.0),
        ("Quota exceeded. Try again in 2 minutes.", 120.0),
        ("API calls quota exceeded!", None),
    ],
)
def test_the_wait_a_quota_answer_names_in_its_text(text, seconds):
    assert quota_wait(answer(429, {"ErrorCode": 4010, "DeveloperErrorMessage": text})) == seconds


def test_only_a_429_names_a_wait():
    said = {"ErrorCode": 2000, "DeveloperErrorMessage": "Try again in 5 seconds."}
    assert quota_wait(answer(400, said)) is None
