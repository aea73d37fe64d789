"""Verifalia API v1.4 (`/v1.4/...`): routes and handlers in `handlers`."""
