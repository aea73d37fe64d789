"""The farm's three scenarios: a small one for tests, a bulk one and a throttled one for benchmarks."""

from __future__ import annotations

import random

from tests.mta.scenario import (
    GREYLISTING,
    STOCK,
    Profile,
    Scenario,
    ScenarioBuilder,
    concurrency_limited,
    recipient_limited,
    throttled,
)

SMALL_MAILBOXES = ("alice", "bob")
SMALL_MISSING = "nobody"
SMALL_CONCURRENCY = 2
SMALL_RECIPIENTS = 3
MISSING_RATIO = 0.35
CATCH_ALL_EVERY = 10


def small_scenario() -> Scenario:
    """One exchanger per profile, two domains each with `alice` and `bob`, plus two catch-all domains.

    Hosts are `mx-<profile>.mta.mailfarm.net` (stock, throttled, concurrency, recipients, greylisting),
    domains `<profile>-1` and `<profile>-2` under `mta.mailfarm.net`; `catchall-1` and `catchall-2` are
    catch-all domains on the stock host. Every domain lists alice, bob and nobody as expected results.
    """
    builder = ScenarioBuilder("small")
    profiles = [
        STOCK,
        throttled(),
        concurrency_limited(SMALL_CONCURRENCY),
        recipient_limited(SMALL_RECIPIENTS),
        GREYLISTING,
    ]
    hosts = {profile.name: builder.add_host(f"mx-{profile.name}", profile) for profile in profiles}
    for profile in profiles:
        for number in (1, 2):
            domain = builder.add_domain(f"{profile.name}-{number}", [hosts[profile.name]], SMALL_MAILBOXES)
            for local_part in (*SMALL_MAILBOXES, SMALL_MISSING):
                builder.expect(domain, local_part)
    for number in (1, 2):
        domain = builder.add_domain(
            f"catchall-{number}", [hosts[STOCK.name]], SMALL_MAILBOXES, catch_all=True
        )
        for local_part in (*SMALL_MAILBOXES, SMALL_MISSING):
            builder.expect(domain, local_part)
    return builder.build()


def generated_scenario(
    name: str,
    profile: Profile,
    *,
    addresses: int,
    domains: int,
    hosts: int,
    seed: int,
    missing_ratio: float = MISSING_RATIO,
    catch_all_every: int = CATCH_ALL_EVERY,
) -> Scenario:
    """`addresses` spread evenly over `domains` served round-robin by `hosts` exchangers of `profile`.

    Every `catch_all_every`-th domain is catch-all; in the others a `missing_ratio` share of the listed
    local parts, drawn with `random.Random(seed)`, has no mailbox. Same arguments, same scenario.
    """
    rng = random.Random(seed)
    builder = ScenarioBuilder(name)
    exchangers = [builder.add_host(f"mx{number:02d}-{name}", profile) for number in range(1, hosts + 1)]
    per_domain = addresses // domains
    for number in range(domains):
        local_parts = [f"user{index:03d}" for index in range(per_domain + (number < addresses % domains))]
        missing = set(rng.sample(local_parts, round(len(local_parts) * missing_ratio)))
        domain = builder.add_domain(
            f"{name}-{number:03d}",
            [exchangers[number % hosts]],
            [local_part for local_part in local_parts if local_part not in missing],
            catch_all=number % catch_all_every == catch_all_every - 1,
        )
        for local_part in local_parts:
            builder.expect(domain, local_part)
    return builder.build()


def bulk_scenario(seed: int = 1) -> Scenario:
    """10,000 addresses over 100 domains on 8 stock Postfix exchangers; 35% missing, 10 catch-all domains."""
    return generated_scenario("bulk", STOCK, addresses=10_000, domains=100, hosts=8, seed=seed)


def throttled_scenario(seed: int = 1, *, recipients: int = 20, connections: int = 30) -> Scenario:
    """1,000 addresses over 40 domains on 8 exchangers that each allow, per client and per 10 s,
    `recipients` RCPT commands and `connections` connections; 35% missing, 4 catch-all domains."""
    return generated_scenario(
        "throttled",
        throttled(recipients, connections),
        addresses=1_000,
        domains=40,
        hosts=8,
        seed=seed,
    )
