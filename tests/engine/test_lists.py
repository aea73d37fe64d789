"""Disposable, free-provider and role lists, and the operator override file."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifalia_server.engine.config import ConfigError
from verifalia_server.engine.lists import Lists, read_data_lines


@pytest.fixture(scope="module")
def lists() -> Lists:
    return Lists.load()


def write_operator_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "lists.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "domain",
    ["mailinator.com", "x.mailinator.com", "a.b.mailinator.com", "MAILINATOR.COM", "mailinator.com."],
)
def test_disposable_domain_and_its_subdomains(lists: Lists, domain: str) -> None:
    assert lists.is_disposable(domain)


@pytest.mark.parametrize(
    "domain", ["gmail.com", "mailinator.com.example.org", "example-mailinator.com", "com"]
)
def test_not_disposable(lists: Lists, domain: str) -> None:
    assert not lists.is_disposable(domain)


@pytest.mark.parametrize("domain", ["gmail.com", "GMail.com", "yahoo.com", "outlook.com", "gmx.de"])
def test_free_providers(lists: Lists, domain: str) -> None:
    assert lists.is_free(domain)


@pytest.mark.parametrize("domain", ["example-corp.com", "mail.gmail.com", "mailinator.com"])
def test_not_free(lists: Lists, domain: str) -> None:
    assert not lists.is_free(domain)


def test_free_list_never_flags_a_disposable_domain(lists: Lists) -> None:
    assert lists.free_domains
    assert not any(lists.is_disposable(domain) for domain in lists.free_domains)


@pytest.mark.parametrize(
    "local_part",
    [
        # RFC 2142 §3-§5
        "info",
        "sales",
        "abuse",
        "postmaster",
        "hostmaster",
        "webmaster",
        # common roles
        "billing",
        "contact",
        "noreply",
        "no-reply",
        "careers",
        "hr",
        "Support",
        "INFO",
        "sales+emea",
    ],
)
def test_role_local_parts(lists: Lists, local_part: str) -> None:
    assert lists.is_role(local_part)


@pytest.mark.parametrize("local_part", ["john", "john.smith", "alice", "2019", "+info", "infos.john"])
def test_personal_local_parts(lists: Lists, local_part: str) -> None:
    assert not lists.is_role(local_part)


def test_role_data_file_holds_a_few_hundred_lowercase_entries() -> None:
    entries = read_data_lines("role_local_parts.txt")
    assert 200 <= len(entries) <= 600
    assert len(set(entries)) == len(entries)
    assert not any(entry.isdigit() or "@" in entry or " " in entry for entry in entries)


def test_operator_file_adds_and_removes_entries(tmp_path: Path) -> None:
    path = write_operator_file(
        tmp_path,
        "# local policy\n"
        "\n"
        "+disposable example.org\n"
        "-disposable mailinator.com\n"
        "+free corp-mail.com\n"
        "-free gmail.com\n"
        "  +role ceo  \n"
        "-role sales\n",
    )
    lists = Lists.load(path)
    assert lists.is_disposable("example.org")
    assert lists.is_disposable("mx.example.org")
    assert not lists.is_disposable("mailinator.com")
    assert not lists.is_disposable("x.mailinator.com")
    assert lists.is_free("corp-mail.com")
    assert not lists.is_free("gmail.com")
    assert lists.is_role("CEO")
    assert not lists.is_role("sales")
    assert lists.is_role("info")


def test_operator_removal_of_a_subdomain_keeps_the_parent_disposable(tmp_path: Path) -> None:
    lists = Lists.load(write_operator_file(tmp_path, "-disposable inbox.mailinator.com\n"))
    assert not lists.is_disposable("inbox.mailinator.com")
    assert not lists.is_disposable("a.inbox.mailinator.com")
    assert lists.is_disposable("mailinator.com")
    assert lists.is_disposable("other.mailinator.com")


def test_operator_file_last_line_wins(tmp_path: Path) -> None:
    lists = Lists.load(write_operator_file(tmp_path, "+disposable example.org\n-disposable example.org\n"))
    assert not lists.is_disposable("example.org")
    lists = Lists.load(
        write_operator_file(tmp_path, "-disposable mailinator.com\n+disposable mailinator.com\n")
    )
    assert lists.is_disposable("mailinator.com")


def test_operator_disposable_domain_is_never_free(tmp_path: Path) -> None:
    lists = Lists.load(write_operator_file(tmp_path, "+disposable gmail.com\n"))
    assert lists.is_disposable("gmail.com")
    assert not lists.is_free("gmail.com")


def test_operator_removal_of_a_disposable_domain_can_make_it_free(tmp_path: Path) -> None:
    assert not Lists.load().is_free("mailinator.com")
    assert Lists.load(write_operator_file(tmp_path, "-disposable mailinator.com\n")).is_free("mailinator.com")


def test_operator_unicode_domain_is_stored_as_a_labels(tmp_path: Path) -> None:
    lists = Lists.load(write_operator_file(tmp_path, "+disposable Bücher.example\n"))
    assert lists.is_disposable("xn--bcher-kva.example")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("disposable example.org\n", 1),
        ("# fine\n+disposable\n", 2),
        ("+disposable a.org b.org\n", 1),
        ("+spam example.org\n", 1),
        ("*free example.org\n", 1),
        ("\n\n+disposable exa_mple.org\n", 3),
        ("+free -bad-.org\n", 1),
        ("+free a..org\n", 1),
        ("+role john@example.org\n", 1),
        (f"+role {'x' * 65}\n", 1),
    ],
)
def test_operator_file_errors_name_file_and_line(tmp_path: Path, text: str, line: int) -> None:
    path = write_operator_file(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{path}:{line}: "):
        Lists.load(path)


def test_missing_operator_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.txt"
    with pytest.raises(ConfigError, match=str(missing)):
        Lists.load(str(missing))
