"""A parsed bulk list becomes a job of the shared scheduler (`service.lists`), in LeadRocks codes."""

from __future__ import annotations

from aiohttp import web

from verifalia_server.api.leadrocks.access import Caller
from verifalia_server.api.leadrocks.csvfile import CsvTable
from verifalia_server.api.leadrocks.upload import ListUpload
from verifalia_server.api.shared.keys import SETTINGS_KEY
from verifalia_server.api.shared.middleware import CLIENT_IP_KEY
from verifalia_server.service import lists


async def submit_list(request: web.Request, caller: Caller, upload: ListUpload, table: CsvTable) -> int:
    """Store the list and its job; error 109 over the app's concurrent lists, 103 without credits."""
    return await lists.submit_list(
        caller.pool,
        request.app[SETTINGS_KEY],
        lists.ListRequest(
            account_id=caller.app.account_id,
            app_id=caller.app.id,
            file_name=upload.file_name,
            email_column=table.header[table.email_index],
            content=upload.content,
            no_of_rows=len(table.rows),
            emails=list(table.emails()),
        ),
        max_lists=caller.limits.max_concurrent_lists,
        client_ip=request.get(CLIENT_IP_KEY) or request.remote or "0.0.0.0",
    )
