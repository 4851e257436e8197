"""How the processes log: INFO by default, one line per event, plain text or JSON (LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries whose own lines would stand above (and repeat) the bot's one friendly line: urllib3
# logs each retry of a refused connection ("Retrying ... MaxRetryError") before the connector
# reports the failure in words.
# reports the failure in words. Alembic tells its internals at INFO; the store logs what it did.
QUIET: Final = {"urllib3": logging.ERROR, "asyncio": logging.WARNING, "alembic": logging.WARNING}


class OneLine(logging.Formatter):
    """Plain text, one line per event: a traceback is folded onto the line it belongs to."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", " | ")


class JsonLines(logging.Formatter):
    """One JSON object per line, for log collectors: time, level, logger, message (and the exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(env: Mapping[str, str], default_level: str = "INFO") -> None:
    """Root logging from LOG_LEVEL (default INFO) and LOG_FORMAT (`text`, the default, or `json`)."""
    level = env.get("LOG_LEVEL", default_level).strip().upper() or default_level
    fmt = env.get("LOG_FORMAT", "text").strip().lower()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else OneLine(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else default_level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
