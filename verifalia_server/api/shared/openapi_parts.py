"""Building blocks of the OpenAPI description, shared by the modules that describe each group of routes."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
PROBLEM = "application/problem+json"


def ref(name: str) -> dict[str, str]:
    """A reference to a schema of the description's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def problem(description: str) -> dict[str, Any]:
    """A response carrying an RFC 9457 problem."""
    return {"description": description, "content": {PROBLEM: {"schema": ref("Problem")}}}


def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """An optional query parameter (a string unless `schema` says otherwise)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def path_parameter(name: str, description: str, pattern: str | None = None) -> dict[str, Any]:
    """A path parameter, a string matching `pattern` when one is given."""
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


def if_match(thing: str) -> dict[str, Any]:
    """The `If-Match` header of a conditional change (RFC 9110 §13.1.1) to `thing`."""
    return {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": (
            f"Apply only while the {thing} has one of these entity tags (its `ETag`), or `*`; else 412"
            " (a field naming no entity tag matches none)."
        ),
        "schema": {"type": "string"},
    }


def etag_header(thing: str) -> dict[str, Any]:
    """The `ETag` response header carrying `thing`'s entity tag (RFC 9110 §8.8.3)."""
    return {
        "ETag": {"description": f"The {thing}'s entity tag.", "required": True, "schema": {"type": "string"}}
    }


# The users routes and those below them exist from v2.7 on.
USERS_VERSION = path_parameter(
    "version",
    "API version, v2.7 or later (earlier versions have no users routes: 404).",
    r"^v2\.([7-9]|[1-9][0-9]+)$",
)
USERS_PREFLIGHT = {
    "summary": "CORS preflight",
    "security": [],
    "responses": {
        "204": {"description": "The methods and headers a cross-origin caller may use."},
        "404": problem("No such route: the version is before v2.7."),
    },
}
