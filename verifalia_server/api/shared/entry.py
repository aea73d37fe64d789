"""The one wire rendering of a verified entry (the v2 entry object), and of its evidence.

The v2 job reads and entry pages, v2 exports (`api.v2.export`) and `check --json` render entries with
`entry`; v1.4 snapshots (`api.v1.handlers`), whose fields are frozen, write the same `StoredEntry` directly.
"""

from __future__ import annotations

from typing import Any

from verifalia_server.api.shared.wire import iso_datetime
from verifalia_server.engine.statuses import Status, classify
from verifalia_server.engine.verdict import Evidence
from verifalia_server.store.entries import StoredEntry

# The evidence object's keys, each naming the `Evidence` attribute it shows.
_EVIDENCE_ATTRIBUTES = {
    "mxHost": "mx_host",
    "command": "command",
    "replyCode": "reply_code",
    "enhancedCode": "enhanced_code",
    "replyText": "reply_text",
    "egress": "egress",
}
EVIDENCE_KEYS = tuple(_EVIDENCE_ATTRIBUTES)
# Looked up once per entry of every page, snapshot and export.
_STATUS_TEXT = {status: status.value for status in Status}
_CLASSIFICATION_TEXT = {status: classify(status).value for status in Status}


def evidence_body(evidence: Evidence | None) -> dict[str, Any] | None:
    """The `evidence` object of an entry (None when it has none)."""
    if evidence is None:
        return None
    return {key: getattr(evidence, attribute) for key, attribute in _EVIDENCE_ATTRIBUTES.items()}


def entry(stored: StoredEntry, *, with_evidence: bool = False) -> dict[str, Any]:
    """The one v2 rendering of a verified entry, and its evidence when asked for (`include=evidence`).

    v2 exports (`api.v2.export`) are derived from it.
    """
    if stored.status is None:
        raise ValueError(f"entry {stored.index} has no verdict yet")
    body: dict[str, Any] = {
        "index": stored.index,
        "inputData": stored.input_data,
        "classification": _CLASSIFICATION_TEXT[stored.status],
        "status": _STATUS_TEXT[stored.status],
        "emailAddress": stored.email_address,
        "emailAddressLocalPart": stored.local_part,
        "emailAddressDomainPart": stored.domain_part,
        "asciiEmailAddressDomainPart": stored.ascii_domain_part,
        "hasInternationalMailboxName": stored.has_international_mailbox_name,
        "hasInternationalDomainName": stored.has_international_domain_name,
        "isDisposableEmailAddress": stored.is_disposable,
        "isRoleAccount": stored.is_role,
        "isFreeEmailAddress": stored.is_free,
        "suggestions": list(stored.suggestions),
        "completedOn": None if stored.completed_on is None else iso_datetime(stored.completed_on),
    }
    if stored.syntax_failure_index is not None:
        body["syntaxFailureIndex"] = stored.syntax_failure_index
    if stored.custom is not None:
        body["custom"] = stored.custom
    if stored.duplicate_of is not None:
        body["duplicateOf"] = stored.duplicate_of
    if with_evidence:
        body["evidence"] = evidence_body(stored.evidence)
    return body
