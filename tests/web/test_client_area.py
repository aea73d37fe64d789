"""The web client area in headless Chromium against a real node and the mail farm.

Browser steps block, so each scenario runs in a worker thread while the event loop serves the mail farm.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import openpyxl
import pytest
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.mailfarm.farm import MailFarm
from tests.support.database import create_test_user
from tests.web.browser import chromium, console_errors, message, open_credits, sign_in, visible, wait_for
from tests.web.conftest import WebNode

pytestmark = pytest.mark.timeout(120)

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "web-client.png"
ROWS = [
    ("Bob", "bob@exim.mailfarm.net", "Success"),
    ("Zed", "zed@exim.mailfarm.net", "MailboxDoesNotExist"),
    ("Carol", "carol@catchall.mailfarm.net", "ServerIsCatchAll"),
    ("Alice", "alice@gmail.mailfarm.net", "Success"),
    ("Null", "x@nullmx.mailfarm.net", "DomainHasNullMx"),
    ("Broken", "not-an-address", "AtSignNotFound"),
    ("Again", "bob@exim.mailfarm.net", "Duplicate"),
]


def _csv_file(folder: Path) -> Path:
    path = folder / "contacts.csv"
    lines = ["name;email"] + [f"{name};{address}" for name, address, _ in ROWS]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _downloaded(folder: Path, name: str, driver: Chrome) -> Path:
    path = folder / name
    wait_for(driver, lambda _: path.is_file() and path.stat().st_size > 0, f"the download {name}")
    return path


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _api_entries(node: WebNode, job_id: str) -> list[dict[str, Any]]:
    page = node.api_json(f"/email-validations/{job_id}/entries?limit=100")
    entries: list[dict[str, Any]] = page["data"]
    return entries


def _same_entries(rows: list[dict[str, str]], entries: list[dict[str, Any]]) -> None:
    assert [(int(row["Index"]), row["Input data"], row["Classification"], row["Status"]) for row in rows] == [
        (entry["index"], entry["inputData"], entry["classification"], entry["status"]) for entry in entries
    ]


def _chart(driver: Chrome, canvas_id: str) -> dict[str, int]:
    """The labels and values Chart.js draws on a canvas."""
    data: dict[str, int] = driver.execute_script(
        "const chart = Chart.getChart(document.getElementById(arguments[0]));"
        "const values = chart.data.datasets[0].data;"
        "return Object.fromEntries(chart.data.labels.map((label, i) => [label, values[i]]));",
        canvas_id,
    )
    return data


def _upload_watch_chart_download_delete(node: WebNode, downloads: Path) -> None:
    with chromium(downloads) as driver:
        sign_in(driver, node.url, node.account.sid, node.account.token)
        wait_for(driver, lambda current: visible(current, "#jobs-table"), "the jobs list")
        new_job = driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/upload']")
        new_job.send_keys(Keys.ENTER)
        file_input = wait_for(
            driver, lambda current: current.find_element(By.ID, "input-file"), "the upload form"
        )
        file_input.send_keys(str(_csv_file(downloads.parent)))
        preview = wait_for(
            driver,
            lambda current: current.find_elements(By.CSS_SELECTOR, "#preview td.chosen"),
            "the preview",
        )
        # The semicolon-delimited file is split, the address column is found and the header row skipped.
        assert preview[1].text == "bob@exim.mailfarm.net"
        assert (
            Select(driver.find_element(By.ID, "column")).first_selected_option.get_attribute("value") == "1"
        )
        assert driver.find_element(By.ID, "first-row").get_attribute("value") == "2"
        Select(driver.find_element(By.ID, "deduplication")).select_by_value("Safe")
        name = driver.find_element(By.ID, "job-name")
        name.clear()
        name.send_keys("Spring newsletter")
        driver.find_element(By.ID, "submit-job").click()

        seen: list[str] = []

        def completed(current: Chrome) -> bool:
            # Read in one script call: the page replaces the element at every refresh.
            status = current.execute_script("return document.getElementById('job-status')?.textContent")
            if status and (not seen or seen[-1] != status):
                seen.append(status)
            return bool(seen) and seen[-1] == "Completed"

        wait_for(driver, completed, "the job to complete")
        assert seen == ["InProgress", "Completed"]
        job_id = driver.current_url.rsplit("/", 1)[1]
        expected = Counter(status for _, _, status in ROWS)
        wait_for(driver, lambda current: visible(current, "#results"), "the charts")
        assert _chart(driver, "status-chart") == dict(expected)
        entries = _api_entries(node, job_id)
        assert [entry["status"] for entry in entries] == [status for _, _, status in ROWS]
        assert _chart(driver, "classification-chart") == dict(
            Counter(entry["classification"] for entry in entries)
        )
        table_rows = wait_for(
            driver,
            lambda current: current.find_elements(By.CSS_SELECTOR, "#entries-table tbody tr"),
            "entries",
        )
        assert len(table_rows) == len(ROWS)
        evidence = table_rows[1].find_element(By.CSS_SELECTOR, "details.evidence summary")
        assert "mx.exim.mailfarm.net" in evidence.text
        SCREENSHOT.parent.mkdir(exist_ok=True)
        driver.save_screenshot(str(SCREENSHOT))

        driver.find_element(By.ID, "download-csv").click()
        rows = _csv_rows(_downloaded(downloads, f"{job_id}.csv", driver))
        _same_entries(rows, entries)
        assert rows[1]["Evidence MX host"] == "mx.exim.mailfarm.net"

        Select(driver.find_element(By.ID, "entry-filter")).select_by_value("c:Undeliverable")
        undeliverable = [entry for entry in entries if entry["classification"] == "Undeliverable"]
        wait_for(
            driver,
            lambda current: (
                len(current.find_elements(By.CSS_SELECTOR, "#entries-table tbody tr")) == len(undeliverable)
            ),
            "the filtered entries",
        )
        Select(driver.find_element(By.ID, "download-scope")).select_by_value("filtered")
        driver.find_element(By.ID, "download-csv").click()
        _same_entries(_csv_rows(_downloaded(downloads, f"{job_id}-filtered.csv", driver)), undeliverable)

        driver.find_element(By.ID, "delete-job").click()
        wait_for(driver, lambda current: visible(current, "#confirm-ok"), "the confirmation")
        # Escape closes the dialog and deletes nothing; the button then opens it again.
        driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait_for(driver, lambda current: visible(current, "#confirm-ok") is None, "the dialog to close")
        assert node.api(f"/email-validations/{job_id}")[0] == 200
        driver.find_element(By.ID, "delete-job").send_keys(Keys.ENTER)
        wait_for(driver, lambda current: visible(current, "#confirm-ok"), "the confirmation").click()
        assert message(driver, "deleted") == 'Job "Spring newsletter" deleted.'
        wait_for(driver, lambda current: visible(current, "#jobs-table"), "the jobs list")
        assert node.api(f"/email-validations/{job_id}")[0] == 410
        assert console_errors(driver) == []


async def test_sign_in_upload_watch_chart_download_and_delete(
    web_node: WebNode, mail_farm: MailFarm, tmp_path: Path
) -> None:
    # Slow replies keep the job running long enough to be seen in progress.
    mail_farm.set_latency(0.3)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    await asyncio.to_thread(_upload_watch_chart_download_delete, web_node, downloads)


def _refused(node: WebNode, reader_sid: str, reader_token: str, downloads: Path) -> None:
    with chromium(downloads) as driver:
        sign_in(driver, node.url, node.account.sid, "not-the-token")
        assert message(driver, "Unauthorized") == "Unauthorized: Invalid username or password."
        assert visible(driver, "#username") is not None

        sign_in(driver, node.url, reader_sid, reader_token)
        delete = wait_for(
            driver,
            lambda current: visible(current, "#jobs-table tbody button.danger"),
            "the job's delete button",
        )
        delete.click()
        wait_for(driver, lambda current: visible(current, "#confirm-ok"), "the confirmation").click()
        lacked = "'email-verifications:delete:own'"
        assert message(driver, lacked) == (
            f"Forbidden: The credentials lack the {lacked} permission for this operation."
        )
        driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/credits']").click()
        assert message(driver, "'credits:read'") == (
            "Forbidden: The credentials lack the 'credits:read' permission for this operation."
        )
        assert console_errors(driver) == []


async def test_a_wrong_password_and_a_forbidden_action_show_the_api_message(
    web_node: WebNode, pool: asyncpg.Pool[Any], tmp_path: Path
) -> None:
    reader = await create_test_user(
        pool, web_node.account.account_id, ("email-verifications:read", "email-verifications:write")
    )
    status, _ = await asyncio.to_thread(web_node.api, "/credits/balance")
    assert status == 200
    await asyncio.to_thread(_submit_with_api, web_node)
    await asyncio.to_thread(_refused, web_node, reader.sid, reader.token, tmp_path)


def _submit_with_api(node: WebNode) -> None:
    """Submit a one-entry job with the owner's credentials and wait for it to complete (blocking)."""
    status, body = node.api("/email-validations", {"entries": [{"inputData": "alice@postfix.mailfarm.net"}]})
    assert status in (200, 202), body
    deadline = time.monotonic() + 10
    while node.api_json("/email-validations")["data"][0]["status"] != "Completed":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _workbook(folder: Path) -> Path:
    path = folder / "crm.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["nothing to verify here"])
    contacts = workbook.create_sheet("Contacts")
    for row in [
        ("Company", "Email"),
        ("Acme", "alice@postfix.mailfarm.net"),
        ("Initech", "nobody@postfix.mailfarm.net"),
    ]:
        contacts.append(row)
    contacts.append(("Left out", "bob@exim.mailfarm.net"))
    workbook.save(path)
    return path


def _job_inputs(node: WebNode, driver: Chrome) -> list[str]:
    """Wait for the job page the client moved to after a submission; the job's inputs from the API."""
    wait_for(
        driver,
        lambda current: (
            current.execute_script("return document.getElementById('job-status')?.textContent") == "Completed"
        ),
        "the job to complete",
    )
    job_id = driver.current_url.rsplit("/", 1)[1]
    return [entry["inputData"] for entry in _api_entries(node, job_id)]


def _days_used(driver: Chrome) -> list[list[Any]] | None:
    """The days the usage chart draws with credits used, once it is drawn."""
    days: list[list[Any]] | None = driver.execute_script(
        "const chart = Chart.getChart(document.getElementById('usage-chart'));"
        "if (!chart) return null;"
        "const [packs, free] = chart.data.datasets.map((dataset) => dataset.data);"
        "const days = chart.data.labels.map((day, i) => [day, packs[i] + free[i]]);"
        "return days.filter(([, used]) => used > 0);"
    )
    return days


def _xlsx_paste_and_credits(node: WebNode, downloads: Path) -> None:
    with chromium(downloads) as driver:
        sign_in(driver, node.url, node.account.sid, node.account.token)
        wait_for(driver, lambda current: visible(current, "#jobs-table"), "the jobs list")
        driver.get(f"{node.url}/app/#/upload")
        file_input = wait_for(
            driver, lambda current: current.find_element(By.ID, "input-file"), "the upload form"
        )
        file_input.send_keys(str(_workbook(downloads.parent)))
        sheet = wait_for(driver, lambda current: visible(current, "#sheet option:nth-child(2)"), "the sheets")
        assert sheet.text == "Contacts"
        Select(driver.find_element(By.ID, "sheet")).select_by_visible_text("Contacts")
        wait_for(
            driver,
            lambda current: (
                [cell.text for cell in current.find_elements(By.CSS_SELECTOR, "#preview td.chosen")][:2]
                == ["Email", "alice@postfix.mailfarm.net"]
            ),
            "the Contacts preview",
        )
        assert driver.find_element(By.ID, "first-row").get_attribute("value") == "2"
        driver.find_element(By.ID, "last-row").send_keys("3")
        driver.find_element(By.ID, "submit-job").click()
        assert _job_inputs(node, driver) == ["alice@postfix.mailfarm.net", "nobody@postfix.mailfarm.net"]

        driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/upload']").click()
        wait_for(driver, lambda current: visible(current, "#source-paste"), "the upload form").click()
        driver.find_element(By.ID, "pasted").send_keys("bob@exim.mailfarm.net\n\n  zed@exim.mailfarm.net \n")
        Select(driver.find_element(By.ID, "quality")).select_by_value("High")
        driver.find_element(By.ID, "submit-job").click()
        assert _job_inputs(node, driver) == ["bob@exim.mailfarm.net", "zed@exim.mailfarm.net"]

        open_credits(driver, node.api_json("/credits/balance")["creditPacks"])
        usage = node.api_json("/credits/daily-usage")["data"]
        drawn = wait_for(driver, _days_used, "the usage chart")
        # Two Standard entries and two High ones (2 credits each), all from the free daily credits.
        assert (
            drawn
            == [[day["date"], day["creditPacks"] + day["freeCredits"]] for day in usage]
            == [[usage[0]["date"], 6]]
        )
        assert console_errors(driver) == []


async def test_xlsx_sheet_and_rows_a_pasted_list_and_the_credits_chart(
    web_node: WebNode, tmp_path: Path
) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    await asyncio.to_thread(_xlsx_paste_and_credits, web_node, downloads)
