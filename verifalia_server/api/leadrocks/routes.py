"""The LeadRocks-compatible realtime and bulk verification API (`/v1/...`) on the shared accounts and engine.

Routes: `GET /v1/getcredits`, `POST /v1/verify`, `POST /v1/bulkverify`, `GET /v1/bulkverify/{list_id}`,
`GET /v1/bulkverify/{list_id}/download`. Every request carries an app token (`Authorization: <token>` or
`Authorization: Bearer <token>`); errors are `{"status": "failed", "error": {"code", "message"}}`.
"""

from __future__ import annotations

from aiohttp import web

from verifalia_server.api.leadrocks import bulk, realtime


def setup(app: web.Application) -> None:
    """Add the LeadRocks routes (configured by the application's `LEADROCKS_SETTINGS_KEY`)."""
    app.router.add_get("/v1/getcredits", realtime.get_credits)
    app.router.add_post("/v1/verify", realtime.verify)
    app.router.add_post("/v1/bulkverify", bulk.create_list)
    app.router.add_get("/v1/bulkverify/{list_id}", bulk.list_progress)
    app.router.add_get("/v1/bulkverify/{list_id}/download", bulk.download)
