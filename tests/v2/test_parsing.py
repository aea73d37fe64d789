"""Request parsing of the v2 surface: waitTime units, lenient timespans, cursors and query values."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.models import parse_timespan
from verifalia_server.api.shared.wire import timespan
from verifalia_server.api.v2.query import (
    cut_page,
    date_range,
    decode_cursor,
    encode_cursor,
    entry_status_filters,
    paging,
)
from verifalia_server.api.v2.waiting import wait_seconds

JS = "verifalia-rest-client/js/5.0.0/node/linux/v20.0.0,target:node,format:cjs"
GO = "verifalia-rest-client/go/go1.22.0/linux"


@pytest.mark.parametrize(
    ("value", "agent", "seconds"),
    [
        ("30000", JS, 30.0),
        ("0", JS, 0.0),
        ("1500.5", JS, 1.5005),
        ("90000", JS, 30.0),
        ("-5", JS, 0.0),
        ("30", GO, 30.0),
        ("0.5", GO, 0.5),
        ("120", GO, 30.0),
        ("", JS, 0.0),
    ],
)
def test_wait_time_is_milliseconds_except_from_the_go_sdk(value: str, agent: str, seconds: float) -> None:
    query = {"waitTime": value} if value else {}
    assert wait_seconds(query, agent) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["soon", "nan", "1e", "0x10"])
def test_wait_time_that_is_not_a_number_is_refused(value: str) -> None:
    with pytest.raises(ApiError) as raised:
        wait_seconds({"waitTime": value}, JS)
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0:10:0", dt.timedelta(minutes=10)),
        ("00:05:00", dt.timedelta(minutes=5)),
        ("1.00:00:00", dt.timedelta(days=1)),
        ("30.0:0:0", dt.timedelta(days=30)),
        ("00:00:05.250", dt.timedelta(seconds=5)),
        (" 2:3:4 ", dt.timedelta(hours=2, minutes=3, seconds=4)),
    ],
)
def test_timespans_are_read_leniently(text: str, expected: dt.timedelta) -> None:
    assert parse_timespan(text) == expected


@pytest.mark.parametrize("text", ["", "10", "1:2", "24:00:00", "0:60:0", "a.0:0:0", "1.2.3:4:5", "-1:0:0"])
def test_malformed_timespans_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"timespan|range"):
        parse_timespan(text)


@given(st.integers(min_value=0, max_value=400 * 86_400))
def test_emitted_timespans_read_back_to_the_same_duration(seconds: int) -> None:
    assert parse_timespan(timespan(seconds)) == dt.timedelta(seconds=seconds)


@given(
    st.dictionaries(
        st.text(max_size=5),
        st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.text(), st.none()),
        max_size=5,
    )
)
def test_cursors_round_trip_and_stay_url_safe(payload: dict[str, object]) -> None:
    cursor = encode_cursor(payload)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, "cursor") == payload


def test_paging_reads_either_cursor_and_clamps_the_limit() -> None:
    cursor = encode_cursor({"l": 4})
    assert paging({"cursor": cursor, "limit": "50000"}, 100) == paging(
        {"cursor": cursor, "limit": "100"}, 100
    )
    backward = paging({"cursor:prev": cursor}, 100)
    assert backward.backward
    assert backward.cursor == {"l": 4}
    assert paging({}, 100).cursor is None


def test_cut_page_trims_orders_and_points_its_cursor_at_the_ends() -> None:
    page, meta = cut_page([7, 6, 5], 2, True, {"s": "x"}, lambda row: row * 10)
    assert page == [6, 7]
    assert meta["isTruncated"] is True
    assert decode_cursor(meta["cursor"], "cursor") == {"s": "x", "n": 2, "f": 60, "l": 70}
    page, meta = cut_page([1, 2], 2, False, {}, lambda row: row)
    assert (page, meta["isTruncated"]) == ([1, 2], False)
    page, meta = cut_page([1, 2, 3], None, False, {"n": 5}, lambda row: row)
    assert page == [1, 2, 3]
    assert meta["isTruncated"] is False
    assert decode_cursor(meta["cursor"], "cursor") == {"n": None, "f": 1, "l": 3}
    assert cut_page([], 3, True, {}, lambda row: row) == ([], {"isTruncated": False})


def test_status_filters_and_date_ranges() -> None:
    assert entry_status_filters({"status:include": "Success,Duplicate"}) == (["Success", "Duplicate"], None)
    assert entry_status_filters({"status:exclude": "Success"}) == (None, ["Success"])
    day = dt.date(2024, 1, 31)
    assert date_range({"date": "2024-01-31"}, "date") == (day, day)
    assert date_range({"date:since": "2024-01-01"}, "date") == (dt.date(2024, 1, 1), None)
    for query in ({"date": "2024-01-31", "date:since": "2024-01-01"}, {"date:until": "31/01/2024"}):
        with pytest.raises(ApiError):
            date_range(query, "date")
