"""Keyset pagination: the rows after a (sort key, id) pair, in either direction, at most a page of them."""

from __future__ import annotations

from typing import Any


def page_query(
    select: str,
    conditions: list[str],
    arguments: list[Any],
    order_key: str,
    *,
    descending: bool,
    after: tuple[Any, Any] | None,
    limit: int | None,
) -> tuple[str, list[Any]]:
    """`select` (a `SELECT ... FROM ...`) where all `conditions` hold, ordered by `order_key` then `id`, after
    the key `after`, at most `limit` rows; returned with `arguments` and the values it adds."""
    conditions, arguments = list(conditions), list(arguments)
    direction = "DESC" if descending else "ASC"
    if after is not None:
        arguments.extend(after)
        comparison = "<" if descending else ">"
        conditions.append(f"({order_key}, id) {comparison} (${len(arguments) - 1}, ${len(arguments)})")
    query = f"{select} WHERE {' AND '.join(conditions)} ORDER BY {order_key} {direction}, id {direction}"
    if limit is not None:
        arguments.append(limit)
        query += f" LIMIT ${len(arguments)}"
    return query, arguments
