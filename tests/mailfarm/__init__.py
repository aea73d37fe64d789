"""A test mail farm: authoritative DNS for `mailfarm.net` and SMTP hosts of many styles, on loopback."""

from __future__ import annotations

from tests.mailfarm.farm import MailFarm

__all__ = ["MailFarm"]
