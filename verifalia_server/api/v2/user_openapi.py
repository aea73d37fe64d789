"""The OpenAPI 3.1 description of the users routes (API v2.7 and later): their paths and schemas.

The schemas say exactly what the request models take (`user_requests`), so a well-formed request is never
refused for its shape, and a malformed one always is.
"""

from __future__ import annotations

from typing import Any

from verifalia_server.api.shared.models import MAX_NAME_LENGTH
from verifalia_server.api.shared.openapi_parts import (
    JSON,
    USERS_PREFLIGHT,
    USERS_VERSION,
    etag_header,
    if_match,
    path_parameter,
    problem,
    query,
    ref,
)
from verifalia_server.api.v2.json_patch import MEDIA_TYPE
from verifalia_server.api.v2.user_requests import (
    MAX_INTEGER,
    MAX_ORIGINS,
    MAX_PASSWORD_LENGTH,
    MAX_RULE_LENGTH,
    MAX_RULES,
    MAX_USERNAME_LENGTH,
    MIN_PASSWORD_LENGTH,
    USERNAME_PATTERN,
)
from verifalia_server.service.permissions import (
    ANY,
    OPERATIONS,
    OWN,
    RESOURCE_ALIASES,
    SCOPE_ALIASES,
    UserType,
)

_TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}
_NULL = {"type": "null"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, _NULL]}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with these properties and no other."""
    return {
        "type": "object",
        "required": list(required),
        "properties": properties,
        "additionalProperties": False,
    }


def _rule_pattern() -> str:
    """The authorization rules `canonical_rules` takes: `[-]resource[:operation[:scope]]`."""
    scopes = "|".join(("\\*", OWN, *SCOPE_ALIASES))
    known = sorted({operation for operations in OPERATIONS.values() for operation in operations})
    grants = [(resource, operations) for resource, operations in OPERATIONS.items()]
    grants += [(alias, OPERATIONS[resource]) for alias, resource in RESOURCE_ALIASES.items()]
    grants.append(("\\" + ANY, tuple(known)))
    choices = [
        f"{resource}(?::(?:\\*|{'|'.join(operations)})(?::(?:{scopes})?)?)?"
        for resource, operations in grants
    ]
    return f"^-?(?:{'|'.join(choices)})$"


_USER_ID = path_parameter("id", "User id.")
_IF_MATCH = if_match("user")
_ETAG = etag_header("user")
_ERRORS = {
    "400": problem("Invalid request; the detail names the field."),
    "401": problem("Missing, invalid or expired credentials, or an inactive user."),
    "403": problem("The credentials lack the permission (only an Administrator manages Administrators)."),
    "404": problem("No such user in this account, or the version is before v2.7."),
    "429": problem("Too many concurrent requests from this IP address."),
    "503": problem("The database is unavailable; retry after `Retry-After` seconds."),
}


def _user_json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "headers": _ETAG, "content": {JSON: {"schema": ref(schema)}}}


def paths() -> dict[str, Any]:
    """The users routes."""
    page = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "maxLength": 0}]}
    listing_parameters = [
        query("includeDeleted", "`true` lists deleted users too.", {"enum": ["true", "false", ""]}),
        query("type", "Comma-separated user types.", _name_list([user_type.value for user_type in UserType])),
        query(
            "sort",
            "createdOn (default), -createdOn, displayName or -displayName.",
            {"enum": ["createdOn", "-createdOn", "displayName", "-displayName", ""]},
        ),
        query("cursor", "Continue after the page this cursor came from.", {"type": "string"}),
        query("cursor:prev", "Continue before the page this cursor came from.", {"type": "string"}),
        query("limit", "Page size (clamped to the server maximum); empty means absent.", page),
    ]
    conflict = problem(
        "A user deactivating or deleting itself, the account's last active Administrator,"
        " or a username in use."
    )
    return {
        "/{version}/users": {
            "parameters": [USERS_VERSION],
            "get": {
                "summary": "List the account's users (users:read account-wide)",
                "parameters": listing_parameters,
                "responses": {
                    "200": {
                        "description": "A page of user overviews.",
                        "content": {JSON: {"schema": ref("UserOverviewPage")}},
                    },
                    **_ERRORS,
                },
            },
            "post": {
                "summary": "Create a user (users:write account-wide)",
                "requestBody": {"required": True, "content": {JSON: {"schema": ref("UserRequest")}}},
                "responses": {
                    "200": _user_json(
                        "CreatedUser",
                        "The new user's overview, with its generated password if it was given none.",
                    ),
                    **_ERRORS,
                    "409": conflict,
                },
            },
            "options": USERS_PREFLIGHT,
        },
        "/{version}/users/{id}": {
            "parameters": [USERS_VERSION, _USER_ID],
            "get": {
                "summary": "Get a user and its entity tag (users:read; the scope own covers the caller)",
                "responses": {"200": _user_json("User", "The user."), **_ERRORS},
            },
            "patch": {
                "summary": "Change a user with a JSON Patch document (RFC 6902) (users:write)",
                "parameters": [_IF_MATCH],
                "requestBody": {"required": True, "content": {MEDIA_TYPE: {"schema": ref("JsonPatch")}}},
                "responses": {
                    "200": _user_json("User", "The changed user."),
                    **_ERRORS,
                    "400": problem(
                        "Not a JSON Patch document, a read-only member changed (id, etag, type, isDeleted,"
                        " createdOn), or an invalid value; the detail names it."
                    ),
                    "409": problem(f"A failed `test` operation, or: {conflict['description']}"),
                    "412": problem("The user's entity tag is not one `If-Match` names."),
                    "415": problem(f"The Content-Type is not {MEDIA_TYPE}."),
                    "422": problem("An operation's location does not exist in the user."),
                },
            },
            "delete": {
                "summary": "Delete a user: its credentials stop working, its jobs stay (users:delete)",
                "parameters": [_IF_MATCH],
                "responses": {
                    "200": {"description": "Deleted.", "content": {JSON: {"schema": {"type": "object"}}}},
                    **_ERRORS,
                    "409": conflict,
                    "412": problem("The user's entity tag is not one `If-Match` names."),
                },
            },
            "options": USERS_PREFLIGHT,
        },
    }


def schemas() -> dict[str, Any]:
    """The users schemas."""
    overview_properties = {
        "id": {"type": "string"},
        "etag": {"type": "string"},
        "type": {"enum": [user_type.value for user_type in UserType]},
        "displayName": {"type": "string"},
        "isActive": {"type": "boolean"},
        "isDeleted": {"type": "boolean"},
        "createdOn": {"type": "string", "format": "date-time"},
    }
    overview = {"type": "object", "required": list(overview_properties), "properties": overview_properties}
    settings = _settings()
    login = _password_login()
    return {
        "UserOverview": overview,
        "UserOverviewPage": {
            "type": "object",
            "required": ["meta", "data"],
            "properties": {"meta": ref("Meta"), "data": {"type": "array", "items": ref("UserOverview")}},
        },
        "CreatedUser": {
            **overview,
            "properties": {
                **overview_properties,
                "authentication": {
                    "type": "object",
                    "description": "Only when a password was generated: the only time it is shown.",
                    "properties": {
                        "password": {
                            "type": "object",
                            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                        }
                    },
                },
            },
        },
        "User": {
            "type": "object",
            "required": [*overview_properties, "authorization", "trustedOrigin", "captcha", "throttling"],
            "properties": {
                **overview_properties,
                "authentication": {
                    "type": "object",
                    "description": "Absent for a browser app, whose key is its id with an empty password.",
                    "properties": {
                        "password": {
                            "type": "object",
                            "properties": {
                                "isEnabled": {"type": "boolean"},
                                "isMfaRequired": {"type": "boolean"},
                                "username": {"type": "string"},
                            },
                        },
                        "certificate": {"type": "object", "properties": {"isEnabled": {"type": "boolean"}}},
                    },
                },
                **settings,
            },
        },
        "UserRequest": {
            "description": "A user to create; the read-only members of a User are not taken.",
            "anyOf": [
                _object(
                    {
                        "type": {"enum": [UserType.ADMINISTRATOR.value, UserType.STANDARD.value]},
                        **_common(),
                        "authentication": _nullable(
                            _object(
                                {
                                    "password": _nullable(login),
                                    "certificate": _nullable(_object({"isEnabled": {"type": "boolean"}})),
                                }
                            )
                        ),
                        **settings,
                    },
                    ("type", "displayName"),
                ),
                _object(
                    {
                        "type": {"const": UserType.BROWSER_APP.value},
                        **_common(),
                        "authentication": _NULL,
                        **settings,
                    },
                    ("type", "displayName"),
                ),
            ],
        },
        "JsonPatch": {
            "type": "array",
            "description": (
                "RFC 6902 operations on the User (a new password: add /authentication/password/password)."
            ),
            "items": {
                "type": "object",
                "required": ["op", "path"],
                "properties": {
                    "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
                    "path": {"type": "string"},
                    "from": {"type": "string"},
                    "value": {},
                },
            },
        },
    }


def _common() -> dict[str, Any]:
    return {
        "displayName": {**_TEXT, "minLength": 1, "maxLength": MAX_NAME_LENGTH},
        "isActive": {"type": "boolean"},
    }


def _password_login() -> dict[str, Any]:
    return _object(
        {
            "isEnabled": {"type": "boolean"},
            "isMfaRequired": {"type": "boolean"},
            "username": _nullable(
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_USERNAME_LENGTH,
                    "pattern": USERNAME_PATTERN,
                }
            ),
            "password": _nullable(
                {
                    **_TEXT,
                    "minLength": MIN_PASSWORD_LENGTH,
                    "maxLength": MAX_PASSWORD_LENGTH,
                    "writeOnly": True,
                }
            ),
        }
    )


def _settings() -> dict[str, Any]:
    """The members every user type has, as written and as read."""
    positive = {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER}
    rule = {"type": "string", "minLength": 1, "maxLength": MAX_RULE_LENGTH, "pattern": _rule_pattern()}
    throttle = _object(
        {
            "limit": positive,
            "period": {"enum": ["Minute", "Hour", "Day"]},
            "scope": {"enum": ["Global", "IPAddress"]},
        },
        ("limit", "period", "scope"),
    )
    expressions = {
        "type": "array",
        "maxItems": MAX_ORIGINS,
        "items": {**_TEXT, "minLength": 1, "maxLength": MAX_NAME_LENGTH},
    }
    return {
        "authorization": _nullable(
            _object({"rules": {"type": "array", "maxItems": MAX_RULES, "items": rule}}, ("rules",))
        ),
        "trustedOrigin": _nullable(
            _object({"isEnabled": {"type": "boolean"}, "expressions": _nullable(expressions)})
        ),
        "captcha": _nullable(_object({"isEnabled": {"type": "boolean"}})),
        "throttling": _nullable(
            _object(
                {
                    "maxEntriesPerJob": _nullable(positive),
                    "rules": _nullable({"type": "array", "items": throttle}),
                }
            )
        ),
    }


def _name_list(names: list[str]) -> dict[str, Any]:
    """A comma-separated list of `names`; empty means absent."""
    one = "(" + "|".join(names) + ")"
    return {"type": "string", "pattern": f"^({one}(,{one})*)?$"}
