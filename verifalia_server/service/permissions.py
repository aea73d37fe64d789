"""Granular permissions: authorization rules of the form `[-]resource[:operation[:scope]]`.

A rule without an operation covers every operation of its resource; without a scope it applies account-wide,
while the scope `own` limits it to what the user itself submitted or is. A leading `-` denies, and a denial
wins over any grant. `*` matches any value of its segment. Administrators hold every permission; browser apps
can only submit and read their own jobs, whatever their rules say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from verifalia_server.service.errors import Forbidden

OWN = "own"
ANY = "*"
_DENY = "-"

# Each resource and the operations it knows.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "email-verifications": ("read", "write", "delete"),
    "credits": ("read",),
    "users": ("read", "write", "delete"),
    "client-certificates": ("read", "write", "delete"),
}
# Other spellings in use for the same resource and scope.
RESOURCE_ALIASES = {"email-validations": "email-verifications"}
SCOPE_ALIASES = {"my": OWN}


class UserType(StrEnum):
    """What a user is: its type bounds what its rules can grant."""

    ADMINISTRATOR = "Administrator"
    STANDARD = "Standard"
    BROWSER_APP = "BrowserApp"


@dataclass(frozen=True, slots=True)
class Permission:
    """One operation on one resource, such as reading email verifications.

    An account-level resource (`scoped` false, such as credits) has nothing a user owns: only account-wide
    grants cover it.
    """

    resource: str
    operation: str
    scoped: bool = True

    def name(self, own: bool) -> str:
        """The permission's name as a rule grants it, `resource:operation[:own]`."""
        return f"{self.resource}:{self.operation}" + (f":{OWN}" if own else "")


READ_JOBS = Permission("email-verifications", "read")
SUBMIT_JOBS = Permission("email-verifications", "write")
DELETE_JOBS = Permission("email-verifications", "delete")
READ_CREDITS = Permission("credits", "read", scoped=False)
READ_USERS = Permission("users", "read")
WRITE_USERS = Permission("users", "write")
DELETE_USERS = Permission("users", "delete")
READ_CERTIFICATES = Permission("client-certificates", "read")
WRITE_CERTIFICATES = Permission("client-certificates", "write")
DELETE_CERTIFICATES = Permission("client-certificates", "delete")

_BROWSER_APP_PERMISSIONS = frozenset({READ_JOBS, SUBMIT_JOBS})

# What new users of each type are granted when their rules are not given.
DEFAULT_RULES: dict[UserType, tuple[str, ...]] = {
    UserType.ADMINISTRATOR: (),
    UserType.STANDARD: ("email-verifications:*:own", "credits:read", "users:read:own"),
    UserType.BROWSER_APP: ("email-verifications:write:own", "email-verifications:read:own"),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One parsed authorization rule."""

    allows: bool
    resource: str
    operation: str
    scope: str

    def matches(self, permission: Permission, own: bool) -> bool:
        """Whether this rule speaks of `permission` on a target the user owns (`own`) or not."""
        return (
            self.resource in (ANY, permission.resource)
            and self.operation in (ANY, permission.operation)
            and (self.scope != OWN or own)
        )

    def __str__(self) -> str:
        segments = [self.resource, self.operation, *([self.scope] if self.scope else [])]
        return ("" if self.allows else _DENY) + ":".join(segments)


def parse_rule(text: str) -> Rule:
    """Parse one rule; ValueError names what is wrong with it."""
    allows = not text.startswith(_DENY)
    body = text if allows else text[len(_DENY) :]
    segments = body.split(":")
    if len(segments) > 3:
        raise ValueError(f"the rule {text!r} has more than three segments (resource:operation:scope)")
    resource = RESOURCE_ALIASES.get(segments[0], segments[0])
    operation = segments[1] if len(segments) > 1 else ANY
    scope = SCOPE_ALIASES.get(segments[2], segments[2]) if len(segments) > 2 else ""
    if resource != ANY and resource not in OPERATIONS:
        raise ValueError(f"the rule {text!r} names an unknown resource; known: {', '.join(OPERATIONS)}")
    known = {operation for operations in OPERATIONS.values() for operation in operations}
    if operation != ANY and operation not in (OPERATIONS[resource] if resource != ANY else known):
        raise ValueError(f"the rule {text!r} names an unknown operation {operation!r}")
    if scope not in ("", ANY, OWN):
        raise ValueError(f"the rule {text!r} names an unknown scope {scope!r}; expected {OWN!r} or none")
    return Rule(allows, resource, operation, "" if scope == ANY else scope)


def parse_rules(texts: Iterable[str]) -> tuple[Rule, ...]:
    """Parse every rule; ValueError for the first malformed one."""
    return tuple(parse_rule(text) for text in texts)


def canonical_rules(texts: Iterable[str]) -> tuple[str, ...]:
    """The rules as stored: parsed, with aliases resolved; ValueError for the first malformed one."""
    return tuple(str(rule) for rule in parse_rules(texts))


@dataclass(frozen=True, slots=True)
class Authorization:
    """What a user may do: its type and its parsed rules."""

    user_type: UserType
    rules: tuple[Rule, ...]

    @classmethod
    def of(cls, user_type: UserType, rules: Iterable[str]) -> Authorization:
        """The authorization of a stored user (its rules were checked when they were stored)."""
        return cls(user_type, parse_rules(rules))

    def allows(self, permission: Permission, own: bool) -> bool:
        """Whether the user may perform `permission` on a target it owns (`own`) or on any in its account."""
        if self.user_type is UserType.ADMINISTRATOR:
            return True
        if self.user_type is UserType.BROWSER_APP and (permission not in _BROWSER_APP_PERMISSIONS or not own):
            return False
        matching = [rule for rule in self.rules if rule.matches(permission, own)]
        return bool(matching) and all(rule.allows for rule in matching)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: the user, its account and what it may do."""

    account_id: int
    user_id: str
    authorization: Authorization
    is_bearer: bool

    @property
    def user_type(self) -> UserType:
        """Administrator, standard user or browser app."""
        return self.authorization.user_type

    def require(self, permission: Permission, owner: str | None = None) -> None:
        """Raise `Forbidden` unless the user may perform `permission` on what `owner` owns.

        Without an owner the check is for the narrowest grant: on something the user owns itself.
        """
        own = permission.scoped and (owner is None or owner == self.user_id)
        if not self.authorization.allows(permission, own):
            raise Forbidden(permission.name(own))

    def require_account_wide(self, permission: Permission) -> None:
        """Raise `Forbidden` unless the user may perform `permission` on anything of its account."""
        if not self.authorization.allows(permission, own=False):
            raise Forbidden(permission.name(own=False))

    def visible_owner(self, permission: Permission) -> str | None:
        """Whose items a listing may show: None for the whole account's, or only the user's own."""
        if self.authorization.allows(permission, own=False):
            return None
        self.require(permission)
        return self.user_id
