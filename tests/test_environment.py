"""The shared readers of configuration values: defaults, parsing, bounds and errors that name the variable."""

from __future__ import annotations

import ipaddress

import pytest

from verifalia_server.engine import config
from verifalia_server.environment import (
    ConfigError,
    flag,
    integer,
    networks,
    number,
    numbers,
    positive,
)

NAME = "VERIFALIA_EXAMPLE"


def test_the_engine_configuration_error_is_the_shared_one() -> None:
    assert config.ConfigError is ConfigError
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize("environ", [{}, {NAME: ""}, {NAME: "  "}])
def test_unset_or_blank_values_give_the_default(environ: dict[str, str]) -> None:
    assert number(environ, NAME, 2.5) == 2.5
    assert positive(environ, NAME, 3.5) == 3.5
    assert integer(environ, NAME, 7) == 7
    assert flag(environ, NAME, True) is True
    assert flag(environ, NAME) is False
    assert networks(environ, NAME) == ()


def test_numbers_are_parsed_around_whitespace() -> None:
    assert number({NAME: " 1.5 "}, NAME, 9.0) == 1.5
    assert number({NAME: "0"}, NAME, 9.0) == 0.0
    assert number({NAME: "1e3"}, NAME, 9.0) == 1000.0
    assert positive({NAME: "0.25"}, NAME, 9.0) == 0.25


@pytest.mark.parametrize("raw", ["soon", "1,5", "0x10", "1.2.3"])
def test_a_value_that_is_not_a_number_names_the_variable(raw: str) -> None:
    for read in (number, positive, integer):
        with pytest.raises(ConfigError, match=rf"^{NAME} must be a number, got '{raw}'$"):
            read({NAME: raw}, NAME, 1)


def test_negative_values_are_rejected() -> None:
    with pytest.raises(ConfigError, match=rf"^{NAME} must not be negative, got '-1'$"):
        number({NAME: "-1"}, NAME, 1.0)
    with pytest.raises(ConfigError, match=rf"^{NAME} must not be negative, got '-3'$"):
        integer({NAME: "-3"}, NAME, 1)
    with pytest.raises(ConfigError, match=rf"^{NAME} must be positive, got '-0.5'$"):
        positive({NAME: "-0.5"}, NAME, 1.0)


def test_a_minimum_is_enforced_and_named() -> None:
    assert number({NAME: "0.1"}, NAME, 1.0, minimum=0.1) == 0.1
    with pytest.raises(ConfigError, match=rf"^{NAME} must be at least 0.1, got '0.05'$"):
        number({NAME: "0.05"}, NAME, 1.0, minimum=0.1)
    assert integer({NAME: "1"}, NAME, 5, minimum=1) == 1
    with pytest.raises(ConfigError, match=rf"^{NAME} must be at least 1, got '0'$"):
        integer({NAME: "0"}, NAME, 5, minimum=1)


def test_zero_is_not_positive() -> None:
    with pytest.raises(ConfigError, match=rf"^{NAME} must be positive, got '0'$"):
        positive({NAME: "0"}, NAME, 1.0)


@pytest.mark.parametrize(("raw", "expected"), [("8", 8), (" 0 ", 0), ("12.0", 12), ("1e3", 1000)])
def test_whole_numbers_are_integers(raw: str, expected: int) -> None:
    value = integer({NAME: raw}, NAME, 5)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize("raw", ["1.5", "0.001", "inf", "nan"])
def test_fractions_and_non_finite_values_are_not_whole_numbers(raw: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{NAME} must be a whole number, got '{raw}'$"):
        integer({NAME: raw}, NAME, 5)


@pytest.mark.parametrize("raw", ["1", "true", "YES", " on "])
def test_true_flags(raw: str) -> None:
    assert flag({NAME: raw}, NAME, False) is True


@pytest.mark.parametrize("raw", ["0", "False", "no", "OFF"])
def test_false_flags(raw: str) -> None:
    assert flag({NAME: raw}, NAME, True) is False


def test_an_unknown_flag_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=rf"^{NAME} must be 0 or 1, got 'maybe'$"):
        flag({NAME: "Maybe"}, NAME, True)


def test_numbers_default_when_unset_and_are_empty_when_blank() -> None:
    assert numbers({}, NAME, (1.0, 2.0)) == (1.0, 2.0)
    assert numbers({NAME: " "}, NAME, (1.0, 2.0)) == ()
    assert numbers({NAME: "0.5, 3 ,60"}, NAME, (1.0,)) == (0.5, 3.0, 60.0)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("60,five", "must be comma-separated seconds"), ("1,,2", "must be comma-separated seconds")],
)
def test_malformed_numbers_name_the_variable(raw: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{NAME} {problem}, got '{raw}'$"):
        numbers({NAME: raw}, NAME, ())


def test_negative_numbers_in_a_list_are_rejected() -> None:
    with pytest.raises(ConfigError, match=rf"^{NAME} must not contain negative delays, got '60,-1'$"):
        numbers({NAME: "60,-1"}, NAME, ())


def test_networks_accept_addresses_and_cidr_blocks() -> None:
    assert networks({NAME: "10.0.0.0/8, 127.0.0.1,,::1, 192.168.1.7/24"}, NAME) == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("192.168.1.0/24"),
    )


@pytest.mark.parametrize("item", ["proxy.example.org", "10.0.0.0/33", "300.1.1.1"])
def test_a_malformed_network_names_the_variable_and_the_item(item: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{NAME}: '{item}' is not an IP address or CIDR$"):
        networks({NAME: f"127.0.0.1,{item}"}, NAME)
