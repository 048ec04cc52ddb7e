"""request_ids: request ids and log-safe text, what every layer stamps on faults and log lines.

The request_id filter, the server, the guard and urlmap all use these; the
module imports nothing of stackapi but the context's environ key, so the core
never depends on a filter.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import re
from collections.abc import Iterator

from stackapi.request_context import ENVIRON_KEY as CONTEXT_KEY

HEADER = "x-openstack-request-id"
ENVIRON_KEY = "openstack.request_id"
GLOBAL_ENVIRON_KEY = "openstack.global_request_id"
_VALID_ID = re.compile(r"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")

#: The id of the request the current green thread (or thread) is handling.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "stackapi_request_id", default=None
)


#: The environ of that request (the request_id filter sets it): log records take the
#: global request id, the user and the project from it.
current_environ: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "stackapi_environ", default=None
)


# The variant nibble of a uuid4 is 10xx: its two low bits stay random.
_VARIANT = {f"{n:x}": "89ab"[n & 3] for n in range(16)}


@contextlib.contextmanager
def logging_request_id(request_id: str | None) -> Iterator[None]:
    """Log records made in the block carry ``request_id``: for code that logs about a
    request outside this filter (the server's refusals, the guard)."""
    token = current_request_id.set(request_id)
    try:
        yield
    finally:
        current_request_id.reset(token)


def new_request_id() -> str:
    """``req-`` and a random (version 4) UUID, as ``str(uuid.uuid4())`` writes it.

    Built from ``os.urandom`` directly: ``uuid.uuid4()`` costs ~7 us here, most of
    it in ``UUID``'s checks and formatting, and this runs on every request.
    """
    h = os.urandom(16).hex()
    return f"req-{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def is_valid_request_id(value: str | None) -> bool:
    return bool(value) and _VALID_ID.match(value) is not None  # type: ignore[arg-type]


def install_log_record_factory() -> None:
    """Give every log record ``request_id`` (``"-"`` outside a request), and
    ``global_request_id``, ``user_id``, ``project_id`` (``"-"`` when not known).

    Idempotent.  A record factory rather than a ``logging.Filter`` because
    ``logging.config.fileConfig`` cannot attach filters to handlers, and a
    factory reaches every handler an operator configures.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stackapi_request_id", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id.get() or "-"
        environ = current_environ.get()
        if environ is None:
            record.global_request_id = record.user_id = record.project_id = "-"
        else:
            context = environ.get(CONTEXT_KEY)
            record.global_request_id = environ.get(GLOBAL_ENVIRON_KEY) or "-"
            record.user_id = getattr(context, "user_id", None) or "-"
            record.project_id = getattr(context, "project_id", None) or "-"
        return record

    factory.stackapi_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


# Controls, spaces, quotes and non-ASCII are %-escaped in log lines.
_ESCAPES = {c: f"%{c:02X}" for c in (*range(0x21), 0x22, 0x7F, *range(0x80, 0x100))}


def printable(text: str) -> str:
    """``text`` for a log line: controls, spaces, quotes and non-ASCII %-escaped."""
    return text.translate(_ESCAPES)
