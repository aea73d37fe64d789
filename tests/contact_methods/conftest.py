"""Contact methods fixtures: a real Postfix taking mail into maildirs, and v2 nodes relaying through it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.contact_methods.mailbox import MailboxPostfix
from tests.v2.conftest import NodeFactory, V2Node, node, start_v2_node

__all__ = ["node", "start_v2_node"]

SENDER = "notifications@verifalia.test"


@pytest.fixture
async def mailbox() -> AsyncIterator[MailboxPostfix]:
    """A running Postfix with the mailboxes alice, bob and carol of mailbox.test."""
    async with MailboxPostfix(("alice", "bob", "carol")) as postfix:
        yield postfix


@pytest.fixture
async def relayed_node(start_v2_node: NodeFactory, mailbox: MailboxPostfix) -> V2Node:
    """A node whose mail relay is the mailbox Postfix."""
    return await start_v2_node({"VERIFALIA_SMTP_RELAY": mailbox.relay, "VERIFALIA_SMTP_RELAY_FROM": SENDER})
