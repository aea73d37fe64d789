"""The engine against real Postfix: error limits, anvil throttling, session and recipient limits, greylisting.

Every scenario states the status a correct verifier gives each address; the engine must give exactly that,
and Postfix's own log must show the engine stayed within the server's limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import aiohttp
import asyncpg

from tests.mta.farm import MtaFarm
from tests.mta.fixtures import MtaFarmFactory
from tests.mta.maillog import LogEvent
from tests.mta.scenario import (
    STOCK,
    Profile,
    Scenario,
    ScenarioBuilder,
    concurrency_limited,
    recipient_limited,
    throttled,
)
from tests.mta.scenarios import generated_scenario
from tests.support.cluster import run_cluster
from tests.support.database import create_test_account
from tests.support.nodes import basic_auth
from verifalia_server.cli.check import verify_all
from verifalia_server.engine import Engine, EngineConfig, Quality, Status

# Postfix's smtpd_hard_error_limit: the session is dropped at this many refused commands.
POSTFIX_HARD_ERROR_LIMIT = 20


def one_host(name: str, profile: Profile, existing: int, missing: int, domains: int = 1) -> Scenario:
    """`domains` domains on one exchanger of `profile`, each with `existing` and `missing` mailboxes."""
    builder = ScenarioBuilder(name)
    host = builder.add_host(f"mx-{name}", profile)
    for number in range(domains):
        mailboxes = [f"user{index}" for index in range(existing)]
        domain = builder.add_domain(f"{name}-{number}", [host], mailboxes)
        for local_part in [*mailboxes, *(f"ghost{index}" for index in range(missing))]:
            builder.expect(domain, local_part)
    return builder.build()


def engine_for(farm: MtaFarm, **environ: str) -> Engine:
    return Engine(EngineConfig.from_env({**farm.engine_environ(), **environ}))


async def run_job(
    database_url: str, pool: asyncpg.Pool[Any], environ: Mapping[str, str], addresses: list[str]
) -> tuple[str, dict[str, Status]]:
    """Submit `addresses` as one v2 job to api-1 of a two-node cluster, await it on api-2: id and statuses."""
    account = await create_test_account(pool)
    environ = {**environ, "VERIFALIA_SCHEDULER_POLL_SECONDS": "0.05"}
    async with run_cluster(database_url, environ, count=2) as cluster, aiohttp.ClientSession() as session:
        auth = basic_auth(account.sid, account.token)
        body = {"entries": [{"inputData": address} for address in addresses]}
        async with session.post(
            f"{cluster.urls[0]}/v2.6/email-validations", json=body, headers=auth
        ) as reply:
            assert reply.status in {200, 202}, await reply.text()
            job_id: str = (await reply.json())["overview"]["id"]
        url = f"{cluster.urls[1]}/v2.6/email-validations/{job_id}"
        for _ in range(60):
            async with session.get(f"{url}/overview?waitTime=5000", headers=auth) as reply:
                if reply.status == 200:
                    break
        async with session.get(f"{url}/entries?limit=1000", headers=auth) as reply:
            entries = (await reply.json())["data"]
    return job_id, {entry["inputData"]: Status(entry["status"]) for entry in entries}


async def statuses(engine: Engine, addresses: list[str]) -> dict[str, Status]:
    verdicts = await verify_all(engine, addresses, Quality.STANDARD)
    return {verdict.input_data: verdict.status for verdict in verdicts}


def wrong(found: Mapping[str, Status], expected: Mapping[str, Status]) -> dict[str, str]:
    return {
        address: f"{status.value} instead of {expected[address].value}"
        for address, status in found.items()
        if status is not expected[address]
    }


async def test_every_profile_of_the_small_scenario_gets_exact_statuses(mta_farm: MtaFarm) -> None:
    # Greylisted triplets pass after the farm's delay: Standard's one retry must come later than that.
    engine = engine_for(mta_farm, VERIFALIA_RETRY_DELAYS_STANDARD=str(mta_farm.greylist_delay + 1))

    found = await statuses(engine, list(mta_farm.expected))

    assert wrong(found, mta_farm.expected) == {}
    assert await mta_farm.log.wait_for(LogEvent.GREYLISTED) >= 1


async def test_sessions_end_before_postfix_error_limits(mta_farm_factory: MtaFarmFactory) -> None:
    farm = await mta_farm_factory(one_host("errors", STOCK, existing=10, missing=50))
    engine = engine_for(farm)

    found = await statuses(engine, list(farm.expected))

    assert wrong(found, farm.expected) == {}
    assert farm.log.count(LogEvent.TOO_MANY_ERRORS) == 0
    # 50 refused targets and one refused catch-all probe, at most the error budget per session.
    budget = EngineConfig().smtp_errors_per_session
    assert budget < POSTFIX_HARD_ERROR_LIMIT
    assert farm.sessions_opened(farm.scenario.hosts[0].address) >= math.ceil(51 / budget)


async def test_a_throttling_exchanger_gets_every_recipient_asked_again(
    mta_farm_factory: MtaFarmFactory,
) -> None:
    # Five recipients per client per 10 s: eight addresses and a probe need two windows.
    farm = await mta_farm_factory(one_host("rate", throttled(recipients=5), existing=5, missing=3))
    engine = engine_for(farm, VERIFALIA_RETRY_DELAYS_STANDARD="60")

    found = await statuses(engine, list(farm.expected))

    assert wrong(found, farm.expected) == {}
    assert await farm.log.wait_for(LogEvent.RECIPIENT_RATE) >= 1
    assert sum(engine.stats.smtp_throttles.values()) >= 1
    pace = engine.prober.limiter.pace(farm.scenario.hosts[0].address)
    assert pace.rate_limit == 5


async def test_refused_connections_shrink_the_sessions_to_what_postfix_allows(
    mta_farm_factory: MtaFarmFactory,
) -> None:
    # With a 50 ms round trip, six sessions are open at once unless the server refuses some.
    farm = await mta_farm_factory(
        one_host("busy", concurrency_limited(2), existing=20, missing=10, domains=3), latency=0.05
    )
    engine = engine_for(farm, VERIFALIA_SMTP_SESSIONS_PER_HOST="6")

    found = await statuses(engine, list(farm.expected))

    assert wrong(found, farm.expected) == {}
    host = farm.scenario.hosts[0]
    assert await farm.log.wait_for(LogEvent.CONNECTION_COUNT) >= 1
    assert engine.prober.limiter.pace(host.address).sessions_allowed < 6


async def test_a_per_transaction_recipient_limit_is_learnt(mta_farm_factory: MtaFarmFactory) -> None:
    farm = await mta_farm_factory(one_host("small-tx", recipient_limited(3), existing=8, missing=2))
    engine = engine_for(farm)

    found = await statuses(engine, list(farm.expected))

    assert wrong(found, farm.expected) == {}
    assert engine.prober.limiter.pace(farm.scenario.hosts[0].address).transaction_limit == 3


async def test_a_job_on_two_nodes_ends_with_the_statuses_of_check(
    mta_farm_factory: MtaFarmFactory, database_url: str, pool: asyncpg.Pool[Any]
) -> None:
    scenario = generated_scenario("jobs", STOCK, addresses=600, domains=12, hosts=3, seed=5)
    farm = await mta_farm_factory(scenario)
    addresses = list(scenario.expected)
    checked = await statuses(engine_for(farm), addresses)

    _, from_job = await run_job(database_url, pool, farm.engine_environ(), addresses)

    assert from_job == checked
    assert wrong(from_job, scenario.expected) == {}


async def test_an_entry_throttled_past_its_deadline_says_so(mta_farm_factory: MtaFarmFactory) -> None:
    farm = await mta_farm_factory(one_host("deadline", throttled(recipients=2), existing=6, missing=0))
    engine = engine_for(
        farm,
        VERIFALIA_SMTP_THROTTLE_WAIT="1",
        VERIFALIA_SMTP_THROTTLE_DEADLINE="0",
        VERIFALIA_RETRY_DELAYS_STANDARD="",
    )

    verdicts = await verify_all(engine, list(farm.expected), Quality.STANDARD)

    throttled_out = [verdict for verdict in verdicts if verdict.status is Status.SERVER_TEMPORARY_UNAVAILABLE]
    assert throttled_out
    assert {verdict.status for verdict in verdicts} <= {Status.SUCCESS, Status.SERVER_TEMPORARY_UNAVAILABLE}
    for verdict in throttled_out:
        assert verdict.evidence is not None
        assert verdict.evidence.reply_code == 450
        assert "too many recipients from" in (verdict.evidence.reply_text or "")


async def test_each_source_address_is_paced_on_its_own_and_seen_by_postfix(
    mta_farm_factory: MtaFarmFactory,
) -> None:
    # Five recipients per client per 10 s: two source addresses are two clients to anvil.
    farm = await mta_farm_factory(one_host("sources", throttled(recipients=5), existing=6, missing=2))
    engine = engine_for(farm, VERIFALIA_SMTP_SOURCE_ADDRESSES="127.0.0.71,127.0.0.72")

    found = await statuses(engine, list(farm.expected))

    assert wrong(found, farm.expected) == {}
    for source in ("127.0.0.71", "127.0.0.72"):
        assert await farm.log.wait_for(LogEvent.CONNECT, client=source) >= 1
    assert farm.log.count(LogEvent.CONNECT, client="127.0.0.1") == 0


async def test_a_job_waiting_for_a_throttling_exchanger_spends_no_retry(
    mta_farm_factory: MtaFarmFactory, database_url: str, pool: asyncpg.Pool[Any]
) -> None:
    farm = await mta_farm_factory(one_host("slow", throttled(recipients=5), existing=6, missing=3))
    environ = {
        **farm.engine_environ(),
        "VERIFALIA_SMTP_THROTTLE_WAIT": "2",
        # Any spent retry would end the entry at once: Standard has no retry left.
        "VERIFALIA_RETRY_DELAYS_STANDARD": "",
    }

    job_id, found = await run_job(database_url, pool, environ, list(farm.expected))

    assert wrong(found, farm.expected) == {}
    assert await farm.log.wait_for(LogEvent.RECIPIENT_RATE) >= 1
    attempts = await pool.fetchval("SELECT max(attempt) FROM entries WHERE job_id = $1::uuid", job_id)
    assert attempts == 0
