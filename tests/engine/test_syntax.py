"""The address syntax table: every rule of verifalia_server.engine.syntax, with its status and index."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from verifalia_server.engine.statuses import Status
from verifalia_server.engine.syntax import (
    ParsedAddress,
    SyntaxFailure,
    dedup_key,
    is_special_use_domain,
    parse_address,
)


@dataclass(frozen=True)
class Valid:
    """An expected success: the normalized address and what it says about itself."""

    email_address: str
    ascii_domain: str | None = None
    idn: bool = False
    international_mailbox: bool = False
    literal: bool = False

    def parsed(self) -> ParsedAddress:
        local, _, domain = self.email_address.rpartition("@")
        return ParsedAddress(
            email_address=self.email_address,
            local_part=local,
            domain_part=domain,
            ascii_domain_part=domain if self.ascii_domain is None else self.ascii_domain,
            has_international_domain_name=self.idn,
            has_international_mailbox_name=self.international_mailbox,
            is_domain_literal=self.literal,
        )


def fail(status: Status, index: int) -> SyntaxFailure:
    return SyntaxFailure(status, index)


AT = Status.AT_SIGN_NOT_FOUND
LOCAL_LENGTH = Status.INVALID_LOCAL_PART_LENGTH
ADDRESS_LENGTH = Status.INVALID_ADDRESS_LENGTH
BOUNDARY = Status.INVALID_WORD_BOUNDARY_START
DOUBLE_DOT = Status.DOUBLE_DOT_SEQUENCE
EMPTY_QUOTED = Status.INVALID_EMPTY_QUOTED_WORD
UNMATCHED_PAIR = Status.UNMATCHED_QUOTED_PAIR
UNEXPECTED_PAIR = Status.UNEXPECTED_QUOTED_PAIR_SEQUENCE
PARENTHESIS = Status.UNBALANCED_COMMENT_PARENTHESIS
FWS = Status.INVALID_FOLDING_WHITE_SPACE_SEQUENCE
CHARACTER = Status.INVALID_CHARACTER_IN_SEQUENCE
DOMAIN = Status.DOMAIN_PART_COMPLIANCY_FAILURE

LOCAL_64 = "l" * 64
LABEL_63 = "b" * 63
# 63 + 1 + 63 + 1 + 57 + 1 + 3 = 189 octets: with a 64-octet local part and "@", exactly 254.
DOMAIN_189 = f"{LABEL_63}.{'c' * 63}.{'d' * 57}.org"
DOMAIN_190 = f"{LABEL_63}.{'c' * 63}.{'d' * 58}.org"
# 63 * 3 + 3 dots + 61 = 253 and 254 octets.
DOMAIN_253 = f"{LABEL_63}.{LABEL_63}.{LABEL_63}.{'e' * 57}.org"
DOMAIN_254 = f"{LABEL_63}.{LABEL_63}.{LABEL_63}.{'e' * 58}.org"
MEGABYTE = "a" * 1_000_000

CASES = [
    # RFC 5321 §4.1.2 Dot-string local parts and LDH domains.
    pytest.param("john@example.org", Valid("john@example.org"), id="5321-4.1.2-atom"),
    pytest.param("john.smith@example.org", Valid("john.smith@example.org"), id="5321-4.1.2-dot-string"),
    pytest.param("a@b.co", Valid("a@b.co"), id="5321-4.1.2-shortest"),
    pytest.param(
        "!#$%&'*+-/=?^_`{|}~@example.org", Valid("!#$%&'*+-/=?^_`{|}~@example.org"), id="5322-3.2.3-all-atext"
    ),
    pytest.param("user+tag@example.org", Valid("user+tag@example.org"), id="5322-3.2.3-plus"),
    pytest.param("1234@example.org", Valid("1234@example.org"), id="5322-3.2.3-digits"),
    pytest.param("a@sub.domain.example.org", Valid("a@sub.domain.example.org"), id="5321-4.1.2-subdomains"),
    pytest.param("a@x-y.example.org", Valid("a@x-y.example.org"), id="1035-2.3.1-inner-hyphen"),
    pytest.param("a@123.example.org", Valid("a@123.example.org"), id="1123-2.1-numeric-label"),
    pytest.param("a@example.c0m", Valid("a@example.c0m"), id="3696-2-alnum-tld"),
    pytest.param("a@x--y.example.org", Valid("a@x--y.example.org"), id="5891-4.2.3.1-hyphens-not-at-3-4"),
    # RFC 5321 §2.4: domains are case-insensitive (lowercased), local parts are kept as written.
    pytest.param("John.Smith@Example.ORG", Valid("John.Smith@example.org"), id="5321-2.4-case"),
    # Leading and trailing white space is trimmed before parsing.
    pytest.param("  john@example.org  ", Valid("john@example.org"), id="trim-spaces"),
    pytest.param("\tjohn@example.org\r\n", Valid("john@example.org"), id="trim-tab-crlf"),
    # RFC 5322 §3.2.4 quoted strings; RFC 5321 §4.1.2 keeps quoting only when needed.
    pytest.param('"john"@example.org', Valid("john@example.org"), id="5321-4.1.2-needless-quotes"),
    pytest.param(
        '"john.smith"@example.org', Valid("john.smith@example.org"), id="5321-4.1.2-quoted-dot-string"
    ),
    pytest.param('"john smith"@example.org', Valid('"john smith"@example.org'), id="5321-4.1.2-quoted-space"),
    pytest.param(
        '"john..smith"@example.org', Valid('"john..smith"@example.org'), id="5321-4.1.2-quoted-dots"
    ),
    pytest.param('".john"@example.org', Valid('".john"@example.org'), id="5321-4.1.2-quoted-leading-dot"),
    pytest.param('"john."@example.org', Valid('"john."@example.org'), id="5321-4.1.2-quoted-trailing-dot"),
    pytest.param('"a@b"@example.org', Valid('"a@b"@example.org'), id="5321-4.1.2-quoted-at"),
    pytest.param('"a\\"b"@example.org', Valid('"a\\"b"@example.org'), id="5321-4.1.2-escaped-quote"),
    pytest.param('"a\\\\b"@example.org', Valid('"a\\\\b"@example.org'), id="5321-4.1.2-escaped-backslash"),
    pytest.param('"\\j\\o\\h\\n"@example.org', Valid("john@example.org"), id="5322-3.2.1-needless-pairs"),
    pytest.param('"a\\ b"@example.org', Valid('"a b"@example.org'), id="5322-3.2.1-quoted-space"),
    pytest.param('" "@example.org', Valid('" "@example.org'), id="5321-4.1.2-quoted-single-space"),
    pytest.param('"(x)"@example.org', Valid('"(x)"@example.org'), id="5321-4.1.2-quoted-parentheses"),
    pytest.param('"a,b:c"@example.org', Valid('"a,b:c"@example.org'), id="5321-4.1.2-quoted-specials"),
    pytest.param('"a"."b"@example.org', Valid("a.b@example.org"), id="5322-4.4-obs-quoted-words"),
    pytest.param('"a b".c@example.org', Valid('"a b.c"@example.org'), id="5322-4.4-obs-mixed-words"),
    pytest.param('a."b c"@example.org', Valid('"a.b c"@example.org'), id="5322-4.4-obs-atom-then-quoted"),
    pytest.param('"a\r\n b"@example.org', Valid('"a b"@example.org'), id="5322-3.2.4-fold-in-quotes"),
    pytest.param(
        '"josé smith"@example.org',
        Valid('"josé smith"@example.org', international_mailbox=True),
        id="6532-3.2-quoted-utf8",
    ),
    # RFC 5322 §3.2.2 comments (nested, escaped) and FWS in every position; §4.4 obsolete positions.
    pytest.param(
        "(comment)john@example.org", Valid("john@example.org"), id="5322-3.2.2-comment-before-local"
    ),
    pytest.param("john(comment)@example.org", Valid("john@example.org"), id="5322-3.2.2-comment-before-at"),
    pytest.param("john@(comment)example.org", Valid("john@example.org"), id="5322-3.2.2-comment-after-at"),
    pytest.param("john@example.org(comment)", Valid("john@example.org"), id="5322-3.2.2-comment-at-end"),
    pytest.param(
        "(a)john(b)@(c)example.org(d)", Valid("john@example.org"), id="5322-3.2.2-comments-everywhere"
    ),
    pytest.param("()john@example.org", Valid("john@example.org"), id="5322-3.2.2-empty-comment"),
    pytest.param("john((nested)comment)@example.org", Valid("john@example.org"), id="5322-3.2.2-nested"),
    pytest.param("john(((deep)))@example.org", Valid("john@example.org"), id="5322-3.2.2-deeply-nested"),
    pytest.param("john(a\\)b)@example.org", Valid("john@example.org"), id="5322-3.2.1-pair-in-comment"),
    pytest.param("john(a@b.c)@example.org", Valid("john@example.org"), id="5322-3.2.2-at-in-comment"),
    pytest.param("john (comment) @ example.org", Valid("john@example.org"), id="5322-3.2.2-wsp-around-at"),
    pytest.param(
        "john.(c)smith@example.org", Valid("john.smith@example.org"), id="5322-4.4-comment-after-dot"
    ),
    pytest.param("john . smith@example.org", Valid("john.smith@example.org"), id="5322-4.4-wsp-around-dot"),
    pytest.param("john@example(c).org", Valid("john@example.org"), id="5322-4.4-comment-in-domain"),
    pytest.param("john@example . org", Valid("john@example.org"), id="5322-4.4-wsp-in-domain"),
    pytest.param("john\r\n @example.org", Valid("john@example.org"), id="5322-3.2.2-fws-before-at"),
    pytest.param("john@\r\n\texample.org", Valid("john@example.org"), id="5322-3.2.2-fws-after-at"),
    pytest.param("john \r\n \r\n @example.org", Valid("john@example.org"), id="5322-4.2-obs-fws-repeated"),
    pytest.param("(a\r\n b)john@example.org", Valid("john@example.org"), id="5322-3.2.2-fws-in-comment"),
    pytest.param("john(été)@example.org", Valid("john@example.org"), id="6532-3.2-utf8-comment"),
    # RFC 6531/6532 UTF-8 local parts; IDNA 2008 / UTS-46 domains (RFC 5891, UTS #46 §4).
    pytest.param(
        "用户@例子.广告",
        Valid("用户@例子.广告", "xn--fsqu00a.xn--4rr70v", idn=True, international_mailbox=True),
        id="6531-3.3-cjk",
    ),
    pytest.param(
        "josé@bücher.de",
        Valid("josé@bücher.de", "xn--bcher-kva.de", idn=True, international_mailbox=True),
        id="6531-3.3-latin",
    ),
    pytest.param(
        "a@XN--BCHER-KVA.de", Valid("a@bücher.de", "xn--bcher-kva.de", idn=True), id="5891-5.3-upper-a-label"
    ),
    pytest.param(
        "a@Xn--Bcher-Kva.De", Valid("a@bücher.de", "xn--bcher-kva.de", idn=True), id="5891-5.3-mixed-a-label"
    ),
    pytest.param("a@BÜCHER.DE", Valid("a@bücher.de", "xn--bcher-kva.de", idn=True), id="uts46-4-case-fold"),
    pytest.param(
        "a@例子。广告",
        Valid("a@例子.广告", "xn--fsqu00a.xn--4rr70v", idn=True),
        id="uts46-4-ideographic-stop",
    ),
    pytest.param(
        "a@xn--fsqu00a.xn--4rr70v",
        Valid("a@例子.广告", "xn--fsqu00a.xn--4rr70v", idn=True),
        id="5891-5.3-a-labels",
    ),
    pytest.param("a@ＥＸＡＭＰＬＥ.org", Valid("a@example.org"), id="uts46-4-fullwidth-maps-to-ascii"),
    pytest.param(
        "a@straße.de",
        Valid("a@straße.de", "xn--strae-oqa.de", idn=True),
        id="uts46-4-nontransitional-sharp-s",
    ),
    pytest.param(
        "δοκιμή@παράδειγμα.δοκιμή",
        Valid(
            "δοκιμή@παράδειγμα.δοκιμή",
            "xn--hxajbheg2az3al.xn--jxalpdlp",
            idn=True,
            international_mailbox=True,
        ),
        id="6531-3.3-greek",
    ),
    pytest.param(
        "иван@пример.рф",
        Valid("иван@пример.рф", "xn--e1afmkfd.xn--p1ai", idn=True, international_mailbox=True),
        id="6531-3.3-cyrillic",
    ),
    pytest.param(
        "δοκιμή@example.org",
        Valid("δοκιμή@example.org", international_mailbox=True),
        id="6532-3.2-utf8-local",
    ),
    pytest.param(
        "ñ@mañana.com",
        Valid("ñ@mañana.com", "xn--maana-pta.com", idn=True, international_mailbox=True),
        id="6531-3.3-tilde",
    ),
    pytest.param(
        "a@ex-ample.xn--p1ai",
        Valid("a@ex-ample.рф", "ex-ample.xn--p1ai", idn=True),
        id="5891-5.3-a-label-tld",
    ),
    # RFC 5321 §4.1.3 address literals, validated and normalized.
    pytest.param("a@[192.0.2.1]", Valid("a@[192.0.2.1]", literal=True), id="5321-4.1.3-ipv4"),
    pytest.param("a@[IPv6:2001:db8::1]", Valid("a@[IPv6:2001:db8::1]", literal=True), id="5321-4.1.3-ipv6"),
    pytest.param(
        "a@[IPv6:2001:DB8:0:0:0:0:0:1]",
        Valid("a@[IPv6:2001:db8::1]", literal=True),
        id="5321-4.1.3-ipv6-full",
    ),
    pytest.param("a@[ipv6:::1]", Valid("a@[IPv6:::1]", literal=True), id="5321-4.1.3-ipv6-tag-case"),
    pytest.param(
        "(c)a@(c)[192.0.2.1](c)", Valid("a@[192.0.2.1]", literal=True), id="5322-3.4.1-literal-cfws"
    ),
    pytest.param("a@ [192.0.2.1] ", Valid("a@[192.0.2.1]", literal=True), id="5322-3.4.1-literal-wsp"),
    # Length boundaries: RFC 5321 §4.5.3.1.1 (64), RFC 1035 §2.3.4 (63), RFC 3696 errata 1690 (254).
    pytest.param(f"{LOCAL_64}@example.org", Valid(f"{LOCAL_64}@example.org"), id="5321-4.5.3.1.1-local-64"),
    pytest.param(f"a@{LABEL_63}.org", Valid(f"a@{LABEL_63}.org"), id="1035-2.3.4-label-63"),
    pytest.param(f"{LOCAL_64}@{DOMAIN_189}", Valid(f"{LOCAL_64}@{DOMAIN_189}"), id="3696-errata-address-254"),
    pytest.param(
        f'"{"q" * 61} "@example.org', Valid(f'"{"q" * 61} "@example.org'), id="5321-4.5.3.1.1-quoted-local-64"
    ),
    pytest.param(
        f"{'é' * 32}@example.org",
        Valid(f"{'é' * 32}@example.org", international_mailbox=True),
        id="5321-4.5.3.1.1-utf8-local-64-octets",
    ),
    pytest.param(
        f"(c){LOCAL_64}(c)@(c){DOMAIN_189}(c)",
        Valid(f"{LOCAL_64}@{DOMAIN_189}"),
        id="3696-errata-comments-do-not-count",
    ),
    # AtSignNotFound: no "@" after the local part (index: end of the trimmed input).
    pytest.param("", fail(AT, 0), id="at-empty"),
    pytest.param("   ", fail(AT, 3), id="at-blank"),
    pytest.param("john", fail(AT, 4), id="at-missing"),
    pytest.param("john.example.org", fail(AT, 16), id="at-missing-dotted"),
    pytest.param(" john ", fail(AT, 5), id="at-missing-trimmed"),
    pytest.param('"john@example.org"', fail(AT, 18), id="at-inside-quotes-only"),
    pytest.param("john(@example.org)", fail(AT, 18), id="at-inside-comment-only"),
    pytest.param("(comment)", fail(AT, 9), id="at-comment-only"),
    # InvalidLocalPartLength: RFC 5321 §4.5.3.1.1 (index: the "@").
    pytest.param("@example.org", fail(LOCAL_LENGTH, 0), id="5321-4.1.2-empty-local"),
    pytest.param(" @example.org", fail(LOCAL_LENGTH, 1), id="5321-4.1.2-empty-local-trimmed"),
    pytest.param("(c)@example.org", fail(LOCAL_LENGTH, 3), id="5321-4.1.2-comment-only-local"),
    pytest.param(f"{LOCAL_64}l@example.org", fail(LOCAL_LENGTH, 65), id="5321-4.5.3.1.1-local-65"),
    pytest.param(
        f"{'é' * 32}a@example.org", fail(LOCAL_LENGTH, 33), id="5321-4.5.3.1.1-utf8-local-65-octets"
    ),
    pytest.param(f'"{"q" * 62} "@example.org', fail(LOCAL_LENGTH, 65), id="5321-4.5.3.1.1-quoted-local-65"),
    # InvalidAddressLength: RFC 3696 errata 1690 / RFC 5321 §4.5.3.1.3 (index: end of the trimmed input).
    pytest.param(f"{LOCAL_64}@{DOMAIN_190}", fail(ADDRESS_LENGTH, 255), id="3696-errata-address-255"),
    pytest.param(f"a@{DOMAIN_253}", fail(ADDRESS_LENGTH, 255), id="3696-errata-domain-253-address-255"),
    pytest.param(f"a@{'b' * 9000}.org", fail(ADDRESS_LENGTH, 9006), id="input-over-8192-characters"),
    pytest.param(MEGABYTE, fail(ADDRESS_LENGTH, 1_000_000), id="input-one-megabyte"),
    pytest.param(f"  {MEGABYTE}@x.org ", fail(ADDRESS_LENGTH, 1_000_008), id="input-one-megabyte-trimmed"),
    # InvalidWordBoundaryStart: RFC 5322 §3.2.3 dot placement, §4.4 words separated by dots.
    pytest.param(".john@example.org", fail(BOUNDARY, 0), id="5322-3.2.3-leading-dot"),
    pytest.param(" .john@example.org", fail(BOUNDARY, 1), id="5322-3.2.3-leading-dot-trimmed"),
    pytest.param("(c).john@example.org", fail(BOUNDARY, 3), id="5322-3.2.3-leading-dot-after-comment"),
    pytest.param("john.@example.org", fail(BOUNDARY, 4), id="5322-3.2.3-trailing-dot"),
    pytest.param("john. @example.org", fail(BOUNDARY, 4), id="5322-3.2.3-trailing-dot-wsp"),
    pytest.param("john smith@example.org", fail(BOUNDARY, 5), id="5322-4.4-atoms-without-dot"),
    pytest.param('"john"smith@example.org', fail(BOUNDARY, 6), id="5322-4.4-quoted-then-atom"),
    pytest.param('john"smith"@example.org', fail(BOUNDARY, 4), id="5322-4.4-atom-then-quoted"),
    pytest.param('"a" "b"@example.org', fail(BOUNDARY, 4), id="5322-4.4-quoted-words-without-dot"),
    pytest.param("a@example org", fail(BOUNDARY, 10), id="5322-4.4-domain-atoms-without-dot"),
    pytest.param("a@example.org x", fail(BOUNDARY, 14), id="5322-3.4.1-trailing-word"),
    # DoubleDotSequence: RFC 5322 §3.2.3 (index: the second dot).
    pytest.param("john..smith@example.org", fail(DOUBLE_DOT, 5), id="5322-3.2.3-double-dot"),
    pytest.param("a...b@example.org", fail(DOUBLE_DOT, 2), id="5322-3.2.3-triple-dot"),
    pytest.param("john. .smith@example.org", fail(DOUBLE_DOT, 6), id="5322-4.4-double-dot-wsp"),
    pytest.param("john.(c).smith@example.org", fail(DOUBLE_DOT, 8), id="5322-4.4-double-dot-comment"),
    pytest.param("a@example..org", fail(DOUBLE_DOT, 10), id="1035-2.3.1-domain-double-dot"),
    pytest.param("a@example. .org", fail(DOUBLE_DOT, 11), id="1035-2.3.1-domain-double-dot-wsp"),
    # InvalidEmptyQuotedWord: an empty RFC 5322 §3.2.4 quoted string (index: its opening quote).
    pytest.param('""@example.org', fail(EMPTY_QUOTED, 0), id="5322-3.2.4-empty-quoted"),
    pytest.param(' ""@example.org', fail(EMPTY_QUOTED, 1), id="5322-3.2.4-empty-quoted-trimmed"),
    pytest.param('a.""@example.org', fail(EMPTY_QUOTED, 2), id="5322-4.4-empty-quoted-word-last"),
    pytest.param('"".a@example.org', fail(EMPTY_QUOTED, 0), id="5322-4.4-empty-quoted-word-first"),
    # UnmatchedQuotedPair: a quoted string never closed (its opening quote) or a dangling backslash.
    pytest.param('"john@example.org', fail(UNMATCHED_PAIR, 0), id="5322-3.2.4-unclosed-quote"),
    pytest.param('"john\\"@example.org', fail(UNMATCHED_PAIR, 0), id="5322-3.2.1-escaped-closing-quote"),
    pytest.param('"john\\', fail(UNMATCHED_PAIR, 5), id="5322-3.2.1-dangling-backslash"),
    pytest.param('a."b@example.org', fail(UNMATCHED_PAIR, 2), id="5322-3.2.4-unclosed-second-word"),
    pytest.param('"', fail(UNMATCHED_PAIR, 0), id="5322-3.2.4-lone-quote"),
    # UnexpectedQuotedPairSequence: RFC 5322 §3.2.1 pairs outside quotes; RFC 5321 §4.1.2 pair range.
    pytest.param("john\\@example.org", fail(UNEXPECTED_PAIR, 4), id="5322-3.2.1-pair-in-atom"),
    pytest.param("\\john@example.org", fail(UNEXPECTED_PAIR, 0), id="5322-3.2.1-pair-at-start"),
    pytest.param("a@exa\\mple.org", fail(UNEXPECTED_PAIR, 5), id="5322-3.2.1-pair-in-domain"),
    pytest.param('"a\\\x01"@example.org', fail(UNEXPECTED_PAIR, 2), id="5321-4.1.2-pair-control"),
    pytest.param('"a\\\tb"@example.org', fail(UNEXPECTED_PAIR, 2), id="5321-4.1.2-pair-tab"),
    pytest.param('"a\\\x7f"@example.org', fail(UNEXPECTED_PAIR, 2), id="5321-4.1.2-pair-delete"),
    pytest.param("(a\\\x00)john@example.org", fail(UNEXPECTED_PAIR, 2), id="5321-4.1.2-pair-nul-in-comment"),
    pytest.param("a@[192.0.2.1\\]", fail(UNEXPECTED_PAIR, 12), id="5321-4.1.3-pair-in-literal"),
    # UnbalancedCommentParenthesis: RFC 5322 §3.2.2 (index: the stray ")" or the outermost unclosed "(").
    pytest.param("(john@example.org", fail(PARENTHESIS, 0), id="5322-3.2.2-unclosed-at-start"),
    pytest.param("john)@example.org", fail(PARENTHESIS, 4), id="5322-3.2.2-stray-close-local"),
    pytest.param(")john@example.org", fail(PARENTHESIS, 0), id="5322-3.2.2-stray-close-first"),
    pytest.param("john@example.org)", fail(PARENTHESIS, 16), id="5322-3.2.2-stray-close-end"),
    pytest.param("john@(example.org", fail(PARENTHESIS, 5), id="5322-3.2.2-unclosed-domain"),
    pytest.param("((c)john@example.org", fail(PARENTHESIS, 0), id="5322-3.2.2-unclosed-outer"),
    pytest.param("john@example.org(c", fail(PARENTHESIS, 16), id="5322-3.2.2-unclosed-at-end"),
    pytest.param("(a\\)john@example.org", fail(PARENTHESIS, 0), id="5322-3.2.1-escaped-close"),
    pytest.param("john(a\\", fail(PARENTHESIS, 4), id="5322-3.2.2-dangling-backslash-in-comment"),
    # InvalidFoldingWhiteSpaceSequence: RFC 5322 §3.2.2 FWS, CRLF followed by WSP (index: the CR or LF).
    pytest.param("john\r\n@example.org", fail(FWS, 4), id="5322-3.2.2-crlf-without-wsp"),
    pytest.param("john\r@example.org", fail(FWS, 4), id="5322-3.2.2-bare-cr"),
    pytest.param("john\n@example.org", fail(FWS, 4), id="5322-3.2.2-bare-lf"),
    pytest.param("john@\nexample.org", fail(FWS, 5), id="5322-3.2.2-bare-lf-domain"),
    pytest.param('"jo\r\nhn"@example.org', fail(FWS, 3), id="5322-3.2.4-crlf-in-quotes-without-wsp"),
    pytest.param('"jo\nhn"@example.org', fail(FWS, 3), id="5322-3.2.4-bare-lf-in-quotes"),
    pytest.param("(c\r)john@example.org", fail(FWS, 2), id="5322-3.2.2-bare-cr-in-comment"),
    pytest.param("john@example.org (c\n)", fail(FWS, 19), id="5322-3.2.2-bare-lf-in-trailing-comment"),
    pytest.param("john \r\n\r\n @example.org", fail(FWS, 5), id="5322-3.2.2-crlf-crlf"),
    # InvalidCharacterInSequence: RFC 5322 §3.2.3 specials, RFC 5321 §4.1.2 / RFC 5198 §2 controls.
    pytest.param("john,smith@example.org", fail(CHARACTER, 4), id="5322-3.2.3-comma"),
    pytest.param("john;@example.org", fail(CHARACTER, 4), id="5322-3.2.3-semicolon"),
    pytest.param("jo:hn@example.org", fail(CHARACTER, 2), id="5322-3.2.3-colon"),
    pytest.param("jo<hn@example.org", fail(CHARACTER, 2), id="5322-3.2.3-angle"),
    pytest.param("<john@example.org>", fail(CHARACTER, 0), id="5322-3.2.3-angle-addr"),
    pytest.param("john[@example.org", fail(CHARACTER, 4), id="5322-3.2.3-bracket-in-local"),
    pytest.param("john@exa,mple.org", fail(CHARACTER, 8), id="5322-3.2.3-comma-in-domain"),
    pytest.param("john@@example.org", fail(CHARACTER, 5), id="5322-3.4.1-double-at"),
    pytest.param("john@example@org", fail(CHARACTER, 12), id="5322-3.4.1-second-at"),
    pytest.param("john@example.org>", fail(CHARACTER, 16), id="5322-3.4.1-trailing-special"),
    pytest.param('john@ex"ample.org', fail(CHARACTER, 7), id="5322-3.4.1-quote-in-domain"),
    pytest.param("john@example.org[192.0.2.1]", fail(CHARACTER, 16), id="5322-3.4.1-literal-after-labels"),
    pytest.param("john@[192.0.2.1]x", fail(CHARACTER, 16), id="5322-3.4.1-word-after-literal"),
    pytest.param("jo\x00hn@example.org", fail(CHARACTER, 2), id="5321-4.1.2-nul"),
    pytest.param("jo\x7fhn@example.org", fail(CHARACTER, 2), id="5321-4.1.2-delete"),
    pytest.param("jo\x85hn@example.org", fail(CHARACTER, 2), id="5198-2-c1-control"),
    pytest.param("jo\ud800hn@example.org", fail(CHARACTER, 2), id="3629-3-lone-surrogate"),
    pytest.param('"jo\thn"@example.org', fail(CHARACTER, 3), id="5321-4.1.2-tab-in-quotes"),
    pytest.param('"jo\x01hn"@example.org', fail(CHARACTER, 3), id="5321-4.1.2-control-in-quotes"),
    pytest.param("(a\x01)john@example.org", fail(CHARACTER, 2), id="5322-3.2.2-control-in-comment"),
    pytest.param("john\u00a0@example.org", fail(CHARACTER, 4), id="6530-10.1-no-break-space"),
    pytest.param('"jo\u3000hn"@example.org', fail(CHARACTER, 3), id="6530-10.1-ideographic-space-in-quotes"),
    pytest.param("jo\u200bhn@example.org", fail(CHARACTER, 2), id="6530-10.1-zero-width-space"),
    pytest.param('"a\\\u200e"@example.org', fail(CHARACTER, 3), id="6530-10.1-quoted-bidi-mark"),
    pytest.param("jo\ue000@example.org", fail(CHARACTER, 2), id="6530-10.1-private-use"),
    pytest.param("jo\u0378@example.org", fail(CHARACTER, 2), id="6530-10.1-unassigned"),
    pytest.param("john@[192.0.2.1é]", fail(CHARACTER, 15), id="5322-3.4.1-utf8-in-literal"),
    # DomainPartCompliancyFailure: RFC 1035 §2.3.1/§2.3.4, RFC 5321 §4.1.2-§4.1.3, RFC 5891, RFC 3696 §2.
    pytest.param("john@", fail(DOMAIN, 5), id="5321-4.1.2-no-domain"),
    pytest.param("john@ ", fail(DOMAIN, 5), id="5321-4.1.2-no-domain-trimmed"),
    pytest.param("john@(c)", fail(DOMAIN, 8), id="5321-4.1.2-comment-only-domain"),
    pytest.param("john@localhost", fail(DOMAIN, 5), id="5321-2.3.5-single-label"),
    pytest.param("john@com", fail(DOMAIN, 5), id="5321-2.3.5-tld-only"),
    pytest.param("john@例子", fail(DOMAIN, 5), id="5321-2.3.5-single-idn-label"),
    pytest.param("john@.example.org", fail(DOMAIN, 5), id="1035-2.3.1-leading-dot"),
    pytest.param("john@example.org.", fail(DOMAIN, 16), id="5321-4.1.2-trailing-dot"),
    pytest.param("john@-example.org", fail(DOMAIN, 5), id="1035-2.3.1-leading-hyphen"),
    pytest.param("john@example-.org", fail(DOMAIN, 12), id="1035-2.3.1-trailing-hyphen"),
    pytest.param("john@exa_mple.org", fail(DOMAIN, 8), id="1035-2.3.1-underscore"),
    pytest.param("john@exa!mple.org", fail(DOMAIN, 8), id="1035-2.3.1-atext-not-ldh"),
    pytest.param("john@example.o-", fail(DOMAIN, 14), id="1035-2.3.1-tld-trailing-hyphen"),
    pytest.param("john@ab--cd.org", fail(DOMAIN, 7), id="5891-4.2.3.1-reserved-hyphens"),
    pytest.param("john@xn--abc.org", fail(DOMAIN, 5), id="5891-5.3-bad-punycode"),
    pytest.param("john@Xn--abc.org", fail(DOMAIN, 5), id="5891-5.3-bad-punycode-mixed-case"),
    pytest.param("john@xn--ls8h.org", fail(DOMAIN, 5), id="5892-2-emoji-a-label"),
    pytest.param("john@💩.la", fail(DOMAIN, 5), id="5892-2-emoji-u-label"),
    pytest.param("john@www.-bücher.de", fail(DOMAIN, 9), id="5891-4.2.3.1-idn-leading-hyphen"),
    pytest.param("john@example.123", fail(DOMAIN, 13), id="3696-2-numeric-tld"),
    pytest.param("john@192.0.2.1", fail(DOMAIN, 13), id="3696-2-bare-ipv4"),
    pytest.param(f"a@{LABEL_63}b.org", fail(DOMAIN, 65), id="1035-2.3.4-label-64"),
    pytest.param(f"a@{DOMAIN_254}", fail(DOMAIN, 2), id="1035-2.3.4-domain-254"),
    pytest.param(f"a@{'ü' * 60}.de", fail(DOMAIN, 2), id="5890-2.3.2.1-a-label-over-63"),
    pytest.param("john@[192.0.2.1", fail(DOMAIN, 5), id="5322-3.4.1-unclosed-literal"),
    pytest.param("john@[300.0.2.1]", fail(DOMAIN, 6), id="5321-4.1.3-ipv4-out-of-range"),
    pytest.param("john@[192.0.2.01]", fail(DOMAIN, 6), id="5321-4.1.3-ipv4-leading-zero"),
    pytest.param("john@[192.0.2]", fail(DOMAIN, 6), id="5321-4.1.3-ipv4-three-parts"),
    pytest.param("john@[IPv6:2001:db8::1::2]", fail(DOMAIN, 6), id="5321-4.1.3-ipv6-double-compression"),
    pytest.param("john@[IPv6:fe80::1%eth0]", fail(DOMAIN, 6), id="5321-4.1.3-ipv6-zone"),
    pytest.param("john@[2001:db8::1]", fail(DOMAIN, 6), id="5321-4.1.3-ipv6-without-tag"),
    pytest.param("john@[x-tag:content]", fail(DOMAIN, 6), id="5321-4.1.3-general-literal"),
    pytest.param("john@[]", fail(DOMAIN, 6), id="5321-4.1.3-empty-literal"),
    pytest.param("john@[ 192.0.2.1]", fail(DOMAIN, 6), id="5321-4.1.3-wsp-in-literal"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_address(text: str, expected: Valid | SyntaxFailure) -> None:
    result = parse_address(text)
    if isinstance(expected, Valid):
        assert result == expected.parsed()
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("ascii_domain", "special"),
    [
        pytest.param("mail.test", True, id="6761-6.2-test"),
        pytest.param("localhost.localhost", True, id="6761-6.3-localhost"),
        pytest.param("nowhere.invalid", True, id="6761-6.4-invalid"),
        pytest.param("example.com", True, id="2606-3-example-com"),
        pytest.param("mail.example.net", True, id="2606-3-example-net"),
        pytest.param("example.org", True, id="2606-3-example-org"),
        pytest.param("shop.example", True, id="2606-2-example-tld"),
        pytest.param("printer.local", True, id="6762-3-local"),
        pytest.param(
            "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", True, id="7686-2-onion"
        ),
        pytest.param("router.home.arpa", True, id="8375-3-home-arpa"),
        pytest.param("service.alt", True, id="9476-2-alt"),
        pytest.param("db.internal", True, id="icann-internal"),
        pytest.param("MAIL.TEST", True, id="case-insensitive"),
        pytest.param("example.com.", True, id="root-dot"),
        pytest.param("gmail.com", False, id="public-com"),
        pytest.param("example.co.uk", False, id="example-elsewhere"),
        pytest.param("testing.org", False, id="label-suffix-only"),
        pytest.param("arpa.net", False, id="arpa-not-tld"),
        pytest.param("xn--bcher-kva.de", False, id="idn-public"),
    ],
)
def test_is_special_use_domain(ascii_domain: str, special: bool) -> None:
    assert is_special_use_domain(ascii_domain) is special


@pytest.mark.parametrize(
    ("first", "second", "same_safe", "same_relaxed"),
    [
        pytest.param("john@example.org", "john@EXAMPLE.ORG", True, True, id="5321-2.4-domain-case"),
        pytest.param("John@example.org", "john@example.org", False, True, id="5321-2.4-local-case"),
        pytest.param('"john"@example.org', "john@example.org", True, True, id="5321-4.1.2-needless-quotes"),
        pytest.param("(c) john @ example.org", "john@example.org", True, True, id="5322-3.2.2-comments"),
        pytest.param("a@bücher.de", "a@xn--bcher-kva.de", True, True, id="5891-idn-forms"),
        pytest.param("JOSÉ@bücher.de", "josé@BÜCHER.de", False, True, id="6531-utf8-local-case"),
        pytest.param('"j d"@example.org', '"J D"@example.org', False, True, id="5321-quoted-case"),
        pytest.param("john.smith@example.org", "johnsmith@example.org", False, False, id="dots-matter"),
        pytest.param("john+a@example.org", "john@example.org", False, False, id="tags-matter"),
        pytest.param("a@[IPv6:2001:DB8::1]", "a@[IPv6:2001:db8:0::1]", True, True, id="5321-4.1.3-literal"),
    ],
)
def test_dedup_key(first: str, second: str, same_safe: bool, same_relaxed: bool) -> None:
    left, right = parse_address(first), parse_address(second)
    assert isinstance(left, ParsedAddress)
    assert isinstance(right, ParsedAddress)
    assert (dedup_key(left, relaxed=False) == dedup_key(right, relaxed=False)) is same_safe
    assert (dedup_key(left, relaxed=True) == dedup_key(right, relaxed=True)) is same_relaxed


def test_dedup_key_values() -> None:
    parsed = parse_address(' "John" (c) @ Bücher.DE ')
    assert isinstance(parsed, ParsedAddress)
    assert dedup_key(parsed, relaxed=False) == "John@xn--bcher-kva.de"
    assert dedup_key(parsed, relaxed=True) == "john@xn--bcher-kva.de"
