"""The official `verifalia` npm SDK (tests/sdk) with its client certificate configuration against HTTPS
nodes: it reads the balance and submits a job as the certificate's user, and is refused once the
certificate is deleted.

Node.js and npm are required: without them these tests fail saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.certificates.conftest import StartNode, TlsNode, create_user
from tests.certificates.pki import Issued
from tests.support.node_scripts import run_node_script

_HERE = Path(__file__).resolve().parent


async def _run_sdk(nodes: list[TlsNode], client: Issued) -> dict[str, Any]:
    environ = {
        "NODE_EXTRA_CA_CERTS": str(nodes[0].pki.ca.cert_file),
        "VERIFALIA_BASE_URIS": ",".join(item.url for item in nodes),
        "VERIFALIA_CERT_FILE": str(client.cert_file),
        "VERIFALIA_KEY_FILE": str(client.key_file),
    }
    result: dict[str, Any] = await run_node_script(_HERE / "sdk_client.js", environ=environ, time_limit=90)
    return result


async def test_the_sdk_logs_in_with_a_registered_certificate(
    start_tls_node: StartNode, pool: asyncpg.Pool[Any]
) -> None:
    nodes = [await start_tls_node(), await start_tls_node()]
    user = await create_user(pool, nodes[0].admin)
    client = nodes[0].pki.issue("sdk client")
    status, registered = await nodes[0].register(user.sid, client.pem)
    assert status == 200, registered
    # Either node may take each call: wait until the second one trusts the certificate too.
    assert await _trusted_soon(nodes[1], client)
    result = await _run_sdk(nodes, client)
    assert result == {
        "creditPacks": 10_000,
        "owner": user.sid,
        "status": "Completed",
        "entries": ["Success", "MailboxDoesNotExist"],
    }
    status, _ = await nodes[0].call(
        "DELETE", f"/users/{user.sid}/certificates/{registered['id']}", auth=nodes[0].admin
    )
    assert status == 200
    # A 401 is the SDK's AuthenticationError.
    assert await _run_sdk(nodes, client) == {"error": "AuthenticationError"}


async def _trusted_soon(node: TlsNode, client: Issued) -> bool:
    """Whether the node logs the certificate's user in within 5 s."""
    for _ in range(100):
        with contextlib.suppress(aiohttp.ClientError, ssl.SSLError):
            status, _ = await node.call("GET", "/credits/balance", client=client)
            return status == 200
        await asyncio.sleep(0.05)
    return False
