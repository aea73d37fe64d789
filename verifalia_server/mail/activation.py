"""The plain-text e-mail carrying a contact method's activation code."""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from verifalia_server.mail.relay import SmtpRelay


class ActivationMail:
    """Sends activation codes through a relay, from the relay's configured sender."""

    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def send_code(self, address: str, display_name: str, code: str, expires_on: dt.datetime) -> None:
        """Mail `code` to `address`; `MailUnavailable` when the relay does not take it."""
        local, _at, domain = address.rpartition("@")
        message = EmailMessage()
        # RFC 5322 §3.6: Date and From are required; Message-ID should be present.
        message["From"] = self.relay.config.sender
        message["To"] = Address(display_name, local, domain)
        message["Subject"] = "Your Verifalia contact method activation code"
        message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        message["Message-ID"] = make_msgid(domain=self.relay.config.sender.rpartition("@")[2] or None)
        message.set_content(
            f"Your activation code is: {code}\n\n"
            f"Enter it to activate the contact method '{display_name}' ({address}).\n"
            f"It expires on {expires_on.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC.\n"
            "If you did not ask for it, ignore this message.\n"
        )
        await self.relay.send(message)
