"""The opt-in `include=evidence`: each entry's SMTP/DNS evidence on v2 job reads, entry pages and exports.

Without the parameter nothing changes, so the official SDKs see exactly the responses they expect. With
it, every entry gets an `evidence` object (null when the verdict needed no network exchange, as for
syntax failures): `mxHost`, `command`, `replyCode`, `enhancedCode`, `replyText` and `egress` (null when
not recorded); exports get the same fields as columns. This module owns the evidence's wire form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verifalia_server.api.shared.entry import EVIDENCE_KEYS, evidence_body
from verifalia_server.api.shared.errors import bad_request
from verifalia_server.engine.verdict import Evidence

INCLUDABLE = ("evidence",)
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


def evidence_cells(evidence: Evidence | None) -> list[Any]:
    """The export cells of an entry's evidence, in `EVIDENCE_COLUMNS` order (empty when absent)."""
    body = evidence_body(evidence) or {}
    return ["" if body.get(key) is None else body[key] for key in EVIDENCE_KEYS]
