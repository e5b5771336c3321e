"""JSON log lines on stderr: one object per record, `extra=` fields included."""

import logging
import time
from typing import Any

import orjson

_STANDARD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            {key: value for key, value in vars(record).items() if key not in _STANDARD_FIELDS}
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


# uvicorn's lines per WebSocket, which no setting turns off as `access_log` does for HTTP: one each
# for every socket of an opening burst, and the accepted line quotes the ticket from the query
# string.
PER_CONNECTION_MESSAGES = frozenset(
    {
        '%s - "WebSocket %s" [accepted]',
        '%s - "WebSocket %s" 403',
        '%s - "WebSocket %s" %d',
        "connection open",
        "connection closed",
    }
)


class DropPerConnectionLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "uvicorn.error" and record.msg in PER_CONNECTION_MESSAGES)


# Passed to uvicorn as log_config: its loggers and ours all print through the JSON formatter.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ticketing.jsonlog.JsonFormatter"}},
    "filters": {"per_connection": {"()": "ticketing.jsonlog.DropPerConnectionLines"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
            "filters": ["per_connection"],
        }
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        name: {"handlers": [], "propagate": True}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    },
}
