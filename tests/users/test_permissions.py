"""Authorization rules: parsing `[-]resource[:operation[:scope]]`, and what a set of rules allows."""

from __future__ import annotations

import pytest

from verifalia_server.service.errors import Forbidden
from verifalia_server.service.permissions import (
    DELETE_JOBS,
    READ_CREDITS,
    READ_JOBS,
    READ_USERS,
    SUBMIT_JOBS,
    WRITE_USERS,
    Authorization,
    Principal,
    Rule,
    UserType,
    canonical_rules,
    parse_rule,
)


def _allows(rules: tuple[str, ...], user_type: UserType = UserType.STANDARD) -> Authorization:
    return Authorization.of(user_type, rules)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("email-verifications:read:own", Rule(True, "email-verifications", "read", "own")),
        ("email-validations:read", Rule(True, "email-verifications", "read", "")),
        ("users:read:my", Rule(True, "users", "read", "own")),
        ("credits", Rule(True, "credits", "*", "")),
        ("-users:delete", Rule(False, "users", "delete", "")),
        ("*:read:*", Rule(True, "*", "read", "")),
        ("*", Rule(True, "*", "*", "")),
    ],
)
def test_rules_parse_with_aliases_and_wildcards(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule


def test_canonical_rules_resolve_aliases() -> None:
    assert canonical_rules(["email-validations:*:my", "-credits", "users:read"]) == (
        "email-verifications:*:own",
        "-credits:*",
        "users:read",
    )


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "unknown resource"),
        ("jobs:read", "unknown resource"),
        ("credits:write", "unknown operation"),
        ("users:fly", "unknown operation"),
        ("*:fly", "unknown operation"),
        ("users:read:team", "unknown scope"),
        ("users:read:own:extra", "more than three segments"),
        ("--users", "unknown resource"),
    ],
)
def test_malformed_rules_are_refused_naming_the_problem(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_rule(text)


def test_a_grant_covers_its_permission_and_scope() -> None:
    own_jobs = _allows(("email-verifications:read:own",))
    assert own_jobs.allows(READ_JOBS, own=True)
    assert not own_jobs.allows(READ_JOBS, own=False)
    assert not own_jobs.allows(SUBMIT_JOBS, own=True)
    account_wide = _allows(("email-verifications:read",))
    assert account_wide.allows(READ_JOBS, own=False)
    assert account_wide.allows(READ_JOBS, own=True)
    assert not _allows(()).allows(READ_JOBS, own=True)


def test_wildcards_match_any_resource_or_operation() -> None:
    every_read = _allows(("*:read",))
    assert every_read.allows(READ_JOBS, own=False)
    assert every_read.allows(READ_CREDITS, own=False)
    assert every_read.allows(READ_USERS, own=False)
    assert not every_read.allows(WRITE_USERS, own=True)
    every_job_operation = _allows(("email-verifications:*:own",))
    assert every_job_operation.allows(DELETE_JOBS, own=True)
    assert not every_job_operation.allows(DELETE_JOBS, own=False)
    assert _allows(("*",)).allows(WRITE_USERS, own=False)


def test_a_denial_wins_over_any_grant() -> None:
    rules = _allows(("email-verifications", "-email-verifications:delete"))
    assert rules.allows(READ_JOBS, own=False)
    assert not rules.allows(DELETE_JOBS, own=False)
    assert not rules.allows(DELETE_JOBS, own=True)
    own_denied = _allows(("email-verifications:delete", "-email-verifications:delete:own"))
    assert own_denied.allows(DELETE_JOBS, own=False)
    assert not own_denied.allows(DELETE_JOBS, own=True)
    assert not _allows(("*", "-*")).allows(READ_JOBS, own=True)


def test_administrators_may_do_everything_and_browser_apps_only_their_own_jobs() -> None:
    administrator = _allows(("-*",), UserType.ADMINISTRATOR)
    assert administrator.allows(WRITE_USERS, own=False)
    browser_app = _allows(("*",), UserType.BROWSER_APP)
    assert browser_app.allows(SUBMIT_JOBS, own=True)
    assert browser_app.allows(READ_JOBS, own=True)
    assert not browser_app.allows(READ_JOBS, own=False)
    assert not browser_app.allows(READ_CREDITS, own=True)
    assert not browser_app.allows(READ_USERS, own=True)


def test_a_principal_names_the_permission_it_lacks() -> None:
    principal = Principal(1, "me", _allows(("users:read:own",)), is_bearer=False)
    principal.require(READ_USERS)
    principal.require(READ_USERS, owner="me")
    with pytest.raises(Forbidden, match="'users:read'"):
        principal.require(READ_USERS, owner="someone else")
    with pytest.raises(Forbidden, match="'users:read'"):
        principal.require_account_wide(READ_USERS)
    with pytest.raises(Forbidden, match="'users:write:own'"):
        principal.require(WRITE_USERS)
    assert principal.visible_owner(READ_USERS) == "me"
    everyone = Principal(1, "me", _allows(("users:read",)), is_bearer=False)
    assert everyone.visible_owner(READ_USERS) is None
    everyone.require_account_wide(READ_USERS)
