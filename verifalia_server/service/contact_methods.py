"""Contact methods of a user (API v2.7): where its notifications go, each proved before it is used.

Reading a user's contact methods needs `users:read`, changing them `users:write` (the scope `own` covers the
caller's own user); a user of another account is not found. Only e-mail contact methods exist here: a new
one is pending and gets an activation code by e-mail through the configured relay; when the relay is
missing or does not take the message, nothing is stored (`MailUnavailable`). The code is random, stored as
a SHA-256 digest, valid for `CODE_LIFETIME` and for at most `MAX_ATTEMPTS` tries (counted atomically, so
concurrent guesses get no more); a wrong code is `InvalidInput`, an expired or exhausted one `Gone` (delete
the contact method and create it again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Any, Protocol

from verifalia_server.engine.syntax import ParsedAddress, parse_address
from verifalia_server.service import users
from verifalia_server.service.errors import (
    Conflict,
    Gone,
    InvalidInput,
    MailUnavailable,
    NotFound,
    PreconditionFailed,
)
from verifalia_server.service.permissions import Principal
from verifalia_server.service.text import require_storable
from verifalia_server.store import contact_methods as store
from verifalia_server.store.contact_methods import ContactMethod, NewContactMethod
from verifalia_server.store.database import Pool

EMAIL = "Email"
CODE_DIGITS = 8
CODE_LIFETIME = dt.timedelta(hours=24)
MAX_ATTEMPTS = 5
MAX_DISPLAY_NAME_LENGTH = 255
SMS_UNAVAILABLE = (
    "Only 'Email' contact methods are available: phone and SMS contact methods cannot be activated here."
)
NO_RELAY = "No mail relay configured (VERIFALIA_SMTP_RELAY): no activation e-mail can be sent."
_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 16
_CONTROL = frozenset(chr(code) for code in (*range(0x20), 0x7F))


class ActivationMailer(Protocol):
    """What mails an activation code (`MailUnavailable` when it cannot)."""

    async def send_code(
        self, address: str, display_name: str, code: str, expires_on: dt.datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class NewMethod:
    """A contact method to create, as the request names it."""

    type: str
    display_name: str
    email_address: str | None


async def list_methods(pool: Pool[Any], principal: Principal, user_id: str) -> list[ContactMethod]:
    """The user's contact methods (`users:read`)."""
    user = await users.read_user(pool, principal, user_id)
    return await store.list_contact_methods(pool, user.id)


async def read_method(pool: Pool[Any], principal: Principal, user_id: str, method_id: str) -> ContactMethod:
    """One contact method of the user (`users:read`)."""
    user = await users.read_user(pool, principal, user_id)
    return await _find(pool, user.id, method_id)


async def writable_method(
    pool: Pool[Any], principal: Principal, user_id: str, method_id: str
) -> ContactMethod:
    """One contact method of a user the caller may change (`users:write`)."""
    user = await users.writable_user(pool, principal, user_id)
    return await _find(pool, user.id, method_id)


async def create_method(
    pool: Pool[Any], principal: Principal, user_id: str, new: NewMethod, mailer: ActivationMailer | None
) -> ContactMethod:
    """Mail an activation code to a new e-mail contact method, then store it pending (`users:write`)."""
    user = await users.writable_user(pool, principal, user_id)
    if new.type != EMAIL:
        raise InvalidInput(f"The contact method type {new.type!r} is not available. {SMS_UNAVAILABLE}")
    display_name = _display_name(new.display_name)
    if new.email_address is None:
        raise InvalidInput("An 'Email' contact method needs its 'emailAddress'.")
    address = _address(new.email_address)
    if mailer is None:
        raise MailUnavailable(NO_RELAY)
    method_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    code = "".join(secrets.choice(string.digits) for _ in range(CODE_DIGITS))
    expires_on = dt.datetime.now(dt.UTC) + CODE_LIFETIME
    await mailer.send_code(address, display_name, code, expires_on)
    return await store.create_contact_method(
        pool,
        NewContactMethod(
            id=method_id,
            user_id=user.id,
            type=EMAIL,
            display_name=display_name,
            email_address=address,
            code_digest=_digest(method_id, code),
            code_expires_on=expires_on,
        ),
    )


async def rename_method(
    pool: Pool[Any], principal: Principal, current: ContactMethod, display_name: str
) -> ContactMethod:
    """Give `current` (as `writable_method` returned it) a new display name, unless it changed since."""
    await users.writable_user(pool, principal, current.user_id)
    renamed = await store.rename_contact_method(
        pool,
        current.user_id,
        current.id,
        _display_name(display_name),
        expected_version=current.version,
    )
    if renamed is None:
        raise PreconditionFailed("The contact method has changed since it was read.")
    return renamed


async def delete_method(
    pool: Pool[Any], principal: Principal, current: ContactMethod, *, expected_version: int | None
) -> None:
    """Delete `current` (only at `expected_version` when given)."""
    await users.writable_user(pool, principal, current.user_id)
    if not await store.delete_contact_method(
        pool, current.user_id, current.id, expected_version=expected_version
    ):
        raise PreconditionFailed("The contact method has changed since it was read.")


async def activate_method(
    pool: Pool[Any], principal: Principal, user_id: str, method_id: str, code: str
) -> ContactMethod:
    """Activate a pending contact method with the code mailed to it (`users:write`)."""
    method = await writable_method(pool, principal, user_id, method_id)
    if method.activated_on is not None:
        raise Conflict("The contact method is already active.")
    if method.code_digest is None or method.code_expires_on is None:
        raise Gone("The contact method has no activation code; delete it and create it again.")
    if method.code_expires_on <= dt.datetime.now(dt.UTC):
        raise Gone("The activation code has expired; delete the contact method and create it again.")
    attempts = await store.count_attempt(pool, method.id, MAX_ATTEMPTS)
    if attempts is None:
        raise Gone("Too many wrong activation codes; delete the contact method and create it again.")
    digest = _digest(method.id, code)
    if hmac.compare_digest(digest, method.code_digest):
        activated = await store.activate(pool, method.id, digest)
        if activated is not None:
            return activated
        raise Conflict("The contact method is already active.")
    raise InvalidInput(f"The activation code is wrong; {MAX_ATTEMPTS - attempts} more tries are allowed.")


async def _find(pool: Pool[Any], user_id: str, method_id: str) -> ContactMethod:
    method = await store.get_contact_method(pool, user_id, require_storable(method_id, "id"))
    if method is None:
        raise NotFound(f"The user has no contact method with the id {method_id!r}.")
    return method


def _digest(method_id: str, code: str) -> bytes:
    return hashlib.sha256(f"{method_id}:{code}".encode()).digest()


def _display_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidInput(f"'displayName' must have 1 to {MAX_DISPLAY_NAME_LENGTH} characters.")
    if any(character in _CONTROL for character in name):
        raise InvalidInput("'displayName' cannot hold control characters.")
    return require_storable(name, "displayName")


def _address(text: str) -> str:
    parsed = parse_address(require_storable(text, "emailAddress"))
    if not isinstance(parsed, ParsedAddress) or any(character in _CONTROL for character in text):
        raise InvalidInput(f"'emailAddress' is not a valid e-mail address: {text!r}.")
    if parsed.has_international_mailbox_name:
        # RFC 6531 §3.2: a non-ASCII local part needs SMTPUTF8, which the relay client does not use.
        raise InvalidInput("'emailAddress' must have an ASCII local part.")
    return f"{parsed.local_part}@{parsed.ascii_domain_part}"
