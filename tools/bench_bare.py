"""Server (a) of tools/bench.py, the reference: the bare WSGI function on plain eventlet.wsgi.

``eventlet.wsgi.server`` as eventlet ships it (its own GreenPool of ``pool_size``,
the ini's keep-alive and socket timeout, no per-request log line), nothing of
stackapi in the request path: every ratio in the report is against this.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import warnings

from stackapi.loader import read_server_section, setup_logging
from stackapi.server.settings import ServerSettings

LOG = logging.getLogger("stackapi.server")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the bench ini ([server:main], logging)")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", default=None)
    args = parser.parse_args(argv)
    settings = ServerSettings.from_sources(
        read_server_section(args.config), {"host": args.host, "port": args.port}, args.config
    )
    setup_logging(args.config)
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet
    import eventlet.wsgi

    eventlet.monkey_patch()
    from bench_apps import bare_app  # after the patch: its time.sleep is the green one

    sock = eventlet.listen((settings.host, settings.port), backlog=settings.backlog)
    LOG.info("listening on http://%s:%d", *sock.getsockname()[:2])
    server = eventlet.spawn(
        eventlet.wsgi.server,
        sock,
        bare_app,
        max_size=settings.pool_size,
        log_output=False,
        keepalive=settings.keepalive_timeout if settings.keepalive else False,
        socket_timeout=settings.client_socket_timeout or None,
    )
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    while not stop and not server.dead:
        eventlet.sleep(0.1)
    server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
