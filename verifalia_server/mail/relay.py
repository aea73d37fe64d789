"""Sending one message through the configured SMTP relay, with the stdlib client in a worker thread.

The relay does the delivery; this only hands the message over (RFC 5321 §3.3: MAIL, RCPT, DATA). A relay
that cannot be reached or refuses the message is `MailUnavailable`; one that refuses the recipient for good
(RFC 5321 §4.2.1: a 5yz reply to RCPT) is `InvalidInput`.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from verifalia_server.mail.config import RelayConfig
from verifalia_server.service.errors import InvalidInput, MailUnavailable

_RELAY_FAILED = "The mail relay did not take the activation e-mail; nothing was stored, retry later."


class SmtpRelay:
    """The relay at `host` (its port, sender and timeout from `config`)."""

    def __init__(self, host: str, config: RelayConfig) -> None:
        self.host = host
        self.config = config

    async def send(self, message: EmailMessage) -> None:
        """Hand `message` (its `To` the only recipient) to the relay."""
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        try:
            # RFC 5321 §4.1.1.1: EHLO names the client; the sender's domain does, without the DNS lookup
            # of the host's own name that smtplib's default makes.
            helo = self.config.sender.rpartition("@")[2] or "localhost"
            with smtplib.SMTP(
                self.host, self.config.port, local_hostname=helo, timeout=self.config.timeout
            ) as client:
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = [code for code, _text in refused.recipients.values()]
            # RFC 5321 §4.2.1: 5yz is a permanent refusal; 4yz may succeed later.
            if codes and all(500 <= code < 600 for code in codes):
                raise InvalidInput(f"The mail relay refused the address {message['To']}.") from None
            raise MailUnavailable(_RELAY_FAILED) from None
        except (OSError, smtplib.SMTPException):
            raise MailUnavailable(_RELAY_FAILED) from None


def configured_relay(config: RelayConfig) -> SmtpRelay | None:
    """The configured relay, None when there is none."""
    return None if config.host is None else SmtpRelay(config.host, config)
