"""notify: systemd's notify protocol (``Type=notify`` units), when ``NOTIFY_SOCKET`` is set.

``READY=1`` once the app is loaded and the socket listens, ``RELOADING=1`` with
``MONOTONIC_USEC`` on SIGHUP and ``READY=1`` after it, ``STOPPING=1`` on SIGTERM.
Only the main process speaks (systemd's default ``NotifyAccess=main``).
"""

from __future__ import annotations

import logging
import os
import socket
import time

LOG = logging.getLogger("stackapi.server")


def notify(*fields: str) -> None:
    """Send ``fields`` (``"READY=1"`` ...) to ``$NOTIFY_SOCKET``; nothing without it."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):  # an abstract socket
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(path)
            sock.sendall("\n".join(fields).encode())
    except OSError as exc:
        LOG.warning("cannot notify systemd at %s: %s", path, exc.strerror or exc)


def monotonic_usec() -> str:
    """The ``MONOTONIC_USEC=`` field systemd wants with ``RELOADING=1``."""
    return f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}"
