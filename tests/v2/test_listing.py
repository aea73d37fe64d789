"""Job listing and credits over HTTP: filters, sort, cursors both ways, balance and daily usage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.v2.conftest import V2Node, entries, problem, submit
from verifalia_server.api.v2.query import decode_cursor, encode_cursor


async def _ids(node: V2Node, count: int) -> list[str]:
    ids = []
    for number in range(count):
        body = await (await submit(node, entries(f"user{number}@nonexistent.mailfarm.net"))).json()
        ids.append(body["overview"]["id"])
    return ids


async def _get(node: V2Node, path: str) -> dict[str, Any]:
    async with node.session.get(node.v2(path), headers=node.auth) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def test_listing_without_cursor_or_limit_is_one_complete_page(node: V2Node) -> None:
    ids = await _ids(node, 4)
    page = await _get(node, "/email-validations")
    assert [overview["id"] for overview in page["data"]] == ids
    assert page["meta"]["isTruncated"] is False
    assert all(overview["status"] == "Completed" for overview in page["data"])


async def test_listing_pages_forward_and_backward_in_either_sort_order(node: V2Node) -> None:
    ids = await _ids(node, 5)
    first = await _get(node, "/email-validations?limit=2&sort=-createdOn")
    assert [overview["id"] for overview in first["data"]] == ids[::-1][:2]
    assert first["meta"]["isTruncated"] is True
    second = await _get(node, f"/email-validations?cursor={first['meta']['cursor']}")
    assert [overview["id"] for overview in second["data"]] == ids[::-1][2:4]
    back = await _get(node, f"/email-validations?cursor:prev={second['meta']['cursor']}")
    assert [overview["id"] for overview in back["data"]] == ids[::-1][:2]
    assert back["meta"]["isTruncated"] is False
    last = await _get(node, f"/email-validations?cursor={second['meta']['cursor']}")
    assert [overview["id"] for overview in last["data"]] == [ids[0]]
    assert last["meta"]["isTruncated"] is False


async def test_listing_filters_by_creation_day_and_status(node: V2Node) -> None:
    ids = await _ids(node, 2)
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = today + dt.timedelta(days=1)
    assert len((await _get(node, f"/email-validations?createdOn={today}"))["data"]) == 2
    assert (await _get(node, f"/email-validations?createdOn={tomorrow}"))["data"] == []
    since = await _get(node, f"/email-validations?createdOn:since={today}&createdOn%3Auntil={tomorrow}")
    assert len(since["data"]) == 2
    async with node.session.delete(node.v2(f"/email-validations/{ids[0]}"), headers=node.auth) as response:
        assert response.status == 200
    assert [overview["id"] for overview in (await _get(node, "/email-validations"))["data"]] == [ids[1]]
    deleted = await _get(node, "/email-validations?status=Deleted")
    assert [overview["id"] for overview in deleted["data"]] == [ids[0]]
    for query in (
        "createdOn=yesterday",
        "status=Paused",
        "sort=name",
        f"createdOn:since={tomorrow}&createdOn:until={today}",
    ):
        async with node.session.get(node.v2(f"/email-validations?{query}"), headers=node.auth) as response:
            await problem(response, 400)


async def test_balance_and_daily_usage(node: V2Node) -> None:
    await submit(node, entries("a@nonexistent.mailfarm.net", "b@nonexistent.mailfarm.net"))
    balance = await _get(node, "/credits/balance")
    assert balance["creditPacks"] == 10_000
    assert balance["freeCredits"] == 98
    assert balance["freeCreditsResetIn"].count(":") == 2
    today = dt.datetime.now(dt.UTC).date()
    usage = await _get(
        node, f"/credits/daily-usage?date:since={today - dt.timedelta(days=3)}&date:until={today}"
    )
    assert usage == {
        "meta": usage["meta"],
        "data": [{"date": today.isoformat(), "freeCredits": 2, "creditPacks": 0}],
    }
    assert usage["meta"]["isTruncated"] is False
    assert (await _get(node, f"/credits/daily-usage?date={today - dt.timedelta(days=1)}"))["data"] == []
    async with node.session.get(node.v2("/credits/daily-usage?date=today"), headers=node.auth) as response:
        await problem(response, 400)


async def _refused(node: V2Node, path: str, cursor: dict[str, Any]) -> None:
    async with node.session.get(
        node.v2(f"{path}?cursor={encode_cursor(cursor)}"), headers=node.auth
    ) as response:
        body = await problem(response, 400)
        assert "cursor" in body["detail"]


async def test_crafted_listing_cursors_are_refused(node: V2Node) -> None:
    await _ids(node, 3)
    page = await _get(node, "/email-validations?limit=1")
    genuine = decode_cursor(page["meta"]["cursor"], "cursor")
    for change in (
        {"s": "Completed"},
        {"s": ["Paused"]},
        {"x": [1]},
        {"x": "Deleted"},
        {"o": 5},
        {"n": "2"},
        {"n": -1},
        {"n": 0},
        {"n": True},
        {"n": 1.5},
        {"d": "yes"},
        {"a": 20260101},
        {"l": [genuine["l"][0], 5]},
        {"l": ["2026-01-01T00:00:00", genuine["l"][1]]},
        {"l": None},
    ):
        await _refused(node, "/email-validations", {**genuine, **change})
    await _refused(node, "/email-validations", {key: value for key, value in genuine.items() if key != "n"})
    huge = await _get(node, f"/email-validations?cursor={encode_cursor({**genuine, 'n': 2**64 - 1})}")
    assert len(huge["data"]) == 2


async def test_crafted_daily_usage_cursors_are_refused(node: V2Node) -> None:
    await submit(node, entries("a@nonexistent.mailfarm.net"))
    page = await _get(node, "/credits/daily-usage?limit=1")
    genuine = decode_cursor(page["meta"]["cursor"], "cursor")
    for change in ({"n": -5}, {"n": 0}, {"n": "1"}, {"n": False}, {"s": 3}, {"l": None}):
        await _refused(node, "/credits/daily-usage", {**genuine, **change})
    huge = await _get(node, f"/credits/daily-usage?cursor={encode_cursor({**genuine, 'n': 2**64 - 1})}")
    assert huge == {"meta": {"isTruncated": False}, "data": []}
