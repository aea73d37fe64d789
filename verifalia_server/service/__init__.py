"""The application layer: what the service does, whatever the wire format asks for it.

Submit a job and price it (`submission`, `pricing`), verify one address now (`realtime`), submit a
LeadRocks list (`lists`), read and delete jobs (`jobs`), a user's TOTP second factor (`totp`).
These modules own transactions, locks and prices; business failures are the domain exceptions of
`errors`, which each API surface maps to its own answers.
No HTTP and no SQL here: the API calls in, the store and the engine are called out to.
"""
