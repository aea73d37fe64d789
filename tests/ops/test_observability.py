"""`/metrics`, `include=evidence` on reads and exports, and the `/` index, against a real node."""

from __future__ import annotations

import csv
import io
import ipaddress
import re

from tests.v2.conftest import NodeFactory, V2Node, entries, submit

ADDRESSES = ("bob@exim.mailfarm.net", "zed@exim.mailfarm.net", "not an address")


async def _completed_job(node: V2Node) -> str:
    response = await submit(node, entries(*ADDRESSES))
    assert response.status == 200, await response.text()
    job_id: str = (await response.json())["overview"]["id"]
    return job_id


def _sample(metrics: str, name: str, **labels: str) -> float:
    # The exposition format lists a sample's labels in name order.
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = "^" + re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    match = re.search(pattern, metrics, re.MULTILINE)
    assert match, f"no sample {name}{{{wanted}}}"
    return float(match.group(1))


async def test_metrics_count_requests_jobs_verdicts_and_the_engine(node: V2Node) -> None:
    job_id = await _completed_job(node)
    async with node.session.get(node.v2(f"/email-validations/{job_id}"), headers=node.auth) as response:
        assert response.status == 200
    async with node.session.get(f"{node.url}/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        metrics = await response.text()
    route = "/{version}/email-validations/{id}"
    assert _sample(metrics, "verifalia_http_requests_total", method="GET", route=route, status="200") >= 1
    assert _sample(metrics, "verifalia_http_request_duration_seconds_count", method="GET", route=route) >= 1
    assert _sample(metrics, "verifalia_jobs_submitted_total", source="verifalia") >= 1
    assert _sample(metrics, "verifalia_jobs_completed_total") >= 1
    assert (
        _sample(metrics, "verifalia_entries_verified_total", status="Success", classification="Deliverable")
        >= 1
    )
    assert _sample(metrics, "verifalia_smtp_recipients_total", mx_group="mailfarm.net") >= 1
    assert _sample(metrics, "verifalia_queue_entries", state="pending") == 0
    assert _sample(metrics, "verifalia_database_up") == 1
    assert _sample(metrics, "verifalia_db_pool_max_connections") > 0


async def test_metrics_can_be_restricted_to_networks(start_v2_node: NodeFactory) -> None:
    elsewhere = await start_v2_node(metrics_allowed=(ipaddress.ip_network("192.0.2.0/24"),))
    async with elsewhere.session.get(f"{elsewhere.url}/metrics") as response:
        assert response.status == 403
    loopback = await start_v2_node(metrics_allowed=(ipaddress.ip_network("127.0.0.0/8"),))
    async with loopback.session.get(f"{loopback.url}/metrics") as response:
        assert response.status == 200


async def test_evidence_only_when_asked_for(node: V2Node) -> None:
    job_id = await _completed_job(node)
    url = node.v2(f"/email-validations/{job_id}")
    async with node.session.get(url, headers=node.auth) as response:
        plain = await response.read()
    assert b"evidence" not in plain
    async with node.session.get(f"{url}?include=evidence", headers=node.auth) as response:
        assert response.status == 200
        data = (await response.json())["entries"]["data"]
    rejected = data[1]["evidence"]
    assert set(rejected) >= {"mxHost", "command", "replyCode", "enhancedCode", "replyText", "egress"}
    assert rejected["replyCode"] == 550
    assert rejected["command"].startswith("RCPT")
    assert data[2]["evidence"] is None
    async with node.session.get(f"{url}/entries?include=evidence", headers=node.auth) as response:
        paged = (await response.json())["data"]
    assert [entry["evidence"] for entry in paged] == [entry["evidence"] for entry in data]
    async with node.session.get(f"{url}?include=everything", headers=node.auth) as response:
        assert response.status == 400


async def test_csv_export_carries_evidence_columns_on_request(node: V2Node) -> None:
    job_id = await _completed_job(node)
    url = node.v2(f"/email-validations/{job_id}/entries")
    headers = {**node.auth, "Accept": "text/csv"}
    async with node.session.get(url, headers=headers) as response:
        plain = list(csv.reader(io.StringIO(await response.text())))
    async with node.session.get(f"{url}?include=evidence", headers=headers) as response:
        rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0][: len(plain[0])] == plain[0]
    assert rows[0][len(plain[0]) :][:3] == ["Evidence MX host", "Evidence command", "Evidence reply code"]
    assert rows[2][len(plain[0]) + 2] == "550"


async def test_the_root_names_the_node_and_its_surfaces(node: V2Node) -> None:
    async with node.session.get(f"{node.url}/") as response:
        assert response.status == 200
        body = await response.json()
    assert body["metrics"] == "/metrics"
    assert body["openapi"] == "/openapi.json"
    async with node.session.get(f"{node.url}{body['webClient']}") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
