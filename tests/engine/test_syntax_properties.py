"""Properties of the address parser: total on any input, consistent, and linear in the input length."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.steps import steps
from verifalia_server.engine.statuses import SYNTAX_STATUSES
from verifalia_server.engine.syntax import MAX_INPUT_CHARACTERS, ParsedAddress, SyntaxFailure, parse_address

# Characters that drive the parser through every state: specials, quoting, comments, FWS, UTF-8, controls.
TRICKY = [*'aZ9.@"\\()[]:,<> \t\r\n-_é用。\x00\x7f\x85\ud800', "xn--", "IPv6:", "192.0.2.1", ".org"]
tricky_text = st.lists(st.sampled_from(TRICKY), max_size=40).map("".join)
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
local_atoms = st.text(alphabet="abcXYZ019!#$%&'*+-/=?^_`{|}~", min_size=1, max_size=12)
labels = st.text(alphabet="abcxyzABC019-", min_size=1, max_size=12)
simple_addresses = st.builds(
    lambda local, domain: f"{'.'.join(local)}@{'.'.join(domain)}",
    st.lists(local_atoms, min_size=1, max_size=4),
    st.lists(labels, min_size=1, max_size=4),
)


def check_result(text: str, result: ParsedAddress | SyntaxFailure) -> None:
    if isinstance(result, SyntaxFailure):
        assert result.status in SYNTAX_STATUSES
        assert 0 <= result.index <= len(text)
    else:
        assert len(result.local_part.encode()) <= 64
        assert len(result.local_part.encode()) + 1 + len(result.ascii_domain_part) <= 254
        assert result.email_address == f"{result.local_part}@{result.domain_part}"
        assert result.ascii_domain_part.isascii()


@given(any_text)
@settings(max_examples=400, deadline=None)
def test_never_raises_on_any_unicode(text: str) -> None:
    check_result(text, parse_address(text))


@given(tricky_text)
@settings(max_examples=1500, deadline=None)
def test_never_raises_on_tricky_text(text: str) -> None:
    check_result(text, parse_address(text))


@given(st.sampled_from(TRICKY), st.integers(min_value=1, max_value=300_000))
@settings(max_examples=30, deadline=None)
def test_never_raises_on_huge_repetitions(unit: str, count: int) -> None:
    text = unit * count
    check_result(text, parse_address(text))


@given(tricky_text)
@settings(max_examples=800, deadline=None)
def test_a_leading_comment_changes_nothing_but_indices(text: str) -> None:
    # RFC 5322 §3.2.2: a comment is semantically invisible; it only shifts failure indices.
    if text != text.strip() or len(text) > MAX_INPUT_CHARACTERS - 2:
        return
    plain, commented = parse_address(text), parse_address(f"(){text}")
    if isinstance(plain, SyntaxFailure):
        assert commented == SyntaxFailure(plain.status, plain.index + 2)
    else:
        assert commented == plain


@given(simple_addresses)
@settings(max_examples=500, deadline=None)
def test_simple_addresses_agree_with_the_general_parser(text: str) -> None:
    # A trailing comment sends the same address through the general scanner instead of the fast path.
    plain, commented = parse_address(text), parse_address(f"{text}(c)")
    assert commented == plain
    if isinstance(plain, ParsedAddress):
        local, _, domain = text.rpartition("@")
        assert plain.local_part == local
        assert plain.ascii_domain_part == domain.lower()


@given(tricky_text)
@settings(max_examples=500, deadline=None)
def test_normalized_address_parses_to_itself(text: str) -> None:
    parsed = parse_address(text)
    if isinstance(parsed, ParsedAddress):
        assert parse_address(parsed.email_address) == parsed


@pytest.mark.parametrize(
    ("prefix", "unit", "count"),
    [
        pytest.param("", "(", 400, id="open-comments"),
        pytest.param("", '"\\', 400, id="escaped-quotes"),
        pytest.param("", "a.", 400, id="dotted-atoms"),
        pytest.param("", "@", 400, id="at-signs"),
        pytest.param("", "\\", 400, id="backslashes"),
        pytest.param("", "(a", 400, id="nested-comments-with-text"),
        pytest.param("", "()", 400, id="empty-comments"),
        pytest.param("a", "(\r\n )", 150, id="folded-comments"),
        pytest.param("a@", "b.", 400, id="domain-labels"),
        pytest.param("", '"a".', 200, id="quoted-words"),
        pytest.param('"', "a\r\n ", 200, id="folds-in-quotes"),
    ],
)
def test_parse_work_is_linear(prefix: str, unit: str, count: int) -> None:
    short = prefix + unit * count
    long = prefix + unit * (count * 10)
    assert len(long) <= MAX_INPUT_CHARACTERS
    # Ten times the input may cost at most twenty times the work (quadratic behaviour would cost a hundred).
    # The floor keeps the fixed cost of a call from mattering for inputs rejected at their first characters.
    assert steps(parse_address, long) <= 20 * max(steps(parse_address, short), 50)


def test_megabyte_input_is_rejected_without_reading_it() -> None:
    text = "(" * 1_000_000
    result = parse_address(text)
    assert steps(parse_address, text) < 100
    assert isinstance(result, SyntaxFailure)
    assert result.index == len(text)
