"""Request bodies of every API surface as pydantic models, and the 400 that names the first invalid field.

`parse_body(model, data, limits)` validates decoded JSON against a model; a failure becomes a 400 whose
detail names the field the way the client wrote it (`entries[3].inputData`). Models are strict: a string is
never read as a number, nor a number as a string. Limits that depend on the node's settings (entries per
job, private callback destinations) reach the validators as the validation context. Entries are validated
as a list of TypedDicts, which keeps a 100,000-entry job fast.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, NotRequired, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.files import FileSettings, LineEnding
from verifalia_server.callbacks.dispatcher import CallbackUrlError, check_callback_url
from verifalia_server.engine.verdict import Quality
from verifalia_server.service.captcha import CaptchaAnswer
from verifalia_server.service.submission import Deduplication, Submission, SubmittedEntry

MAX_CUSTOM_LENGTH = 50
MAX_NAME_LENGTH = 255
# Provider tokens are a few hundred to about 2,000 characters; longer input is no token worth a siteverify.
MAX_CAPTCHA_TOKEN_LENGTH = 8192
MIN_RETENTION = dt.timedelta(minutes=5)
MAX_RETENTION = dt.timedelta(days=30)
# RFC 5321 §4.5.3.1.3: a path is at most 256 octets; longer input is not an address worth a verify.
MAX_VERIFY_INPUT_LENGTH = 1024
# A .NET-style `[d.]h:m:s` timespan, read leniently: `0:5:0`, `00:10:00`, `1.00:00:00`, and a fraction
# (`00:00:05.123`) that is discarded.
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """Limits set by the node's settings, handed to the validators as the validation context."""

    max_entries: int | None = None
    allow_private_callbacks: bool = False


_NO_LIMITS = RequestLimits()


def parse_timespan(text: str) -> dt.timedelta:
    """Parse a `[d.]h:m:s` timespan; raise ValueError when it is malformed or a field is out of range."""
    match = _TIMESPAN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a timespan of the form [d.]hh:mm:ss")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"{text!r} has an hour, minute or second field out of range")
    try:
        return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is longer than any timespan can be") from None


def _limits(info: ValidationInfo) -> RequestLimits:
    return info.context if isinstance(info.context, RequestLimits) else _NO_LIMITS


def _choice(options: Mapping[str, object], default: object) -> BeforeValidator:
    """Read a name from `options` case-insensitively (surrounding blanks ignored); null means `default`."""
    by_lower = {name.lower(): value for name, value in options.items()}
    names = ", ".join(options)

    def pick(value: object) -> object:
        if value is None:
            return default
        if isinstance(value, str) and (chosen := by_lower.get(value.strip().lower())) is not None:
            return chosen
        raise PydanticCustomError("choice", "Input should be one of {names}", {"names": names})

    return BeforeValidator(pick)


def _whole_number(value: object) -> object:
    """`5.0` as `5`: JSON has one number type, and JSON Schema counts 5.0 as an integer (2020-12 §6.1.1)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _within_entry_limit(value: object, info: ValidationInfo) -> object:
    limit = _limits(info).max_entries
    if limit is not None and isinstance(value, list) and len(value) > limit:
        raise PydanticCustomError(
            "too_many_entries",
            "The job holds {count} entries; at most {limit} are allowed per job",
            {"count": len(value), "limit": limit},
        )
    return value


def _retention(value: object) -> object:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("timespan_type", "Input should be a timespan string such as '1.00:00:00'")
    try:
        retention = parse_timespan(value)
    except ValueError as exc:
        raise PydanticCustomError("timespan_parsing", "{reason}", {"reason": str(exc)}) from None
    if not MIN_RETENTION <= retention <= MAX_RETENTION:
        raise PydanticCustomError("timespan_range", "Input should be between 0:05:00 and 30.00:00:00")
    return retention


def _delimiter(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 1 and value not in '\r\n"':
        return value
    raise PydanticCustomError(
        "delimiter", "Input should be a single character other than a quote or a line break"
    )


class EntryRequest(TypedDict):
    """One entry of a job request: the text to verify and an optional client tag."""

    inputData: str
    custom: NotRequired[Annotated[str, StringConstraints(max_length=MAX_CUSTOM_LENGTH)] | None]


# The entry limit is checked before any entry is validated; the first invalid entry ends validation.
Entries = Annotated[
    list[EntryRequest], Field(min_length=1, fail_fast=True), BeforeValidator(_within_entry_limit)
]
QualityName = Annotated[Quality, _choice({quality.value: quality for quality in Quality}, Quality.STANDARD)]
Priority = Annotated[int, Field(ge=0, le=255), BeforeValidator(_whole_number)]
ZeroBasedIndex = Annotated[int, Field(ge=0), BeforeValidator(_whole_number)]


def submitted_entries(entries: Sequence[EntryRequest]) -> list[SubmittedEntry]:
    """The validated entries as the submission logic takes them."""
    return [SubmittedEntry(entry["inputData"], entry.get("custom")) for entry in entries]


class RequestBody(BaseModel):
    """A strictly validated JSON object; `shape` says what the body must be when it is not an object."""

    model_config = ConfigDict(strict=True, frozen=True)
    shape: ClassVar[str] = "a JSON object"


class V1SubmissionRequest(RequestBody):
    """`POST /v1.4/email-validations`."""

    shape: ClassVar[str] = "a JSON object with an 'entries' array"

    entries: Entries
    quality: QualityName = Quality.STANDARD
    priority: Priority | None = None
    deduplication: Annotated[Deduplication, _choice({"off": "Off", "safe": "Safe"}, "Off")] = "Off"

    def submission(self) -> Submission:
        """The job this request asks for."""
        return Submission(
            entries=submitted_entries(self.entries),
            quality=self.quality,
            priority=self.priority,
            deduplication=self.deduplication,
        )


class CallbackRequest(RequestBody):
    """The completion callback of a v2 job: an http(s) URL, the event schema version, TLS leniency."""

    url: Annotated[str, StringConstraints(strip_whitespace=True)]
    version: Literal["1.0", "1.1"] | None = None
    skip_server_certificate_validation: bool | None = Field(None, alias="skipServerCertificateValidation")

    @field_validator("url")
    @classmethod
    def _deliverable(cls, url: str, info: ValidationInfo) -> str:
        try:
            check_callback_url(url, _limits(info).allow_private_callbacks)
        except CallbackUrlError as exc:
            raise PydanticCustomError("callback_url", "{reason}", {"reason": str(exc)}) from None
        return url

    def stored(self) -> dict[str, Any]:
        """The callback as the job stores it: the fields the client set, by their wire names."""
        return self.model_dump(by_alias=True, exclude_none=True)


class CaptchaRequest(RequestBody):
    """The CAPTCHA a v2 submission carries: its provider's name and the token the end user was given."""

    provider: str
    token: Annotated[str, StringConstraints(max_length=MAX_CAPTCHA_TOKEN_LENGTH)]

    def answer(self) -> CaptchaAnswer:
        """The CAPTCHA as the application layer checks it."""
        return CaptchaAnswer(self.provider, self.token)


class JobOptions(RequestBody):
    """The job-level options of a v2 submission, in the JSON body or in the multipart `settings` part."""

    quality: QualityName = Quality.STANDARD
    deduplication: Annotated[
        Deduplication, _choice({"Off": "Off", "Safe": "Safe", "Relaxed": "Relaxed"}, "Off")
    ] = "Off"
    priority: Priority | None = None
    name: Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)] | None = None
    retention: Annotated[dt.timedelta | None, BeforeValidator(_retention)] = None
    callback: CallbackRequest | None = None
    captcha: CaptchaRequest | None = None

    def submission(self, entries: Sequence[SubmittedEntry]) -> Submission:
        """The job these options ask for, over `entries`."""
        return Submission(
            entries=entries,
            quality=self.quality,
            deduplication=self.deduplication,
            priority=self.priority,
            name=self.name,
            retention=self.retention,
            callback=None if self.callback is None else self.callback.stored(),
            captcha=None if self.captcha is None else self.captcha.answer(),
        )


class V2SubmissionRequest(JobOptions):
    """`POST /v2.x/email-validations` with a JSON body."""

    shape: ClassVar[str] = "a JSON object with an 'entries' array"

    entries: Entries


class UploadSettings(JobOptions):
    """The `settings` part of a file submission: job options plus where the file holds the addresses.

    Rows are zero-based and inclusive; `endingRowRow` is an alias of `endingRow`. Unknown keys are ignored.
    """

    starting_row: ZeroBasedIndex | None = Field(None, alias="startingRow")
    ending_row: ZeroBasedIndex | None = Field(
        None, validation_alias=AliasChoices("endingRow", "endingRowRow")
    )
    column: ZeroBasedIndex | None = None
    sheet: ZeroBasedIndex | None = None
    line_ending: Annotated[
        LineEnding, _choice({mode.value: mode for mode in LineEnding}, LineEnding.AUTO)
    ] = Field(LineEnding.AUTO, alias="lineEnding")
    delimiter: Annotated[str | None, BeforeValidator(_delimiter)] = None

    @field_validator("ending_row")
    @classmethod
    def _not_before_start(cls, ending_row: int | None, info: ValidationInfo) -> int | None:
        starting_row = info.data.get("starting_row") or 0
        if ending_row is not None and ending_row < starting_row:
            raise PydanticCustomError(
                "row_range",
                "The ending row ({ending_row}) is before startingRow ({starting_row})",
                {"ending_row": ending_row, "starting_row": starting_row},
            )
        return ending_row

    def file_settings(self) -> FileSettings:
        """Which rows, column and sheet of the file hold the addresses."""
        return FileSettings(
            starting_row=self.starting_row or 0,
            ending_row=self.ending_row,
            column=self.column or 0,
            sheet=self.sheet or 0,
            line_ending=self.line_ending,
            delimiter=self.delimiter,
        )


class TokenRequest(RequestBody):
    """`POST /auth/tokens`: a user's username and password (a SID and auth token)."""

    shape: ClassVar[str] = "a JSON object with 'username' and 'password'"

    username: str
    password: str


class VerifyRequest(RequestBody):
    """LeadRocks `POST /v1/verify`: the one address to verify."""

    email: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_VERIFY_INPUT_LENGTH)
    ]


Body = TypeVar("Body", bound=RequestBody)


def field_path(loc: Sequence[int | str]) -> str:
    """A validation error's location as the client spells the field: `entries[3].inputData`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def parse_body(model: type[Body], data: object, limits: RequestLimits = _NO_LIMITS) -> Body:
    """Validate decoded JSON against `model`; a 400 naming the first invalid field when it does not fit."""
    try:
        return model.model_validate(data, context=limits)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_context=False, include_input=False)[0]
        if not first["loc"]:
            detail = f"The request body must be {model.shape}."
        else:
            detail = f"Invalid '{field_path(first['loc'])}': {first['msg']}."
        raise bad_request(detail) from None
