"""runner: ``[server:main] use = egg:stackapi#server``, so that ``pserve`` serves an ini too.

A ``paste.server_runner``.  pserve loads the server before the app, so this
module patches the standard library when it is imported (as gunicorn's eventlet
worker patches when it starts): the app's imports then see green sockets and
locks.  Only PasteDeploy's server loading imports it; ``import stackapi`` never does.
One process (``workers`` must be 1: pserve has no place to fork from); SIGHUP
is not a reload here (use ``pserve --reload`` or ``stackapi-server``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from stackapi.server import quiet_import_notices

quiet_import_notices()
from stackapi.server import listener, process  # noqa: E402 - the notices are quiet first
from stackapi.server.settings import ServerSettings  # noqa: E402

process.patch()
LOG = logging.getLogger("stackapi.server")


def server_runner(wsgi_app: Callable, global_conf: dict, **local_conf: str) -> None:
    """Serve ``wsgi_app`` with the ``[server:main]`` keys, until SIGTERM or SIGINT."""
    path = global_conf.get("__file__")
    settings = ServerSettings.from_sources(local_conf, path=path)
    if settings.workers > 1:
        raise settings.error(
            "workers", "pserve serves one process: run stackapi-server for workers"
        )
    sock = listener.listen(settings)
    LOG.info("listening on %s", listener.url_of(sock, settings))
    try:
        code = process.Server(sock, settings).serve(wsgi_app)
    finally:
        listener.close_listener(sock, settings)
    if code:
        raise SystemExit(code)
