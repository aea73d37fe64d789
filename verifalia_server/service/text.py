"""Text a client sends that PostgreSQL cannot store: NUL characters and unpaired UTF-16 surrogates.

A UTF-8 database rejects U+0000 in `text` and `jsonb` values, and a lone surrogate (U+D800-U+DFFF, which
relaxed JSON `\\ud800` escapes can produce) has no UTF-8 encoding at all (RFC 3629 §3). Such input is
refused (`InvalidInput`, answered 400) before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from verifalia_server.service.errors import InvalidInput

UNSTORABLE_TEXT = "The request holds a NUL character or an unpaired surrogate, which cannot be stored."
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """Whether PostgreSQL can store `text`."""
    return _UNSTORABLE.search(text) is None


def unstorable_field(field: str) -> InvalidInput:
    """The refusal naming a field that holds unstorable characters."""
    return InvalidInput(f"Invalid '{field}': it holds a NUL character or an unpaired surrogate.")


def require_storable(text: str, field: str) -> str:
    """`text` unchanged; `InvalidInput` naming `field` when PostgreSQL cannot store it."""
    if not is_storable(text):
        raise unstorable_field(field)
    return text


def first_unstorable(texts: Iterable[str | None]) -> int | None:
    """The index of the first text PostgreSQL cannot store, or None when all can."""
    for index, text in enumerate(texts):
        if text is not None and not is_storable(text):
            return index
    return None
