"""The mapping from Verifalia statuses to LeadRocks verdicts."""

from __future__ import annotations

import pytest

from verifalia_server.api.leadrocks.results import STATUS_TABLE, LeadRocksStatus, LeadRocksVerdict
from verifalia_server.engine.statuses import Classification, Status, classify


def test_every_status_is_mapped_to_one_of_the_four_values() -> None:
    assert set(STATUS_TABLE) == set(Status)
    assert {verdict for verdict, _ in STATUS_TABLE.values()} == set(LeadRocksStatus)


def test_only_success_is_safe_to_send() -> None:
    assert [status for status, (_, safe) in STATUS_TABLE.items() if safe] == [Status.SUCCESS]


def test_undeliverable_statuses_are_invalid() -> None:
    undeliverable = {status for status in Status if classify(status) is Classification.UNDELIVERABLE}
    assert {status for status in undeliverable if STATUS_TABLE[status][0] is not LeadRocksStatus.INVALID} == {
        Status.DUPLICATE
    }


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.SUCCESS, LeadRocksStatus.VALID),
        (Status.LOCAL_PART_IS_WELL_KNOWN_ROLE_ACCOUNT, LeadRocksStatus.VALID),
        (Status.SERVER_IS_CATCH_ALL, LeadRocksStatus.CATCH_ALL),
        (Status.MAILBOX_DOES_NOT_EXIST, LeadRocksStatus.INVALID),
        (Status.DOMAIN_HAS_NULL_MX, LeadRocksStatus.INVALID),
        (Status.AT_SIGN_NOT_FOUND, LeadRocksStatus.INVALID),
        (Status.MAILBOX_TEMPORARILY_UNAVAILABLE, LeadRocksStatus.UNKNOWN),
        (Status.SMTP_CONNECTION_FAILURE, LeadRocksStatus.UNKNOWN),
        (Status.LOCAL_END_POINT_REJECTED, LeadRocksStatus.UNKNOWN),
        (Status.DOMAIN_IS_WELL_KNOWN_DEA, LeadRocksStatus.UNKNOWN),
    ],
)
def test_table_rows(status: Status, expected: LeadRocksStatus) -> None:
    assert STATUS_TABLE[status][0] is expected


@pytest.mark.parametrize(
    ("disposable", "free", "role", "safe"),
    [
        (False, False, False, "yes"),
        (False, True, False, "yes"),
        (True, False, False, "no"),
        (False, False, True, "no"),
    ],
)
def test_role_and_disposable_addresses_are_not_safe(
    disposable: bool, free: bool, role: bool, safe: str
) -> None:
    verdict = LeadRocksVerdict.of(Status.SUCCESS, disposable=disposable, free=free, role=role)
    assert verdict.columns() == (
        "valid",
        safe,
        "yes" if disposable else "no",
        "yes" if free else "no",
        "yes" if role else "no",
    )
