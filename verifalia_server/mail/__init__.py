"""Outgoing notification mail, handed to a configured SMTP relay (never the engine's prober)."""
