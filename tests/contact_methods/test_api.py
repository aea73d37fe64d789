"""Contact methods of users over HTTP on a real node, the activation code mailed through a real Postfix."""

from __future__ import annotations

import re
from typing import Any

from tests.contact_methods.conftest import SENDER
from tests.contact_methods.mailbox import DOMAIN, MailboxPostfix
from tests.mta.ports import common_free_port
from tests.support.database import TestAccount, create_test_account, create_test_user
from tests.support.nodes import basic_auth
from tests.users.conftest import Reply, call
from tests.v2.conftest import PROBLEM_JSON, NodeFactory, V2Node
from verifalia_server.service.contact_methods import CODE_DIGITS, MAX_ATTEMPTS

_CODE = re.compile(rf"activation code is: (\d{{{CODE_DIGITS}}})")


def _problem(reply: Reply, status: int) -> str:
    """Assert a problem+json reply with `status`; return its detail."""
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith(PROBLEM_JSON)
    detail: str = reply.body["detail"]
    return detail


def _path(user_id: str, method_id: str = "") -> str:
    return f"/users/{user_id}/contact-methods" + (f"/{method_id}" if method_id else "")


async def _create(
    node: V2Node, local_part: str, name: str, as_user: TestAccount | None = None, owner: str | None = None
) -> Reply:
    """Create `local_part@mailbox.test` for `owner` (the caller by default), as `as_user` (the admin)."""
    caller = as_user or node.account
    body = {"type": "Email", "displayName": name, "emailAddress": f"{local_part}@{DOMAIN}"}
    auth = basic_auth(caller.sid, caller.token)
    return await call(node, "POST", _path(owner or caller.sid), auth, body=body)


async def _mailed_code(mailbox: MailboxPostfix, local_part: str) -> str:
    message = await mailbox.wait_for_message(local_part)
    assert message["From"] == SENDER
    assert message["To"].addresses[0].addr_spec == f"{local_part}@{DOMAIN}"
    assert message.get_content_type() == "text/plain"
    found = _CODE.search(message.get_content())
    assert found is not None, message.get_content()
    return found.group(1)


async def _stored(node: V2Node) -> int:
    count = await node.pool.fetchval(
        "SELECT count(*) FROM contact_methods WHERE user_id = $1", node.account.sid
    )
    return int(count)


async def test_the_mailed_code_activates_the_contact_method(
    relayed_node: V2Node, mailbox: MailboxPostfix
) -> None:
    node = relayed_node
    created = await _create(node, "alice", "Alice at work")
    assert created.status == 200, created.body
    method: dict[str, Any] = created.body
    assert method["status"] == "PendingActivation"
    assert method["activatedOn"] is None
    assert method["type"] == "Email"
    assert method["emailAddress"] == f"alice@{DOMAIN}"
    assert created.headers["ETag"] == method["etag"]
    code = await _mailed_code(mailbox, "alice")
    digest = await node.pool.fetchval("SELECT code_digest FROM contact_methods WHERE id = $1", method["id"])
    assert len(digest) == 32
    assert code.encode() not in digest
    activation = _path(node.account.sid, method["id"]) + "/activation"
    wrong = "0" * CODE_DIGITS if code != "0" * CODE_DIGITS else "1" * CODE_DIGITS
    assert "wrong" in _problem(await call(node, "POST", activation, node.auth, body={"code": wrong}), 400)
    pending = await call(node, "GET", _path(node.account.sid, method["id"]), node.auth)
    assert pending.body["status"] == "PendingActivation"
    activated = await call(node, "POST", activation, node.auth, body={"code": code})
    assert activated.status == 200, activated.body
    assert activated.body["status"] == "Active"
    assert activated.body["activatedOn"] is not None
    assert activated.body["etag"] != method["etag"]
    read = await call(node, "GET", _path(node.account.sid, method["id"]), node.auth)
    assert read.body == activated.body
    _problem(await call(node, "POST", activation, node.auth, body={"code": code}), 409)


async def test_too_many_wrong_codes_or_an_expired_code_are_gone(
    relayed_node: V2Node, mailbox: MailboxPostfix
) -> None:
    node = relayed_node
    guessed = (await _create(node, "bob", "Bob")).body
    code = await _mailed_code(mailbox, "bob")
    activation = _path(node.account.sid, guessed["id"]) + "/activation"
    wrong = "0" * CODE_DIGITS if code != "0" * CODE_DIGITS else "1" * CODE_DIGITS
    for _ in range(MAX_ATTEMPTS):
        _problem(await call(node, "POST", activation, node.auth, body={"code": wrong}), 400)
    _problem(await call(node, "POST", activation, node.auth, body={"code": code}), 410)
    late = (await _create(node, "carol", "Carol")).body
    late_code = await _mailed_code(mailbox, "carol")
    await node.pool.execute(
        "UPDATE contact_methods SET code_expires_on = now() - interval '1 second' WHERE id = $1", late["id"]
    )
    late_activation = _path(node.account.sid, late["id"]) + "/activation"
    assert "expired" in _problem(
        await call(node, "POST", late_activation, node.auth, body={"code": late_code}), 410
    )


async def test_list_get_rename_and_delete(relayed_node: V2Node, mailbox: MailboxPostfix) -> None:
    node = relayed_node
    first = (await _create(node, "alice", "First")).body
    second = (await _create(node, "bob", "Second")).body
    listed = await call(node, "GET", _path(node.account.sid), node.auth)
    assert listed.status == 200
    assert [item["id"] for item in listed.body["data"]] == [first["id"], second["id"]]
    assert listed.body["meta"] == {"isTruncated": False}
    one = _path(node.account.sid, first["id"])
    read = await call(node, "GET", one, node.auth)
    assert read.body == first
    rename = [{"op": "replace", "path": "/displayName", "value": "Renamed"}]
    stale = {"If-Match": '"999"'}
    _problem(await call(node, "PATCH", one, node.auth, patch=rename, headers=stale), 412)
    renamed = await call(node, "PATCH", one, node.auth, patch=rename, headers={"If-Match": first["etag"]})
    assert renamed.status == 200, renamed.body
    assert renamed.body["displayName"] == "Renamed"
    assert renamed.headers["ETag"] == renamed.body["etag"] != first["etag"]
    readdress = [{"op": "replace", "path": "/emailAddress", "value": f"carol@{DOMAIN}"}]
    assert "emailAddress" in _problem(await call(node, "PATCH", one, node.auth, patch=readdress), 400)
    _problem(await call(node, "DELETE", one, node.auth, headers={"If-Match": first["etag"]}), 412)
    deleted = await call(node, "DELETE", one, node.auth, headers={"If-Match": renamed.body["etag"]})
    assert deleted.status == 200
    _problem(await call(node, "GET", one, node.auth), 404)
    remaining = await call(node, "GET", _path(node.account.sid), node.auth)
    assert [item["id"] for item in remaining.body["data"]] == [second["id"]]
    assert len(mailbox.messages("alice")) == 1


async def test_users_reach_only_what_their_rules_allow(relayed_node: V2Node, mailbox: MailboxPostfix) -> None:
    node = relayed_node
    admin_method = (await _create(node, "alice", "Admin")).body
    writer = await create_test_user(node.pool, node.account.account_id, ("users:read:own", "users:write:own"))
    writer_auth = basic_auth(writer.sid, writer.token)
    own = await _create(node, "bob", "Mine", writer)
    assert own.status == 200, own.body
    assert (await call(node, "GET", _path(writer.sid), writer_auth)).body["data"] == [own.body]
    _problem(await call(node, "GET", _path(node.account.sid), writer_auth), 403)
    _problem(await call(node, "GET", _path(node.account.sid, admin_method["id"]), writer_auth), 403)
    _problem(await _create(node, "carol", "Not mine", writer, owner=node.account.sid), 403)
    reader = await create_test_user(node.pool, node.account.account_id, ("users:read:own",))
    _problem(await _create(node, "carol", "Read only", reader), 403)
    stranger = await create_test_account(node.pool, name="stranger")
    stranger_auth = basic_auth(stranger.sid, stranger.token)
    _problem(await call(node, "GET", _path(node.account.sid), stranger_auth), 404)
    _problem(await call(node, "GET", _path(node.account.sid, admin_method["id"]), stranger_auth), 404)
    _problem(await call(node, "GET", _path(writer.sid, admin_method["id"]), node.auth), 404)
    assert mailbox.messages("carol") == []


async def test_no_relay_configured_answers_503_and_stores_nothing(node: V2Node) -> None:
    reply = await _create(node, "alice", "Alice")
    assert "No mail relay configured" in _problem(reply, 503)
    assert reply.headers["Retry-After"].isdigit()
    assert await _stored(node) == 0


async def test_a_relay_that_is_down_answers_503_and_stores_nothing(start_v2_node: NodeFactory) -> None:
    closed = common_free_port(["127.0.0.1"])
    node = await start_v2_node({"VERIFALIA_SMTP_RELAY": f"127.0.0.1:{closed}"})
    assert "did not take" in _problem(await _create(node, "alice", "Alice"), 503)
    assert await _stored(node) == 0


async def test_phone_contact_methods_and_bad_input_are_refused(start_v2_node: NodeFactory) -> None:
    closed = common_free_port(["127.0.0.1"])
    node = await start_v2_node({"VERIFALIA_SMTP_RELAY": f"127.0.0.1:{closed}"})
    path = _path(node.account.sid)
    for kind in ("Phone", "Sms"):
        body = {"type": kind, "displayName": "Mobile"}
        assert "SMS" in _problem(await call(node, "POST", path, node.auth, body=body), 400)
    bodies: tuple[object, ...] = (
        {"type": "Email", "displayName": "x", "emailAddress": "not an address"},
        {"type": "Email", "displayName": "", "emailAddress": f"alice@{DOMAIN}"},
        {"type": "Email", "displayName": "x"},
        {"type": "Email", "displayName": "x", "emailAddress": f"alice@{DOMAIN}", "color": "red"},
        [],
    )
    for malformed in bodies:
        _problem(await call(node, "POST", path, node.auth, body=malformed), 400)
    assert await _stored(node) == 0


async def test_contact_methods_routes_exist_from_v2_7_only(node: V2Node) -> None:
    for version in ("v2.5", "v2.6"):
        _problem(await call(node, "GET", _path(node.account.sid), node.auth, version=version), 404)
    assert (await call(node, "GET", _path(node.account.sid), node.auth, version="v2.8")).body == {
        "meta": {"isTruncated": False},
        "data": [],
    }
    _problem(await call(node, "GET", _path("nosuchuser"), node.auth), 404)
