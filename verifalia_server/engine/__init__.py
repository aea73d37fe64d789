"""Address verification engine: syntax, lists, DNS and SMTP checks; no HTTP, no database."""

from verifalia_server.engine.config import ConfigError, EngineConfig
from verifalia_server.engine.engine import Engine
from verifalia_server.engine.statuses import Classification, Status, classify, v1_status
from verifalia_server.engine.verdict import Evidence, Quality, Verdict, VerificationRequest

__all__ = [
    "Classification",
    "ConfigError",
    "Engine",
    "EngineConfig",
    "Evidence",
    "Quality",
    "Status",
    "Verdict",
    "VerificationRequest",
    "classify",
    "v1_status",
]
