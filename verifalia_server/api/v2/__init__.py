"""Verifalia API v2.x, under any `/v2.Y` prefix: routes in `routes`."""
