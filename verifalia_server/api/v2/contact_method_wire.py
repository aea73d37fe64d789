"""The wire form of contact methods (API v2.7), as the C# SDK's `ContactMethod` model reads and writes it.

A contact method is `{id, etag, type: "Email", status: "PendingActivation" | "Active", createdOn,
activatedOn, displayName, emailAddress}`. A creation names `type`, `displayName` and `emailAddress`; the
SDK also sends the members it ignores on creation (`READ_ONLY`), which are ignored here too.
"""

from __future__ import annotations

from typing import Any

from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.wire import iso_datetime
from verifalia_server.service.contact_methods import NewMethod
from verifalia_server.store.contact_methods import ContactMethod

PENDING = "PendingActivation"
ACTIVE = "Active"
# Members a client reads but never sets; a JSON Patch may change only `displayName`.
READ_ONLY = ("id", "etag", "type", "status", "createdOn", "activatedOn", "emailAddress")
SHAPE = "a contact method object: {type, displayName, emailAddress}"


def contact_method(method: ContactMethod) -> dict[str, Any]:
    """The whole `ContactMethod`."""
    return {
        "id": method.id,
        "etag": method.etag,
        "type": method.type,
        "status": PENDING if method.activated_on is None else ACTIVE,
        "createdOn": iso_datetime(method.created_on),
        "activatedOn": None if method.activated_on is None else iso_datetime(method.activated_on),
        "displayName": method.display_name,
        "emailAddress": method.email_address,
    }


def new_method(body: object) -> NewMethod:
    """The contact method a creation request names; 400 when malformed."""
    if not isinstance(body, dict):
        raise bad_request(f"The request body must be {SHAPE}.")
    unknown = sorted(set(body) - {*READ_ONLY, "displayName"} - {"type", "emailAddress"})
    if unknown:
        raise bad_request(f"Unknown contact method member '{unknown[0]}'.")
    kind, name, address = body.get("type"), body.get("displayName"), body.get("emailAddress")
    if not isinstance(kind, str):
        raise bad_request("'type' must be a string: 'Email'.")
    if not isinstance(name, str):
        raise bad_request("'displayName' must be a string.")
    if address is not None and not isinstance(address, str):
        raise bad_request("'emailAddress' must be a string.")
    return NewMethod(kind, name, address)


def activation_code(body: object) -> str:
    """The `code` of an activation request; 400 when malformed."""
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or set(body) != {"code"}:
        raise bad_request('The request body must be {"code": "<the activation code>"}.')
    return str(body["code"]).strip()
