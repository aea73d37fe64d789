"""The users routes' OpenAPI description says exactly which authorization rules are taken."""

from __future__ import annotations

import itertools
import re

from verifalia_server.api.shared.openapi import document
from verifalia_server.service.permissions import parse_rule

_RESOURCES = ["", "*", "users", "credits", "email-verifications", "email-validations", "jobs", "-users"]
_OPERATIONS = [None, "", "*", "read", "write", "delete", "fly"]
_SCOPES = [None, "", "*", "own", "my", "team"]


def _taken(rule: str) -> bool:
    try:
        parse_rule(rule)
    except ValueError:
        return False
    return True


def test_the_rule_pattern_takes_exactly_the_rules_the_service_takes() -> None:
    schemas = document()["components"]["schemas"]
    standard = schemas["UserRequest"]["anyOf"][0]["properties"]["authorization"]["anyOf"][0]
    pattern = re.compile(standard["properties"]["rules"]["items"]["pattern"])
    candidates = [
        sign
        + resource
        + ("" if operation is None else f":{operation}")
        + ("" if scope is None else f":{scope}")
        for sign, resource, operation, scope in itertools.product(["", "-"], _RESOURCES, _OPERATIONS, _SCOPES)
        if operation is not None or scope is None
    ]
    candidates += ["users:read:own:more", "users::own", ":read", "client-certificates:delete:my"]
    mismatched = [rule for rule in candidates if (pattern.fullmatch(rule) is not None) != _taken(rule)]
    assert mismatched == []
    assert sum(map(_taken, candidates)) > 50
