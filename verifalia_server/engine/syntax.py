"""Email address syntax: parse, validate and normalize one address per RFC 5321/5322/6531/6532.

`parse_address` accepts an RFC 5322 §3.4.1 addr-spec, including the obsolete forms a receiver must accept
(RFC 5322 §4.4 obs-local-part / obs-domain: comments and folding white space around every word), and checks it
against the stricter RFC 5321 §4.1.2 Mailbox rules and length limits. Leading and trailing white space is
trimmed first; every failure index is a zero-based offset in the original, untrimmed input.

Rule -> status (index):

- nothing left after trimming, or no "@" after the local part -> AtSignNotFound (end of the trimmed input)
- empty local part ("@x.org") -> InvalidLocalPartLength (the "@")
- local part over 64 octets once normalized -> InvalidLocalPartLength (the "@")
- dot at the start or end of the local part, or a word where "." or "@" was expected (``a b@x.org``,
  ``"a"b@x.org``) -> InvalidWordBoundaryStart (that dot or word)
- two dots with nothing but comments/white space between them, local or domain part -> DoubleDotSequence
  (the second dot)
- ``""`` anywhere in the local part -> InvalidEmptyQuotedWord (its opening quote)
- quoted string never closed, or a backslash as the last character -> UnmatchedQuotedPair (the opening quote,
  or the backslash)
- backslash outside a quoted string or comment, or followed by a character that cannot be quoted (controls,
  TAB) -> UnexpectedQuotedPairSequence (the backslash)
- ")" without "(" -> UnbalancedCommentParenthesis (that ")"); "(" never closed -> UnbalancedCommentParenthesis
  (the outermost unclosed "(")
- CR not followed by LF and WSP, or LF not preceded by CR -> InvalidFoldingWhiteSpaceSequence (the CR or LF)
- any other character not allowed where it stands (controls, C1 controls, lone surrogates, specials such as
  ``,;:<>[]@``, TAB inside a quoted string, Unicode spaces and format, private-use or unassigned code points
  in the local part) -> InvalidCharacterInSequence (that character)
- domain part empty, empty label (leading/trailing dot), label not LDH (RFC 1035/5321), hyphen at either end,
  "--" in positions 3-4 of a label that is not a valid A-label, invalid IDNA 2008/UTS-46 name, label over 63
  octets, domain over 253 octets, a single label, an all-numeric top-level label, a malformed or general
  address literal -> DomainPartCompliancyFailure (the offending label or character, else the domain start)
- whole address over 254 octets (local part "@" A-label domain), or raw input over 8192 characters ->
  InvalidAddressLength (end of the trimmed input)
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NoReturn

import idna

from verifalia_server.engine.statuses import Status

__all__ = [
    "ParsedAddress",
    "SyntaxFailure",
    "dedup_key",
    "is_special_use_domain",
    "parse_address",
]

# RFC 5321 §4.5.3.1.1: local part at most 64 octets.
MAX_LOCAL_PART_OCTETS = 64
# RFC 3696 errata 1690 / RFC 5321 §4.5.3.1.3: a 256-octet path holds at most 254 octets of address.
MAX_ADDRESS_OCTETS = 254
# RFC 1035 §2.3.4: labels at most 63 octets.
MAX_LABEL_OCTETS = 63
# RFC 1035 §2.3.4 / RFC 5321 §4.5.3.1.2: 255 wire octets leave 253 octets of dotted name.
MAX_DOMAIN_OCTETS = 253
# Raw input longer than this cannot be a sensible address, whatever comments it holds; rejected unparsed.
MAX_INPUT_CHARACTERS = 8192

# RFC 6532 §3.1 UTF8-non-ascii, less C1 controls (RFC 5198 §2) and lone surrogates (not encodable as UTF-8).
_NON_ASCII = "\u00a0-\ud7ff\ue000-\U0010ffff"
# RFC 5322 §3.2.3 atext, extended by RFC 6532 §3.2.
_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-" + _NON_ASCII
_ATOM_RUN = re.compile(f"[{_ATEXT}]+")
# RFC 5321 §4.1.2 qtextSMTP (%d32-33 / %d35-91 / %d93-126), extended by RFC 6531 §3.3.
_QTEXT_RUN = re.compile(f"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e{_NON_ASCII}]+")
# RFC 5322 §3.2.2 ctext, extended by RFC 6532 §3.2; WSP is FWS inside a comment.
_CTEXT_RUN = re.compile(f"[ \\t\\x21-\\x27\\x2a-\\x5b\\x5d-\\x7e{_NON_ASCII}]+")
# RFC 5322 §3.4.1 dtext (%d33-90 / %d94-126).
_DTEXT_RUN = re.compile("[\\x21-\\x5a\\x5e-\\x7e]*")
# RFC 5321 §4.1.2 quoted-pairSMTP (%d92 %d32-126), extended by RFC 6531 §3.3.
_QUOTABLE = re.compile(f"[\\x20-\\x7e{_NON_ASCII}]")
# RFC 5321 §4.1.2 Dot-string: an unquoted local part.
_DOT_STRING = re.compile(f"[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*")
# The common case: an ASCII Dot-string and LDH labels, with no comments, quoting or white space.
_SIMPLE_ASCII = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
# RFC 1035 §2.3.1 / RFC 5321 §4.1.2: a lowercase LDH domain of labels up to 63 octets, alphabetic TLD first.
_PLAIN_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
# RFC 1035 §2.3.1 / RFC 5321 §4.1.2 Let-dig and Ldh-str: anything else in a label.
_NON_LDH = re.compile("[^a-z0-9-]")
_WSP = " \t"
# RFC 6530 §10.1 / RFC 8264 §9: invisible, spacing, unassigned and private-use code points make mailbox names
# that cannot be told apart or typed; they are refused in local parts.
_UNSAFE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"})

# RFC 6761 §6.2-6.5, RFC 2606 §2-3, RFC 6762 §3 (local), RFC 7686 §2 (onion), RFC 8375 §3 (home.arpa),
# RFC 9476 §2 (alt) and the ICANN-reserved private TLD "internal".
_SPECIAL_USE_TLDS = frozenset(
    {"test", "localhost", "invalid", "example", "local", "onion", "alt", "internal"}
)
_SPECIAL_USE_SECOND_LEVEL = frozenset({"example.com", "example.net", "example.org", "home.arpa"})


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """A syntactically valid address, normalized: no comments or FWS, needless quoting removed."""

    email_address: str
    local_part: str
    domain_part: str
    ascii_domain_part: str
    has_international_domain_name: bool
    has_international_mailbox_name: bool
    is_domain_literal: bool


@dataclass(frozen=True, slots=True)
class SyntaxFailure:
    """Why an input is not an address, and the zero-based offset in the original input where it shows."""

    status: Status
    index: int


@dataclass(frozen=True, slots=True)
class _Domain:
    unicode: str
    ascii: str
    is_international: bool


@dataclass(frozen=True, slots=True)
class _DomainError:
    # Which lexical label is at fault (None: the domain as a whole) and the offset inside it.
    label: int | None
    offset: int


class _Failure(Exception):
    def __init__(self, status: Status, index: int) -> None:
        super().__init__(status, index)
        self.status = status
        self.index = index


def parse_address(text: str) -> ParsedAddress | SyntaxFailure:
    """Parse one address; return it normalized, or the syntax failure with its index in `text`."""
    start = len(text) - len(text.lstrip())
    end = max(start, len(text.rstrip()))
    if end - start > MAX_INPUT_CHARACTERS:
        return SyntaxFailure(Status.INVALID_ADDRESS_LENGTH, end)
    if _SIMPLE_ASCII.fullmatch(text, start, end) is not None:
        simple = _parse_simple(text[start:end])
        if simple is not None:
            return simple
    try:
        return _parse_general(text, start, end)
    except _Failure as failure:
        return SyntaxFailure(failure.status, failure.index)


def is_special_use_domain(ascii_domain: str) -> bool:
    """Whether the domain is, or is under, a special-use name that never receives Internet mail."""
    labels = ascii_domain.rstrip(".").lower().split(".")
    return labels[-1] in _SPECIAL_USE_TLDS or ".".join(labels[-2:]) in _SPECIAL_USE_SECOND_LEVEL


def dedup_key(parsed: ParsedAddress, relaxed: bool) -> str:
    """The mailbox identity used to spot duplicates.

    Safe: local part exactly (RFC 5321 §2.4: case-sensitive), domain case-insensitive. Relaxed: the local
    part is lowercased as well.
    """
    local = parsed.local_part.lower() if relaxed else parsed.local_part
    return f"{local}@{parsed.ascii_domain_part}"


def _parse_simple(address: str) -> ParsedAddress | None:
    """Finish an address already matched by `_SIMPLE_ASCII`; None sends it through the general parser."""
    local, _, domain_text = address.rpartition("@")
    domain = _validate_domain(tuple(domain_text.split(".")))
    if isinstance(domain, _DomainError):
        return None
    return _assemble(local, domain, is_literal=False)


def _assemble(local: str, domain: _Domain, *, is_literal: bool) -> ParsedAddress | None:
    """Build the parsed address; None when the local part or the whole address is too long."""
    local_octets = len(local.encode())
    if local_octets > MAX_LOCAL_PART_OCTETS or local_octets + 1 + len(domain.ascii) > MAX_ADDRESS_OCTETS:
        return None
    return ParsedAddress(
        email_address=f"{local}@{domain.unicode}",
        local_part=local,
        domain_part=domain.unicode,
        ascii_domain_part=domain.ascii,
        has_international_domain_name=domain.is_international,
        has_international_mailbox_name=not local.isascii(),
        is_domain_literal=is_literal,
    )


def _parse_general(text: str, start: int, end: int) -> ParsedAddress:
    """Parse `text[start:end]` with comments, FWS, quoting and literals; raise `_Failure` when invalid."""
    if start == end:
        raise _Failure(Status.AT_SIGN_NOT_FOUND, end)
    at, local = _scan_local_part(text, start, end)
    local_octets = len(local.encode())
    if local_octets > MAX_LOCAL_PART_OCTETS:
        # RFC 5321 §4.5.3.1.1
        raise _Failure(Status.INVALID_LOCAL_PART_LENGTH, at)
    domain_start = _skip_cfws(text, at + 1, end)
    if domain_start < end and text[domain_start] == "[":
        domain = _scan_domain_literal(text, domain_start, end)
        is_literal = True
    else:
        domain = _scan_domain(text, domain_start, end)
        is_literal = False
    parsed = _assemble(local, domain, is_literal=is_literal)
    if parsed is None:
        # RFC 5321 §4.5.3.1.3 (with RFC 3696 errata 1690)
        raise _Failure(Status.INVALID_ADDRESS_LENGTH, end)
    return parsed


def _scan_local_part(text: str, i: int, end: int) -> tuple[int, str]:
    """Scan RFC 5322 §4.4 obs-local-part up to the "@"; return the "@" index and the canonical local part."""
    words: list[str] = []
    last_dot = -1
    expect_word = True
    i = _skip_cfws(text, i, end)
    while True:
        if i >= end:
            raise _Failure(Status.AT_SIGN_NOT_FOUND, end)
        char = text[i]
        if char == "@":
            if not words:
                # RFC 5321 §4.1.2: Local-part is at least one atom or a quoted string.
                raise _Failure(Status.INVALID_LOCAL_PART_LENGTH, i)
            if expect_word:
                # RFC 5322 §3.2.3: dot-atom-text does not end with a dot.
                raise _Failure(Status.INVALID_WORD_BOUNDARY_START, last_dot)
            return i, _canonical_local_part("".join(words))
        if char == ".":
            if expect_word:
                # RFC 5322 §3.2.3: dots only between atext runs.
                status = Status.DOUBLE_DOT_SEQUENCE if words else Status.INVALID_WORD_BOUNDARY_START
                raise _Failure(status, i)
            words.append(".")
            last_dot = i
            expect_word = True
            i = _skip_cfws(text, i + 1, end)
            continue
        match = None if char == '"' else _ATOM_RUN.match(text, i, end)
        if char == '"' or match is not None:
            if not expect_word:
                # RFC 5322 §4.4: words of obs-local-part are separated by dots.
                raise _Failure(Status.INVALID_WORD_BOUNDARY_START, i)
            if match is None:
                word, i = _scan_quoted_string(text, i, end)
            else:
                word, i = _checked_run(text, match.start(), match.group()), match.end()
            words.append(word)
            expect_word = False
            i = _skip_cfws(text, i, end)
            continue
        _reject_character(text, i)


def _checked_run(text: str, start: int, run: str) -> str:
    """Return a run of local-part characters found at `start`, refusing unsafe Unicode code points."""
    if not run.isascii():
        for offset, char in enumerate(run):
            if not char.isascii() and unicodedata.category(char) in _UNSAFE_CATEGORIES:
                raise _Failure(Status.INVALID_CHARACTER_IN_SEQUENCE, start + offset)
    return run


def _canonical_local_part(value: str) -> str:
    """RFC 5321 §4.1.2: a Dot-string when the value is one, else a Quoted-string with needed escapes."""
    if _DOT_STRING.fullmatch(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scan_quoted_string(text: str, opening: int, end: int) -> tuple[str, int]:
    """Scan RFC 5322 §3.2.4 quoted-string content; return its semantic value and the index after it."""
    parts: list[str] = []
    i = opening + 1
    while i < end:
        char = text[i]
        if char == '"':
            if not parts:
                # Verifalia InvalidEmptyQuotedWord: a quoted word must hold something.
                raise _Failure(Status.INVALID_EMPTY_QUOTED_WORD, opening)
            return "".join(parts), i + 1
        if char == "\\":
            if i + 1 >= end:
                raise _Failure(Status.UNMATCHED_QUOTED_PAIR, i)
            if not _QUOTABLE.match(text, i + 1, i + 2):
                # RFC 5321 §4.1.2 quoted-pairSMTP = %d92 %d32-126
                raise _Failure(Status.UNEXPECTED_QUOTED_PAIR_SEQUENCE, i)
            parts.append(_checked_run(text, i + 1, text[i + 1]))
            i += 2
        elif char == "\r" or char == "\n":
            # RFC 5322 §3.2.4: the CRLF of FWS inside a quoted string is semantically invisible.
            i = _skip_fold(text, i, end)
        else:
            match = _QTEXT_RUN.match(text, i, end)
            if match is None:
                _reject_character(text, i)
            parts.append(_checked_run(text, i, match.group()))
            i = match.end()
    # RFC 5322 §3.2.4: DQUOTE closes every quoted string.
    raise _Failure(Status.UNMATCHED_QUOTED_PAIR, opening)


def _scan_domain(text: str, i: int, end: int) -> _Domain:
    """Scan RFC 5322 §4.4 obs-domain to the end of the input and validate it as an RFC 5321 Domain."""
    domain_start = i
    labels: list[str] = []
    starts: list[int] = []
    last_dot = -1
    expect_word = True
    while i < end:
        char = text[i]
        if char == ".":
            if expect_word:
                if not labels:
                    # RFC 1035 §2.3.1: labels are not empty.
                    raise _Failure(Status.DOMAIN_PART_COMPLIANCY_FAILURE, i)
                raise _Failure(Status.DOUBLE_DOT_SEQUENCE, i)
            last_dot = i
            expect_word = True
            i = _skip_cfws(text, i + 1, end)
            continue
        match = _ATOM_RUN.match(text, i, end)
        if match is None:
            _reject_character(text, i)
        else:
            if not expect_word:
                # RFC 5322 §4.4: atoms of obs-domain are separated by dots.
                raise _Failure(Status.INVALID_WORD_BOUNDARY_START, i)
            labels.append(match.group())
            starts.append(i)
            expect_word = False
            i = _skip_cfws(text, match.end(), end)
    if expect_word:
        # RFC 5321 §4.1.2: a Domain has at least one sub-domain and no trailing dot.
        raise _Failure(Status.DOMAIN_PART_COMPLIANCY_FAILURE, last_dot if labels else end)
    domain = _validate_domain(tuple(labels))
    if isinstance(domain, _DomainError):
        index = domain_start if domain.label is None else starts[domain.label] + domain.offset
        raise _Failure(Status.DOMAIN_PART_COMPLIANCY_FAILURE, index)
    return domain


def _scan_domain_literal(text: str, opening: int, end: int) -> _Domain:
    """Scan an RFC 5322 §3.4.1 domain-literal and validate it as an RFC 5321 §4.1.3 address literal."""
    match = _DTEXT_RUN.match(text, opening + 1, end)
    assert match is not None
    closing = match.end()
    if closing >= end:
        raise _Failure(Status.DOMAIN_PART_COMPLIANCY_FAILURE, opening)
    if text[closing] != "]":
        if text[closing] in _WSP or text[closing] in "\r\n":
            # RFC 5321 §4.1.3: address literals hold no white space.
            raise _Failure(Status.DOMAIN_PART_COMPLIANCY_FAILURE, closing)
        _reject_character(text, closing)
    literal = _address_literal(match.group())
    if literal is None:
        raise _Failure(Status.DOMAIN_PART_COMPLIANCY_FAILURE, opening + 1)
    i = _skip_cfws(text, closing + 1, end)
    if i < end:
        _reject_character(text, i)
    return _Domain(unicode=literal, ascii=literal, is_international=False)


def _address_literal(content: str) -> str | None:
    """RFC 5321 §4.1.3: the normalized literal for IPv4 or "IPv6:" content; None for anything else."""
    try:
        if content[:5].lower() == "ipv6:":
            if "%" in content:
                return None
            return f"[IPv6:{ipaddress.IPv6Address(content[5:]).compressed}]"
        return f"[{ipaddress.IPv4Address(content)}]"
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def _validate_domain(labels: tuple[str, ...]) -> _Domain | _DomainError:
    """Validate lexical labels as an RFC 5321 §4.1.2 Domain (IDNA 2008 / UTS-46 when not ASCII)."""
    joined = ".".join(labels)
    if joined.isascii():
        plain = joined.lower()
        if len(plain) <= MAX_DOMAIN_OCTETS and "--" not in plain and _PLAIN_DOMAIN.fullmatch(plain):
            return _Domain(plain, plain, False)
        lowered = tuple(label.lower() for label in labels)
        unicode_labels: list[str] = []
        for position, label in enumerate(lowered):
            offset = _ldh_error(label)
            if offset is not None:
                return _DomainError(position, offset)
            if label.startswith("xn--"):
                u_label = _u_label(label)
                if u_label is None:
                    return _DomainError(position, 0)
                unicode_labels.append(u_label)
            else:
                unicode_labels.append(label)
        ascii_domain = ".".join(lowered)
        error = _domain_shape_error(lowered)
        if error is not None:
            return error
        is_international = any(label.startswith("xn--") for label in lowered)
        return _Domain(".".join(unicode_labels), ascii_domain, is_international)
    try:
        # RFC 5891 §4 via UTS-46 §4 processing (mapping, NFC, IDNA 2008 validity).
        ascii_domain = idna.encode(joined, uts46=True).decode("ascii")
        unicode_domain = idna.decode(ascii_domain)
    except ValueError:
        return _DomainError(_failing_idn_label(labels), 0)
    a_labels = tuple(ascii_domain.split("."))
    if any(_ldh_error(label) is not None for label in a_labels):
        return _DomainError(None, 0)
    error = _domain_shape_error(a_labels)
    if error is not None:
        return _DomainError(None, 0)
    return _Domain(unicode_domain, ascii_domain, any(label.startswith("xn--") for label in a_labels))


def _failing_idn_label(labels: tuple[str, ...]) -> int | None:
    for position, label in enumerate(labels):
        try:
            idna.encode(label, uts46=True)
        except ValueError:
            return position
    return None


def _ldh_error(label: str) -> int | None:
    """Offset of the first RFC 1035 §2.3.1 / RFC 5891 §4.2.3.1 violation in a lowercase ASCII label."""
    if len(label) > MAX_LABEL_OCTETS:
        # RFC 1035 §2.3.4
        return MAX_LABEL_OCTETS
    match = _NON_LDH.search(label)
    if match is not None:
        return match.start()
    if label.startswith("-"):
        return 0
    if label.endswith("-"):
        return len(label) - 1
    if label[2:4] == "--" and not label.startswith("xn--"):
        # RFC 5891 §4.2.3.1: "--" in positions 3-4 is reserved for A-labels.
        return 2
    return None


def _u_label(a_label: str) -> str | None:
    """RFC 5891 §5.3: the U-label of a valid A-label, or None."""
    try:
        u_label = idna.ulabel(a_label)
        if idna.alabel(u_label).decode("ascii") != a_label:
            return None
    except ValueError:
        return None
    return u_label


def _domain_shape_error(labels: tuple[str, ...]) -> _DomainError | None:
    if len(labels) < 2:
        # Single-label names are not Internet mail domains (RFC 5321 §2.3.5, RFC 7085).
        return _DomainError(None, 0)
    if labels[-1].isdigit():
        # RFC 3696 §2: a top-level label is never all-numeric.
        return _DomainError(len(labels) - 1, 0)
    if sum(len(label) for label in labels) + len(labels) - 1 > MAX_DOMAIN_OCTETS:
        # RFC 1035 §2.3.4
        return _DomainError(None, 0)
    return None


def _skip_cfws(text: str, i: int, end: int) -> int:
    """Skip RFC 5322 §3.2.2 CFWS (and §4.2 obs-FWS); return the index of the next other character."""
    while i < end:
        char = text[i]
        if char == " " or char == "\t":
            i += 1
        elif char == "\r" or char == "\n":
            i = _skip_fold(text, i, end)
        elif char == "(":
            i = _skip_comment(text, i, end)
        else:
            return i
    return i


def _skip_fold(text: str, i: int, end: int) -> int:
    """RFC 5322 §3.2.2 FWS: a CRLF must be followed by WSP; return the index of that WSP."""
    if text[i] == "\r" and text.startswith("\n", i + 1, end) and i + 2 < end and text[i + 2] in _WSP:
        return i + 2
    raise _Failure(Status.INVALID_FOLDING_WHITE_SPACE_SEQUENCE, i)


def _skip_comment(text: str, opening: int, end: int) -> int:
    """Skip an RFC 5322 §3.2.2 comment, nested ones included; return the index after its ")"."""
    depth = 0
    i = opening
    while i < end:
        char = text[i]
        if char == "(":
            depth += 1
            i += 1
        elif char == ")":
            depth -= 1
            i += 1
            if depth == 0:
                return i
        elif char == "\\":
            # RFC 5322 §3.2.1 quoted-pair; RFC 5321 §4.1.2 limits it to %d32-126.
            if i + 1 < end and not _QUOTABLE.match(text, i + 1, i + 2):
                raise _Failure(Status.UNEXPECTED_QUOTED_PAIR_SEQUENCE, i)
            i += 2
        elif char == "\r" or char == "\n":
            i = _skip_fold(text, i, end)
        else:
            match = _CTEXT_RUN.match(text, i, end)
            if match is None:
                _reject_character(text, i)
            else:
                i = match.end()
    # RFC 5322 §3.2.2: every "(" of a comment has its ")".
    raise _Failure(Status.UNBALANCED_COMMENT_PARENTHESIS, opening)


def _reject_character(text: str, i: int) -> NoReturn:
    """Raise the failure for a character that cannot stand at `i`."""
    char = text[i]
    if char == "\\":
        # RFC 5322 §3.2.1: quoted pairs appear only in quoted strings and comments.
        raise _Failure(Status.UNEXPECTED_QUOTED_PAIR_SEQUENCE, i)
    if char == ")":
        # RFC 5322 §3.2.2
        raise _Failure(Status.UNBALANCED_COMMENT_PARENTHESIS, i)
    # RFC 5322 §3.2.3 specials and RFC 5321 §4.1.2 / RFC 5198 §2 controls.
    raise _Failure(Status.INVALID_CHARACTER_IN_SEQUENCE, i)
