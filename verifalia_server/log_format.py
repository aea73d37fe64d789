"""The log line formats: plain text (the default) or one JSON object per line.

`VERIFALIA_LOG_FORMAT=json` writes each record as a JSON object with `time`, `level`, `logger` and
`message`, plus the structured fields a record carries in its `fields` attribute (the access log's).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import orjson

from verifalia_server.environment import ConfigError

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record, its structured fields and any exception as one line of JSON."""
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def formatter(environ: Mapping[str, str]) -> logging.Formatter:
    """The formatter VERIFALIA_LOG_FORMAT names (`text` by default)."""
    name = environ.get("VERIFALIA_LOG_FORMAT", "").strip().lower() or "text"
    if name not in FORMATS:
        raise ConfigError(f"VERIFALIA_LOG_FORMAT must be text or json, got {name!r}")
    return JsonLinesFormatter() if name == "json" else logging.Formatter(TEXT_FORMAT)
