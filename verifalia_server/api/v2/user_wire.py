"""The wire form of users (API v2.7), as the C# SDK's `User` and `UserOverview` models read it.

A user is `{id, etag, type, displayName, isActive, isDeleted, createdOn, authentication: {password:
{isEnabled, isMfaRequired, username}, certificate: {isEnabled}}, authorization: {rules}, trustedOrigin:
{isEnabled, expressions}, captcha: {isEnabled}, throttling: {maxEntriesPerJob, rules: [{limit, period,
scope}]}}`; a
browser app has no `authentication` (it logs in with its id and an empty password). The password itself is
write-only. Throttling periods are spelt `Minute`, `Hour`, `Day` and scopes `Global`, `IPAddress`.
"""

from __future__ import annotations

from typing import Any

from verifalia_server.api.shared.wire import iso_datetime
from verifalia_server.service.permissions import UserType
from verifalia_server.store.users import User

# The stored spelling of throttling periods and scopes, and the SDK's.
PERIODS = {"minute": "Minute", "hour": "Hour", "day": "Day"}
SCOPES = {"global": "Global", "ipAddress": "IPAddress"}
# Members a client reads but never changes.
READ_ONLY = ("id", "etag", "type", "isDeleted", "createdOn")


def overview(user: User) -> dict[str, Any]:
    """The `UserOverview` of a listing or a creation."""
    return {
        "id": user.id,
        "etag": user.etag,
        "type": user.type.value,
        "displayName": user.profile.display_name,
        "isActive": user.profile.is_active,
        "isDeleted": user.deleted_on is not None,
        "createdOn": iso_datetime(user.created_on),
    }


def created(user: User, generated_password: str | None) -> dict[str, Any]:
    """The overview answering a creation, with the generated password (the only time it is shown)."""
    body = overview(user)
    if generated_password is not None:
        body["authentication"] = {
            "password": {"username": user.profile.username, "password": generated_password}
        }
    return body


def user(user: User) -> dict[str, Any]:
    """The whole `User`, as read and as JSON Patch documents apply to it."""
    profile = user.profile
    throttling: dict[str, Any] = {
        "rules": [
            {"limit": rule.limit, "period": PERIODS[rule.period], "scope": SCOPES[rule.scope]}
            for rule in profile.throttling
        ]
    }
    if profile.max_entries_per_job is not None:
        throttling["maxEntriesPerJob"] = profile.max_entries_per_job
    body = overview(user)
    if user.type is not UserType.BROWSER_APP:
        body["authentication"] = {
            "password": {
                "isEnabled": profile.password_enabled,
                "isMfaRequired": profile.mfa_required,
                "username": profile.username,
            },
            "certificate": {"isEnabled": profile.certificate_login},
        }
    body["authorization"] = {"rules": list(profile.rules)}
    body["trustedOrigin"] = {"isEnabled": profile.origins_enabled, "expressions": list(profile.origins)}
    body["captcha"] = {"isEnabled": profile.captcha_required}
    body["throttling"] = throttling
    return body
