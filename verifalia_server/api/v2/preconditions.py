"""`If-Match` (RFC 9110 §13.1.1): a change applies only while the target still has one of the given tags."""

from __future__ import annotations

import re
from dataclasses import dataclass

from multidict import CIMultiDictProxy

# RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE (obs-text not taken).
_ENTITY_TAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e]*"')


@dataclass(frozen=True, slots=True)
class IfMatch:
    """The entity tags a request's `If-Match` accepts; `any_tag` for `*`."""

    tags: tuple[str, ...]
    any_tag: bool

    def matches(self, current: str) -> bool:
        """Whether the current (strong) entity tag satisfies the condition (RFC 9110 §8.8.3.2: strong
        comparison, so a weak tag never matches)."""
        return self.any_tag or current in self.tags


def if_match(headers: CIMultiDictProxy[str]) -> IfMatch | None:
    """The request's `If-Match` condition, None without one. Anything but `*` and entity tags names no entity
    tag, so a malformed field matches nothing (412) rather than being ignored."""
    values = headers.getall("If-Match", [])
    if not values:
        return None
    # RFC 9110 §5.3: several field lines combine into one comma-separated list.
    value = ", ".join(values).strip()
    if value == "*":
        return IfMatch((), any_tag=True)
    return IfMatch(tuple(_ENTITY_TAG.findall(value)), any_tag=False)
