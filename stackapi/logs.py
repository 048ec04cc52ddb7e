"""logs: log lines for machines -- :class:`JSONFormatter`, one JSON object per line.

Usable wherever ``logging`` takes a formatter class, the ini's ``[formatter_*]``
sections included.  The request's ids, user and project come from the attributes
stackapi's log-record factory gives every record (:mod:`stackapi.request_ids`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

#: Record attributes copied into the object when they are known (not ``"-"``).
_REQUEST_FIELDS = ("request_id", "global_request_id", "user_id", "project_id")


class JSONFormatter(logging.Formatter):
    """One JSON object per log record, on one line.

    ::

        [handler_stderr]
        class = StreamHandler
        args = (sys.stderr,)
        formatter = json

        [formatter_json]
        class = stackapi.logs.JSONFormatter

    Keys: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
    ``message``, ``process``; ``request_id``, ``global_request_id``, ``user_id``
    and ``project_id`` when known; ``exception`` (the traceback as text) when the
    record has one.  The section's ``format`` and ``datefmt``, if any, are not used.
    Characters outside ASCII are escaped, so a line is always one line of ASCII.
    """

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name in _REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value not in (None, "-"):
                document[name] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, default=str)


def _utc(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created * 1000) % 1000:03d}Z"
