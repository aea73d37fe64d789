"""The user a `POST /users` body describes, or a JSON Patch leaves: validated strictly, no unknown member.

The shape is the wire form of `user_wire`, without its read-only members; `parse_body` turns a mismatch into a
400 naming the field (`authorization.rules[2]`).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from verifalia_server.api.shared.models import MAX_NAME_LENGTH, RequestBody
from verifalia_server.api.v2.user_wire import PERIODS, SCOPES
from verifalia_server.service.permissions import UserType
from verifalia_server.service.users import NewUser, UserChange
from verifalia_server.store.users import Profile, ThrottlingRule

MAX_USERNAME_LENGTH = 100
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_RULES = 100
MAX_RULE_LENGTH = 100
MAX_ORIGINS = 100
# PostgreSQL `integer` (throttling limits are held to the same range).
MAX_INTEGER = 2_147_483_647
# RFC 7617 §2: a user-id cannot contain a colon; control characters and blanks are refused too.
USERNAME_PATTERN = r"^[^:\x00-\x20\x7f]+$"

_BROWSER_APP_LOGIN = "A browser app has no login settings: its key is its id, with an empty password"
_PERIODS = {wire: stored for stored, wire in PERIODS.items()}
_SCOPES = {wire: stored for stored, wire in SCOPES.items()}

DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH)]
Username = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_USERNAME_LENGTH, pattern=USERNAME_PATTERN)
]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)]
RuleText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_RULE_LENGTH)]
Origin = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH)]


def _whole_number(value: object) -> object:
    """`5.0` as `5`: JSON has one number type, and JSON Schema counts 5.0 as an integer (2020-12 §6.1.1)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Positive = Annotated[int, Field(ge=1, le=MAX_INTEGER), BeforeValidator(_whole_number)]


class _Part(RequestBody):
    """A member of a user: strict, and no member it does not know."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class PasswordLogin(_Part):
    """`authentication.password`: username-password login, its second factor, and a new password."""

    is_enabled: bool = Field(True, alias="isEnabled")
    is_mfa_required: bool = Field(False, alias="isMfaRequired")
    username: Username | None = None
    password: Password | None = None


class CertificateLogin(_Part):
    """`authentication.certificate`: whether registered client certificates log the user in."""

    is_enabled: bool = Field(False, alias="isEnabled")


class Authentication(_Part):
    """`authentication`: the user's login methods."""

    password: PasswordLogin | None = None
    certificate: CertificateLogin | None = None


class Authorization(_Part):
    """`authorization`: the user's rules."""

    rules: Annotated[list[RuleText], Field(max_length=MAX_RULES)]


class TrustedOrigin(_Part):
    """`trustedOrigin`: the HTTP origins a browser app's key may be used from."""

    is_enabled: bool = Field(False, alias="isEnabled")
    expressions: Annotated[list[Origin], Field(max_length=MAX_ORIGINS)] | None = None


class Captcha(_Part):
    """`captcha`: whether every submission of the user must carry a solved CAPTCHA."""

    is_enabled: bool = Field(False, alias="isEnabled")


class Throttle(_Part):
    """One throttling rule: at most `limit` jobs per period, for the user or per client IP address."""

    limit: Positive
    period: Literal["Minute", "Hour", "Day"]
    scope: Literal["Global", "IPAddress"]


class Throttling(_Part):
    """`throttling`: entries per job and jobs per period."""

    max_entries_per_job: Positive | None = Field(None, alias="maxEntriesPerJob")
    rules: list[Throttle] | None = None


class UserRequest(_Part):
    """A user as a client writes it."""

    shape: ClassVar[str] = "a JSON object describing a user"

    type: Literal["Administrator", "Standard", "BrowserApp"]
    display_name: DisplayName = Field(alias="displayName")
    is_active: bool = Field(True, alias="isActive")
    authentication: Authentication | None = None
    authorization: Authorization | None = None
    trusted_origin: TrustedOrigin | None = Field(None, alias="trustedOrigin")
    captcha: Captcha | None = None
    throttling: Throttling | None = None

    @field_validator("authentication")
    @classmethod
    def _no_browser_app_login(
        cls, value: Authentication | None, info: ValidationInfo
    ) -> Authentication | None:
        if value is not None and info.data.get("type") == UserType.BROWSER_APP.value:
            raise PydanticCustomError("browser_app_login", _BROWSER_APP_LOGIN)
        return value

    @property
    def user_type(self) -> UserType:
        """The user's type."""
        return UserType(self.type)

    @property
    def password(self) -> str | None:
        """The new password, when the request sets one."""
        login = self._password_login
        return None if login is None else login.password

    def new_user(self) -> NewUser:
        """The user to create; without `authorization`, the type's default rules apply."""
        rules = None if self.authorization is None else tuple(self.authorization.rules)
        return NewUser(self.user_type, self.profile(), rules, self.password)

    def change(self) -> UserChange:
        """The whole new profile of an existing user; without `authorization`, it has no rules."""
        return UserChange(self.profile(), self.password)

    def profile(self) -> Profile:
        """The user's settings; without `authentication.password`, password login is on except for browser
        apps."""
        login = self._password_login
        certificate = None if self.authentication is None else self.authentication.certificate
        origins = self.trusted_origin
        throttling = self.throttling
        return Profile(
            display_name=self.display_name,
            username=(login.username or "") if login is not None else "",
            is_active=self.is_active,
            rules=() if self.authorization is None else tuple(self.authorization.rules),
            password_enabled=login.is_enabled if login is not None else self.type != "BrowserApp",
            mfa_required=login is not None and login.is_mfa_required,
            certificate_login=certificate is not None and certificate.is_enabled,
            origins_enabled=origins is not None and origins.is_enabled,
            origins=tuple(origins.expressions or ()) if origins is not None else (),
            captcha_required=self.captcha is not None and self.captcha.is_enabled,
            max_entries_per_job=None if throttling is None else throttling.max_entries_per_job,
            throttling=tuple(
                ThrottlingRule(rule.limit, _PERIODS[rule.period], _SCOPES[rule.scope])
                for rule in (throttling.rules or () if throttling is not None else ())
            ),
        )

    @property
    def _password_login(self) -> PasswordLogin | None:
        return None if self.authentication is None else self.authentication.password
