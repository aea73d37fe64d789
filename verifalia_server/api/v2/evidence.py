"""The opt-in `include=evidence`: each entry's SMTP/DNS evidence on v2 job reads, entry pages and exports.

Without the parameter nothing changes, so the official SDKs see exactly the responses they expect. With
it, every entry gets an `evidence` object (null when the verdict needed no network exchange, as for
syntax failures): `mxHost`, `command`, `replyCode`, `enhancedCode`, `replyText` and `egress` (null when
not recorded), plus any further key the engine stored; exports get the same fields as columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifalia_server.api.errors import bad_request

INCLUDABLE = ("evidence",)
_KEYS = ("mxHost", "command", "replyCode", "enhancedCode", "replyText", "egress")
EVIDENCE_COLUMNS = (
    "Evidence MX host",
    "Evidence command",
    "Evidence reply code",
    "Evidence enhanced code",
    "Evidence reply text",
    "Evidence egress",
)


def wants_evidence(query: Mapping[str, str]) -> bool:
    """Whether `include` (a comma-separated list) asks for evidence; 400 for an unknown value."""
    values = [part.strip().lower() for part in query.get("include", "").split(",") if part.strip()]
    unknown = sorted(set(values) - set(INCLUDABLE))
    if unknown:
        raise bad_request(
            f"The 'include' parameter accepts {', '.join(INCLUDABLE)}; got {', '.join(map(repr, unknown))}."
        )
    return "evidence" in values


def evidence_body(stored: Any) -> dict[str, Any] | None:
    """The `evidence` object of an entry from its stored evidence (None when it has none)."""
    if not isinstance(stored, Mapping):
        return None
    return {**dict.fromkeys(_KEYS), **stored}


def evidence_cells(stored: Any) -> list[Any]:
    """The export cells of an entry's evidence, in `EVIDENCE_COLUMNS` order (empty when absent)."""
    body = evidence_body(stored) or {}
    return ["" if body.get(key) is None else body[key] for key in _KEYS]
