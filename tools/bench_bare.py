"""Server (a) of tools/bench.py: the bare WSGI function on stackapi's own eventlet server.

Same ``server.listen`` and ``server.Server(...).serve`` as ``stackapi-server`` (one
process), same ``[server:main]`` of the same ini (pool, socket timeout, keep-alive,
protocol limits, debug=False), no framework: what the stack costs on top is the framework's.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from stackapi.loader import read_server_section, setup_logging
from stackapi.settings import ServerSettings


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
    from stackapi import server  # eventlet enters here, as in stackapi.cli

    server.patch()
    from bench_apps import bare_app  # after patch(): its time.sleep is the green one

    sock = server.listen(settings)
    try:
        return server.Server(sock, settings).serve(bare_app)
    finally:
        server.close_listener(sock, settings)


if __name__ == "__main__":
    sys.exit(main())
