"""JSON Patch (RFC 6902) documents applied to a resource's JSON form, with errors a client can act on.

`parse_patch(data)` checks the document's shape (400 when it is not an array of well-formed operations);
`apply_patch(document, operations)` applies them in order to a copy, all or nothing: an operation whose path
does not exist answers 422, a failed `test` 409 (RFC 5789 §2.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsonpatch
import jsonpointer

from verifalia_server.api.shared.errors import ApiError, bad_request

MEDIA_TYPE = "application/json-patch+json"
# RFC 6902 §4: each operation's members beside `op` and `path`.
_MEMBERS = {
    "add": ("value",),
    "remove": (),
    "replace": ("value",),
    "move": ("from",),
    "copy": ("from",),
    "test": ("value",),
}
_NOT_A_PATCH = "The request body must be a JSON Patch document (RFC 6902 §3): an array of operations."


def parse_patch(data: object) -> list[dict[str, Any]]:
    """The operations of a decoded JSON Patch document; 400 naming the first malformed one."""
    if not isinstance(data, list):
        raise bad_request(_NOT_A_PATCH)
    operations: list[dict[str, Any]] = []
    for index, operation in enumerate(data):
        if not isinstance(operation, dict):
            raise bad_request(f"Operation {index} of the JSON Patch document is not an object.")
        name = operation.get("op")
        if not isinstance(name, str) or name not in _MEMBERS:
            raise bad_request(
                f"Operation {index} of the JSON Patch document has no valid 'op'"
                f" (one of {', '.join(_MEMBERS)})."
            )
        for member in ("path", *_MEMBERS[name]):
            if member not in operation:
                raise bad_request(f"Operation {index} ({name}) of the JSON Patch document lacks '{member}'.")
        for member in ("path", "from"):
            # RFC 6901 §3: a JSON Pointer is empty or starts with "/".
            pointer = operation.get(member, "")
            if not isinstance(pointer, str) or not (pointer == "" or pointer.startswith("/")):
                raise bad_request(
                    f"Operation {index} ({name}) of the JSON Patch document has a '{member}' that is not a"
                    " JSON Pointer (RFC 6901)."
                )
        operations.append(operation)
    return operations


def apply_patch(document: Mapping[str, Any], operations: Sequence[dict[str, Any]]) -> object:
    """The document with every operation applied (the original is left unchanged)."""
    patched: object = dict(document)
    for index, operation in enumerate(operations):
        label = f"Operation {index} ({operation['op']} {operation['path']})"
        try:
            patched = jsonpatch.JsonPatch([operation]).apply(patched)
        except jsonpatch.JsonPatchTestFailed:
            raise ApiError(409, "Conflict", f"{label} failed: the value differs.") from None
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
            raise ApiError(
                422, "Unprocessable Content", f"{label} cannot be applied: its location does not exist."
            ) from None
    return patched
