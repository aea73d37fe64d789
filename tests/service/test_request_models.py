"""Request body models: strict validation, defaults, settings-dependent limits and 400s naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.files import FileSettings, LineEnding
from verifalia_server.api.shared.models import (
    RequestBody,
    RequestLimits,
    TokenRequest,
    UploadSettings,
    V1SubmissionRequest,
    V2SubmissionRequest,
    VerifyRequest,
    field_path,
    parse_body,
    submitted_entries,
)
from verifalia_server.engine.verdict import Quality
from verifalia_server.service.submission import SubmittedEntry

ONE_ENTRY: dict[str, Any] = {"entries": [{"inputData": "a@example.com"}]}


def refusal(model: type[RequestBody], data: object, limits: RequestLimits | None = None) -> str:
    """The detail of the 400 that `parse_body` answers for `data`."""
    with pytest.raises(ApiError) as raised:
        parse_body(model, data, limits or RequestLimits())
    assert raised.value.status == 400
    return raised.value.detail


def test_field_paths_are_spelled_as_the_client_wrote_them() -> None:
    assert field_path(("entries", 3, "inputData")) == "entries[3].inputData"
    assert field_path(("callback", "url")) == "callback.url"
    assert field_path(("priority",)) == "priority"


@pytest.mark.parametrize(
    ("model", "body", "detail"),
    [
        (V1SubmissionRequest, [], "The request body must be a JSON object with an 'entries' array."),
        (V2SubmissionRequest, "x", "The request body must be a JSON object with an 'entries' array."),
        (TokenRequest, None, "The request body must be a JSON object with 'username' and 'password'."),
        (V1SubmissionRequest, {}, "Invalid 'entries': Field required."),
        (
            V2SubmissionRequest,
            {"entries": [{"inputData": "a"}, {}]},
            "Invalid 'entries[1].inputData': Field required.",
        ),
        (
            V2SubmissionRequest,
            {"entries": [{"inputData": "a", "custom": "x" * 51}]},
            "Invalid 'entries[0].custom': String should have at most 50 characters.",
        ),
        (
            V2SubmissionRequest,
            {**ONE_ENTRY, "deduplication": "Sometimes"},
            "Invalid 'deduplication': Input should be one of Off, Safe, Relaxed.",
        ),
        (
            V1SubmissionRequest,
            {**ONE_ENTRY, "deduplication": "relaxed"},
            "Invalid 'deduplication': Input should be one of off, safe.",
        ),
        (
            V2SubmissionRequest,
            {**ONE_ENTRY, "retention": "0:04:59"},
            "Invalid 'retention': Input should be between 0:05:00 and 30.00:00:00.",
        ),
        (
            V2SubmissionRequest,
            {**ONE_ENTRY, "retention": 600},
            "Invalid 'retention': Input should be a timespan string such as '1.00:00:00'.",
        ),
        (
            V2SubmissionRequest,
            {**ONE_ENTRY, "callback": {"url": "https://example.com/x", "version": 1.1}},
            "Invalid 'callback.version': Input should be '1.0' or '1.1'.",
        ),
        (
            V2SubmissionRequest,
            {**ONE_ENTRY, "callback": {"url": "https://example.com/x", "skipServerCertificateValidation": 1}},
            "Invalid 'callback.skipServerCertificateValidation': Input should be a valid boolean.",
        ),
        (
            UploadSettings,
            {"startingRow": 4, "endingRowRow": 2},
            "Invalid 'endingRowRow': The ending row (2) is before startingRow (4).",
        ),
        (UploadSettings, {"column": "1"}, "Invalid 'column': Input should be a valid integer."),
        (TokenRequest, {"username": "sid"}, "Invalid 'password': Field required."),
    ],
)
def test_the_first_invalid_field_is_named(model: type[RequestBody], body: object, detail: str) -> None:
    assert refusal(model, body) == detail


@pytest.mark.parametrize("priority", ["5", 5.5, True, -1, 256])
def test_priority_is_a_strict_integer_from_0_to_255(priority: object) -> None:
    assert refusal(V2SubmissionRequest, {**ONE_ENTRY, "priority": priority}).startswith("Invalid 'priority'")


def test_a_whole_number_written_with_a_fraction_is_an_integer() -> None:
    # JSON has one number type; JSON Schema 2020-12 §6.1.1 counts 5.0 as the integer 5.
    assert parse_body(V2SubmissionRequest, {**ONE_ENTRY, "priority": 5.0}).priority == 5
    assert parse_body(UploadSettings, {"startingRow": 2.0}).starting_row == 2


def test_the_entry_limit_is_checked_before_any_entry() -> None:
    limits = RequestLimits(max_entries=2)
    detail = refusal(V1SubmissionRequest, {"entries": [5, 6, 7]}, limits)
    assert detail == "Invalid 'entries': The job holds 3 entries; at most 2 are allowed per job."
    assert len(parse_body(V1SubmissionRequest, {"entries": [{"inputData": "a"}] * 2}, limits).entries) == 2


def test_v1_submission_reads_names_case_insensitively_and_null_as_the_default() -> None:
    body = {
        "entries": [{"inputData": "a@example.com", "custom": "c1", "extra": True}, {"inputData": "b"}],
        "quality": " high ",
        "deduplication": "SAFE",
        "priority": 0,
    }
    submission = parse_body(V1SubmissionRequest, body).submission()
    assert list(submission.entries) == [SubmittedEntry("a@example.com", "c1"), SubmittedEntry("b")]
    assert (submission.quality, submission.deduplication, submission.priority) == (Quality.HIGH, "Safe", 0)
    defaults = parse_body(V1SubmissionRequest, {**ONE_ENTRY, "quality": None, "deduplication": None})
    assert (defaults.quality, defaults.deduplication, defaults.priority) == (Quality.STANDARD, "Off", None)


def test_v2_submission_carries_every_option() -> None:
    body = {
        **ONE_ENTRY,
        "quality": "Extreme",
        "deduplication": "relaxed",
        "priority": 200,
        "name": "list",
        "retention": "1.00:00:00",
        "callback": {"url": "  https://example.com/hook ", "version": "1.0"},
    }
    request = parse_body(V2SubmissionRequest, body)
    submission = request.submission(submitted_entries(request.entries))
    assert list(submission.entries) == [SubmittedEntry("a@example.com")]
    assert submission.quality is Quality.EXTREME
    assert (submission.deduplication, submission.priority, submission.name) == ("Relaxed", 200, "list")
    assert submission.retention == dt.timedelta(days=1)
    assert submission.callback == {"url": "https://example.com/hook", "version": "1.0"}


def test_callbacks_to_private_addresses_follow_the_limits() -> None:
    body = {**ONE_ENTRY, "callback": {"url": "http://127.0.0.1:9/x", "skipServerCertificateValidation": True}}
    assert refusal(V2SubmissionRequest, body).startswith("Invalid 'callback.url': ")
    allowed = parse_body(V2SubmissionRequest, body, RequestLimits(allow_private_callbacks=True))
    assert allowed.submission([]).callback == {
        "url": "http://127.0.0.1:9/x",
        "skipServerCertificateValidation": True,
    }


def test_upload_settings_read_file_settings_and_job_options_and_ignore_unknown_keys() -> None:
    settings = parse_body(
        UploadSettings,
        {
            "startingRow": 1,
            "endingRowRow": 5,
            "column": 2,
            "lineEnding": "crlf",
            "delimiter": ";",
            "quality": "high",
            "name": "upload",
            "unknown": {"nested": True},
        },
    )
    assert settings.file_settings() == FileSettings(
        starting_row=1, ending_row=5, column=2, sheet=0, line_ending=LineEnding.CRLF, delimiter=";"
    )
    submission = settings.submission([SubmittedEntry("a@example.com")])
    assert (submission.quality, submission.name) == (Quality.HIGH, "upload")
    assert parse_body(UploadSettings, {"endingRow": 3, "delimiter": ""}).file_settings() == FileSettings(
        ending_row=3
    )
    assert parse_body(UploadSettings, {}).file_settings() == FileSettings()


@pytest.mark.parametrize(
    ("body", "email"),
    [(b'{"email": "  a@example.com "}', "a@example.com"), (b'{"email": "x", "other": 1}', "x")],
)
def test_verify_request_takes_the_trimmed_address(body: bytes, email: str) -> None:
    assert VerifyRequest.model_validate_json(body).email == email


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"mail": "a@b.c"}',
        b'{"email": 42}',
        b'{"email": " "}',
        b'{"email": "' + b"a" * 1025 + b'"}',
    ],
)
def test_verify_request_refuses_anything_but_one_address(body: bytes) -> None:
    with pytest.raises(ValidationError):
        VerifyRequest.model_validate_json(body)
