"""The wording of the mail transfer agents the farm imitates."""

from __future__ import annotations

from dataclasses import dataclass

from tests.mailfarm.replies import ReplyTemplate, template


@dataclass(frozen=True, slots=True)
class MtaStyle:
    """How one kind of MTA greets, advertises extensions and words its mailbox answers."""

    greeting: str
    ehlo_keywords: tuple[str, ...]
    enhanced_codes: bool
    sender_ok: ReplyTemplate
    recipient_ok: ReplyTemplate
    unknown_recipient: ReplyTemplate
    smtputf8_by_default: bool


# RFC 2920 PIPELINING, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 2034 ENHANCEDSTATUSCODES
_STANDARD_KEYWORDS = ("PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES")

POSTFIX = MtaStyle(
    greeting="{host} ESMTP Postfix",
    ehlo_keywords=_STANDARD_KEYWORDS,
    enhanced_codes=True,
    sender_ok=template(250, "2.1.0", "Ok"),
    recipient_ok=template(250, "2.1.5", "Ok"),
    unknown_recipient=template(
        550, "5.1.1", "<{address}>: Recipient address rejected: User unknown in virtual mailbox table"
    ),
    smtputf8_by_default=True,
)

EXIM = MtaStyle(
    greeting="{host} ESMTP Exim 4.97 Mon, 23 Nov 2026 00:00:00 +0000",
    ehlo_keywords=("SIZE 52428800", "8BITMIME", "PIPELINING", "HELP"),
    enhanced_codes=False,
    sender_ok=template(250, None, "OK"),
    recipient_ok=template(250, None, "Accepted"),
    unknown_recipient=template(550, None, "Unrouteable address"),
    smtputf8_by_default=False,
)

GMAIL = MtaStyle(
    greeting="{host} ESMTP a1si123456qkb.2 - gsmtp",
    ehlo_keywords=("SIZE 157286400", "8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING"),
    enhanced_codes=True,
    sender_ok=template(250, "2.1.0", "OK a1si123456qkb.2 - gsmtp"),
    recipient_ok=template(250, "2.1.5", "OK a1si123456qkb.2 - gsmtp"),
    unknown_recipient=template(
        550,
        "5.1.1",
        "The email account that you tried to reach does not exist. Please try",
        "double-checking the recipient's email address for typos or",
        "unnecessary spaces. For more information, go to",
        " https://support.google.com/mail/?p=NoSuchUser a1si123456qkb.2 - gsmtp",
    ),
    smtputf8_by_default=True,
)

MICROSOFT_365 = MtaStyle(
    greeting="{host} Microsoft ESMTP MAIL Service ready at Mon, 23 Nov 2026 00:00:00 +0000",
    ehlo_keywords=("SIZE 157286400", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "8BITMIME", "BINARYMIME"),
    enhanced_codes=True,
    sender_ok=template(250, "2.1.0", "Sender OK"),
    recipient_ok=template(250, "2.1.5", "Recipient OK"),
    unknown_recipient=template(
        550,
        "5.4.1",
        "Recipient address rejected: Access denied. AS(201806281) "
        "[AM0PR01MB1234.eurprd01.prod.exchangelabs.com 2026-11-23T00:00:00.000Z 08DCABCDEF012345]",
    ),
    smtputf8_by_default=True,
)

YAHOO = MtaStyle(
    greeting="{host} ESMTP ready",
    ehlo_keywords=("PIPELINING", "SIZE 41943040", "8BITMIME"),
    enhanced_codes=False,
    sender_ok=template(250, None, "sender <{address}> ok"),
    recipient_ok=template(250, None, "recipient <{address}> ok"),
    unknown_recipient=template(
        554,
        None,
        "delivery error: dd This user doesn't have a yahoo.com account ({address}) [0] - "
        "mta1005.mail.gq1.yahoo.com",
    ),
    smtputf8_by_default=False,
)
