"""Completion callbacks, apart from any API surface: the dispatcher that POSTs them (`dispatcher`) and the
resolver and address guard their hosts go through (`resolver`).

The node (`node.py`) builds and runs the dispatcher; the v2 surface checks a submitted callback URL with
`dispatcher.check_callback_url` and `check_callback_destination`. Nothing here imports `api/`.
"""
