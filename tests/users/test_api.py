"""The v2.7 users API over HTTP on a real node: create, read with ETag, list, JSON Patch with If-Match,
delete, and what each kind of user may do."""

from __future__ import annotations

from typing import Any

from tests.support.database import TestAccount, create_test_account, create_test_user
from tests.support.nodes import basic_auth
from tests.users.conftest import JSON_PATCH, Reply, call
from tests.v2.conftest import PROBLEM_JSON, V2Node, entries
from verifalia_server.service.permissions import DEFAULT_RULES, UserType


def _auth(account: TestAccount) -> dict[str, str]:
    return basic_auth(account.sid, account.token)


def _problem(reply: Reply, status: int) -> str:
    """Assert a problem+json reply with `status`; return its detail."""
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"].startswith(PROBLEM_JSON)
    assert reply.body["status"] == status
    detail: str = reply.body["detail"]
    return detail


async def _create(node: V2Node, body: dict[str, Any], auth: dict[str, str] | None = None) -> dict[str, Any]:
    reply = await call(node, "POST", "/users", auth or node.auth, body=body)
    assert reply.status == 200, reply.body
    assert reply.headers["ETag"] == reply.body["etag"]
    created: dict[str, Any] = reply.body
    return created


async def _get(node: V2Node, user_id: str, auth: dict[str, str] | None = None) -> Reply:
    return await call(node, "GET", f"/users/{user_id}", auth or node.auth)


async def _patch(node: V2Node, user_id: str, operations: Any, headers: dict[str, str] | None = None) -> Reply:
    return await call(node, "PATCH", f"/users/{user_id}", node.auth, patch=operations, headers=headers)


async def _submit(node: V2Node, auth: dict[str, str], address: str) -> str:
    reply = await call(node, "POST", "/email-validations?waitTime=0", auth, body=entries(address))
    assert reply.status in (200, 202), reply.body
    job_id: str = reply.body["overview"]["id"]
    return job_id


async def test_users_routes_exist_from_v2_7_only(node: V2Node) -> None:
    for version in ("v2.0", "v2.5", "v2.6"):
        _problem(await call(node, "GET", "/users", node.auth, version=version), 404)
        _problem(await call(node, "GET", f"/users/{node.account.sid}", node.auth, version=version), 404)
        reply = await call(node, "POST", "/users", node.auth, body={"type": "Standard"}, version=version)
        _problem(reply, 404)
    for version in ("v2.7", "v2.8", "v2.10"):
        assert (await call(node, "GET", "/users", node.auth, version=version)).status == 200


async def test_a_standard_user_created_without_password_gets_one_shown_once(node: V2Node) -> None:
    created = await _create(node, {"type": "Standard", "displayName": "Ada"})
    assert created["type"] == "Standard"
    assert created["displayName"] == "Ada"
    assert created["isActive"] is True
    assert created["isDeleted"] is False
    login = created["authentication"]["password"]
    assert login["username"] == created["id"]
    password = login["password"]
    assert len(password) >= 32
    own = basic_auth(created["id"], password)
    reply = await _get(node, created["id"], own)
    assert reply.status == 200, reply.body
    assert "password" not in reply.body["authentication"]["password"]
    assert reply.body["authorization"]["rules"] == list(DEFAULT_RULES[UserType.STANDARD])
    assert "authentication" not in (await call(node, "GET", "/users", node.auth)).body["data"][0]


async def test_a_user_created_with_username_password_and_rules_logs_in_with_them(node: V2Node) -> None:
    created = await _create(
        node,
        {
            "type": "Standard",
            "displayName": "Reader",
            "authentication": {"password": {"username": "reader.one", "password": "s3cret-pass"}},
            "authorization": {"rules": ["email-validations:read", "users:read:my"]},
        },
    )
    assert "authentication" not in created
    reply = await _get(node, created["id"], basic_auth("reader.one", "s3cret-pass"))
    assert reply.status == 200, reply.body
    assert reply.body["authentication"]["password"]["username"] == "reader.one"
    assert reply.body["authorization"]["rules"] == ["email-verifications:read", "users:read:own"]
    _problem(await _get(node, created["id"], basic_auth(created["id"], "s3cret-pass")), 401)
    taken = {
        "type": "Standard",
        "displayName": "Twin",
        "authentication": {"password": {"username": "reader.one"}},
    }
    assert "taken" in _problem(await call(node, "POST", "/users", node.auth, body=taken), 409)


async def test_administrators_and_browser_apps_are_created_with_their_own_shapes(node: V2Node) -> None:
    admin = await _create(node, {"type": "Administrator", "displayName": "Second admin"})
    assert admin["type"] == "Administrator"
    admin_auth = basic_auth(admin["id"], admin["authentication"]["password"]["password"])
    assert (await call(node, "GET", "/users", admin_auth)).status == 200
    app = await _create(
        node,
        {
            "type": "BrowserApp",
            "displayName": "Widget",
            "trustedOrigin": {"isEnabled": True, "expressions": ["https://*.example.org"]},
            "captcha": {"isEnabled": False},
            "throttling": {
                "maxEntriesPerJob": 10,
                "rules": [{"limit": 5, "period": "Hour", "scope": "IPAddress"}],
            },
        },
    )
    assert "authentication" not in app
    body = (await _get(node, app["id"])).body
    assert "authentication" not in body
    assert body["authorization"]["rules"] == list(DEFAULT_RULES[UserType.BROWSER_APP])
    assert body["trustedOrigin"] == {"isEnabled": True, "expressions": ["https://*.example.org"]}
    assert body["throttling"] == {
        "maxEntriesPerJob": 10,
        "rules": [{"limit": 5, "period": "Hour", "scope": "IPAddress"}],
    }
    with_password = {
        "type": "BrowserApp",
        "displayName": "Widget",
        "authentication": {"password": {"password": "a-password"}},
    }
    assert "browser app" in _problem(await call(node, "POST", "/users", node.auth, body=with_password), 400)


async def test_bad_creation_requests_are_400_naming_the_field(node: V2Node) -> None:
    cases: list[tuple[Any, str]] = [
        ({"displayName": "No type"}, "'type'"),
        ({"type": "Owner", "displayName": "x"}, "'type'"),
        ({"type": "Standard", "displayName": ""}, "'displayName'"),
        ({"type": "Standard", "displayName": "x", "isActive": "yes"}, "'isActive'"),
        ({"type": "Standard", "displayName": "x", "colour": "red"}, "'colour'"),
        ({"type": "Standard", "displayName": "x", "authorization": {"rules": ["jobs:read"]}}, "jobs:read"),
        ({"type": "Standard", "displayName": "x", "authorization": {"rules": ["credits:write"]}}, "write"),
        (
            {"type": "Standard", "displayName": "x", "authentication": {"password": {"username": "a:b"}}},
            "'authentication.password.username'",
        ),
        (
            {"type": "Standard", "displayName": "x", "authentication": {"password": {"password": "short"}}},
            "'authentication.password.password'",
        ),
        (
            {"type": "Standard", "displayName": "x", "throttling": {"rules": [{"limit": 0}]}},
            "'throttling.rules[0].limit'",
        ),
        ([1, 2], "JSON object"),
    ]
    for body, named in cases:
        detail = _problem(await call(node, "POST", "/users", node.auth, body=body), 400)
        assert named in detail, (body, detail)
    listed = (await call(node, "GET", "/users", node.auth)).body["data"]
    assert [user["id"] for user in listed] == [node.account.sid]


async def test_a_user_reads_with_its_etag_and_unknown_users_are_404(node: V2Node) -> None:
    created = await _create(node, {"type": "Standard", "displayName": "Grace"})
    reply = await _get(node, created["id"])
    assert reply.status == 200
    assert reply.headers["ETag"] == created["etag"] == reply.body["etag"]
    assert reply.body == {
        "id": created["id"],
        "etag": created["etag"],
        "type": "Standard",
        "displayName": "Grace",
        "isActive": True,
        "isDeleted": False,
        "createdOn": created["createdOn"],
        "authentication": {
            "password": {"isEnabled": True, "isMfaRequired": False, "username": created["id"]},
            "certificate": {"isEnabled": False},
        },
        "authorization": {"rules": list(DEFAULT_RULES[UserType.STANDARD])},
        "trustedOrigin": {"isEnabled": False, "expressions": []},
        "captcha": {"isEnabled": False},
        "throttling": {"rules": []},
    }
    _problem(await _get(node, "NoSuchUser000000"), 404)
    other = await create_test_account(node.pool, name="other")
    _problem(await _get(node, other.sid), 404)
    _problem(await _get(node, created["id"], _auth(other)), 404)


async def test_listing_pages_filters_and_sorts(node: V2Node) -> None:
    names = ["delta", "alpha", "echo", "charlie", "bravo"]
    ids = {}
    for name in names:
        user_type = "BrowserApp" if name in ("alpha", "echo") else "Standard"
        ids[name] = (await _create(node, {"type": user_type, "displayName": name}))["id"]
    everyone = (await call(node, "GET", "/users", node.auth)).body
    assert everyone["meta"]["isTruncated"] is False
    assert [user["id"] for user in everyone["data"]] == [node.account.sid, *ids.values()]

    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    query = "/users?limit=2&sort=displayName"
    while True:
        page = (await call(node, "GET", query, node.auth)).body
        pages.append(page)
        seen.extend(user["displayName"] for user in page["data"])
        if not page["meta"]["isTruncated"]:
            break
        query = f"/users?cursor={page['meta']['cursor']}"
    assert [name for name in seen if name in names] == sorted(names)
    assert len(pages) == 3
    back = (await call(node, "GET", f"/users?cursor:prev={pages[2]['meta']['cursor']}", node.auth)).body
    assert back["data"] == pages[1]["data"]

    descending = (await call(node, "GET", "/users?sort=-displayName&type=Standard", node.auth)).body
    standard_names = [user["displayName"] for user in descending["data"]]
    assert [name for name in standard_names if name in names] == ["delta", "charlie", "bravo"]
    apps = (await call(node, "GET", "/users?type=BrowserApp", node.auth)).body
    assert [user["displayName"] for user in apps["data"]] == ["alpha", "echo"]
    newest = (await call(node, "GET", "/users?sort=-createdOn&limit=1", node.auth)).body
    assert [user["id"] for user in newest["data"]] == [ids["bravo"]]

    assert (await call(node, "DELETE", f"/users/{ids['echo']}", node.auth)).status == 200
    apps = (await call(node, "GET", "/users?type=BrowserApp", node.auth)).body
    assert [user["displayName"] for user in apps["data"]] == ["alpha"]
    apps = (await call(node, "GET", "/users?type=BrowserApp&includeDeleted=true", node.auth)).body
    assert [(user["displayName"], user["isDeleted"]) for user in apps["data"]] == [
        ("alpha", False),
        ("echo", True),
    ]

    for bad, named in [
        ("sort=name", "'sort'"),
        ("type=Robot", "'type'"),
        ("includeDeleted=maybe", "'includeDeleted'"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("limit=0", "'limit'"),
    ]:
        assert named in _problem(await call(node, "GET", f"/users?{bad}", node.auth), 400)


async def test_patch_changes_display_name_rules_and_activity(node: V2Node) -> None:
    member = await create_test_user(node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD])
    before = (await _get(node, member.sid)).body
    reply = await _patch(
        node,
        member.sid,
        [
            {"op": "replace", "path": "/displayName", "value": "Renamed"},
            {"op": "add", "path": "/authorization/rules/-", "value": "email-validations:read"},
            {"op": "remove", "path": "/authorization/rules/0"},
        ],
    )
    assert reply.status == 200, reply.body
    assert reply.body["displayName"] == "Renamed"
    assert reply.body["authorization"]["rules"] == [
        "credits:read",
        "users:read:own",
        "email-verifications:read",
    ]
    assert reply.headers["ETag"] == reply.body["etag"] != before["etag"]
    assert (await _get(node, member.sid)).body == reply.body

    assert (await call(node, "GET", "/credits/balance", _auth(member))).status == 200
    off = await _patch(node, member.sid, [{"op": "replace", "path": "/isActive", "value": False}])
    assert off.status == 200, off.body
    _problem(await call(node, "GET", "/credits/balance", _auth(member)), 401)
    on = await _patch(node, member.sid, [{"op": "replace", "path": "/isActive", "value": True}])
    assert on.status == 200, on.body
    assert (await call(node, "GET", "/credits/balance", _auth(member))).status == 200


async def test_a_new_password_revokes_the_old_one_and_bearer_tokens(node: V2Node) -> None:
    member = await create_test_user(node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD])
    token_reply = await call(
        node, "POST", "/auth/tokens", {}, body={"username": member.sid, "password": member.token}
    )
    assert token_reply.status == 200, token_reply.body
    bearer = {"Authorization": f"Bearer {token_reply.body['accessToken']}"}
    assert (await call(node, "GET", "/credits/balance", bearer)).status == 200

    new_password = "a-brand-new-password"
    reply = await _patch(
        node, member.sid, [{"op": "add", "path": "/authentication/password/password", "value": new_password}]
    )
    assert reply.status == 200, reply.body
    assert "password" not in reply.body["authentication"]["password"]
    _problem(await call(node, "GET", "/credits/balance", _auth(member)), 401)
    _problem(await call(node, "GET", "/credits/balance", bearer), 401)
    assert (await call(node, "GET", "/credits/balance", basic_auth(member.sid, new_password))).status == 200


async def test_if_match_guards_a_patch(node: V2Node) -> None:
    member = await create_test_user(node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD])
    first = (await _get(node, member.sid)).body
    rename = [{"op": "replace", "path": "/displayName", "value": "First"}]
    fresh = await _patch(node, member.sid, rename, {"If-Match": first["etag"]})
    assert fresh.status == 200, fresh.body
    stale = await _patch(
        node,
        member.sid,
        [{"op": "replace", "path": "/displayName", "value": "Lost"}],
        {"If-Match": first["etag"]},
    )
    assert "changed" in _problem(stale, 412)
    weak = await _patch(node, member.sid, rename, {"If-Match": f"W/{fresh.body['etag']}"})
    _problem(weak, 412)
    assert (await _get(node, member.sid)).body == fresh.body
    listed = await _patch(node, member.sid, rename, {"If-Match": f'"0", {fresh.body["etag"]}'})
    assert listed.status == 200, listed.body
    anything = await _patch(node, member.sid, rename, {"If-Match": "*"})
    assert anything.status == 200, anything.body
    _problem(await _patch(node, member.sid, rename, {"If-Match": fresh.body["etag"].strip('"')}), 412)


async def test_bad_patches_are_refused_and_change_nothing(node: V2Node) -> None:
    member = await create_test_user(node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD])
    before = (await _get(node, member.sid)).body
    wrong_type = await call(
        node,
        "PATCH",
        f"/users/{member.sid}",
        node.auth,
        body=[{"op": "replace", "path": "/displayName", "value": "x"}],
    )
    _problem(wrong_type, 415)
    assert wrong_type.headers["Accept-Patch"] == JSON_PATCH
    cases: list[tuple[Any, int, str]] = [
        ({"op": "replace"}, 400, "JSON Patch document"),
        (["replace"], 400, "not an object"),
        ([{"op": "update", "path": "/displayName"}], 400, "'op'"),
        ([{"op": {}, "path": "/displayName"}], 400, "'op'"),
        ([{"op": "add", "path": "/displayName", "from": {}, "value": "x"}], 400, "'from'"),
        ([{"op": "add", "path": "/displayName"}], 400, "'value'"),
        ([{"op": "add", "path": "displayName", "value": "x"}], 400, "JSON Pointer"),
        ([{"op": "replace", "path": "/type", "value": "Administrator"}], 400, "'type'"),
        ([{"op": "replace", "path": "/id", "value": "someone"}], 400, "'id'"),
        ([{"op": "remove", "path": "/createdOn"}], 400, "'createdOn'"),
        ([{"op": "replace", "path": "/isDeleted", "value": True}], 400, "'isDeleted'"),
        ([{"op": "replace", "path": "/etag", "value": '"9"'}], 400, "'etag'"),
        ([{"op": "replace", "path": "/displayName", "value": 5}], 400, "'displayName'"),
        ([{"op": "add", "path": "/authorization/rules/-", "value": "users:fly"}], 400, "users:fly"),
        ([{"op": "add", "path": "/nickname", "value": "x"}], 400, "'nickname'"),
        ([{"op": "replace", "path": "/captcha/level", "value": 1}], 422, "cannot be applied"),
        ([{"op": "remove", "path": "/authorization/rules/9"}], 422, "cannot be applied"),
        ([{"op": "test", "path": "/displayName", "value": "someone else"}], 409, "failed"),
        (
            [
                {"op": "replace", "path": "/displayName", "value": "Half"},
                {"op": "remove", "path": "/nothing"},
            ],
            422,
            "Operation 1",
        ),
    ]
    for operations, status, named in cases:
        detail = _problem(await _patch(node, member.sid, operations), status)
        assert named in detail, (operations, detail)
    assert (await _get(node, member.sid)).body == before
    _problem(await _patch(node, "NoSuchUser000000", []), 404)


async def test_deleting_a_user_ends_its_credentials_and_keeps_its_jobs(node: V2Node) -> None:
    member = await create_test_user(node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD])
    job_id = await _submit(node, _auth(member), "kept@example.org")
    reply = await call(node, "DELETE", f"/users/{member.sid}", node.auth)
    assert reply.status == 200, reply.body
    _problem(await call(node, "GET", f"/email-validations/{job_id}", _auth(member)), 401)
    job = await call(node, "GET", f"/email-validations/{job_id}/overview", node.auth)
    assert job.status in (200, 202)
    assert job.body["owner"] == member.sid
    _problem(await _get(node, member.sid), 404)
    _problem(await call(node, "DELETE", f"/users/{member.sid}", node.auth), 404)
    _problem(await _patch(node, member.sid, []), 404)
    listed = (await call(node, "GET", "/users?includeDeleted=true", node.auth)).body["data"]
    assert {"id": member.sid, "isDeleted": True, "isActive": False}.items() <= listed[-1].items()


async def test_if_match_guards_a_delete(node: V2Node) -> None:
    member = await create_test_user(node.pool, node.account.account_id, DEFAULT_RULES[UserType.STANDARD])
    etag = (await _get(node, member.sid)).body["etag"]
    await _patch(node, member.sid, [{"op": "replace", "path": "/displayName", "value": "Moved on"}])
    stale = await call(node, "DELETE", f"/users/{member.sid}", node.auth, headers={"If-Match": etag})
    _problem(stale, 412)
    current = (await _get(node, member.sid)).body["etag"]
    fresh = await call(node, "DELETE", f"/users/{member.sid}", node.auth, headers={"If-Match": current})
    assert fresh.status == 200, fresh.body


async def test_an_administrator_can_neither_delete_nor_deactivate_itself(node: V2Node) -> None:
    own = node.account.sid
    assert "itself" in _problem(await call(node, "DELETE", f"/users/{own}", node.auth), 409)
    deactivate = [{"op": "replace", "path": "/isActive", "value": False}]
    assert "itself" in _problem(await _patch(node, own, deactivate), 409)
    assert (await _get(node, own)).body["isActive"] is True
    demote = [{"op": "replace", "path": "/type", "value": "Standard"}]
    assert "'type'" in _problem(await _patch(node, own, demote), 400)


async def test_only_an_administrator_manages_administrators(node: V2Node) -> None:
    manager = await create_test_user(node.pool, node.account.account_id, ("users:*",))
    auth = _auth(manager)
    admin = {"type": "Administrator", "displayName": "Boss"}
    assert "Administrator" in _problem(await call(node, "POST", "/users", auth, body=admin), 403)
    rename = [{"op": "replace", "path": "/displayName", "value": "Ousted"}]
    owner = node.account.sid
    _problem(await call(node, "PATCH", f"/users/{owner}", auth, patch=rename), 403)
    _problem(await call(node, "DELETE", f"/users/{owner}", auth), 403)
    standard = await _create(node, {"type": "Standard", "displayName": "Hired"}, auth)
    assert (await call(node, "DELETE", f"/users/{standard['id']}", auth)).status == 200


async def test_a_standard_user_with_default_rules_sees_only_its_own(node: V2Node) -> None:
    rules = DEFAULT_RULES[UserType.STANDARD]
    one = await create_test_user(node.pool, node.account.account_id, rules, name="one")
    two = await create_test_user(node.pool, node.account.account_id, rules, name="two")
    own_job = await _submit(node, _auth(one), "mine@example.org")
    other_job = await _submit(node, _auth(two), "theirs@example.org")
    auth = _auth(one)
    assert (await call(node, "GET", f"/email-validations/{own_job}/overview", auth)).status in (200, 202)
    _problem(await call(node, "GET", f"/email-validations/{other_job}/overview", auth), 403)
    listed = (await call(node, "GET", "/email-validations", auth)).body["data"]
    assert [job["id"] for job in listed] == [own_job]
    _problem(await call(node, "GET", f"/email-validations?owner={two.sid}", auth), 403)
    assert "users:read" in _problem(await call(node, "GET", "/users", auth), 403)
    assert (await _get(node, one.sid, auth)).status == 200
    _problem(await _get(node, two.sid, auth), 403)
    rename = [{"op": "replace", "path": "/displayName", "value": "Me"}]
    assert "users:write" in _problem(await call(node, "PATCH", f"/users/{one.sid}", auth, patch=rename), 403)
    _problem(await call(node, "POST", "/users", auth, body={"type": "Standard", "displayName": "x"}), 403)


async def test_user_rules_scope_listing_and_changes(node: V2Node) -> None:
    own_only = await create_test_user(
        node.pool, node.account.account_id, ("users:read:own", "users:write:own")
    )
    _problem(await call(node, "GET", "/users", _auth(own_only)), 403)
    assert (await _get(node, own_only.sid, _auth(own_only))).status == 200
    rename = [{"op": "replace", "path": "/displayName", "value": "Myself"}]
    renamed = await call(node, "PATCH", f"/users/{own_only.sid}", _auth(own_only), patch=rename)
    assert renamed.status == 200, renamed.body
    escalate = [{"op": "add", "path": "/authorization/rules/-", "value": "users:*"}]
    escalated = await call(node, "PATCH", f"/users/{own_only.sid}", _auth(own_only), patch=escalate)
    assert "users:write" in _problem(escalated, 403)
    reader = await create_test_user(node.pool, node.account.account_id, ("users:read", "-users:read:own"))
    listed = (await call(node, "GET", "/users", _auth(reader))).body["data"]
    assert own_only.sid in [user["id"] for user in listed]
    _problem(await _get(node, reader.sid, _auth(reader)), 403)


async def test_a_browser_app_key_submits_and_reads_its_own_jobs_only(node: V2Node) -> None:
    app = await _create(node, {"type": "BrowserApp", "displayName": "Signup form"})
    key = basic_auth(app["id"], "")
    job_id = await _submit(node, key, "visitor@example.org")
    assert (await call(node, "GET", f"/email-validations/{job_id}/overview", key)).status in (200, 202)
    _problem(await call(node, "GET", "/credits/balance", key), 403)
    _problem(await call(node, "GET", "/users", key), 403)
    _problem(await _get(node, app["id"], key), 403)
    _problem(await call(node, "GET", "/credits/balance", basic_auth(app["id"], "a-password")), 401)
