"""The LeadRocks-compatible realtime and bulk verification API (`/v1/...`): routes in `routes`."""
