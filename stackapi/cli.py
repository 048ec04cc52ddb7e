"""``stackapi-server``: flags, logging, load the ini, serve (or ``--check`` it).

``main(argv) -> exit code``.  Every expected failure is one line on stderr and
exit code 1 (``--debug`` adds the traceback).  eventlet is imported (through
:mod:`stackapi.server`) only once the command is about to serve, and the stdlib
is patched before the app loads.  The app loads first, then the socket is bound:
"listening on" means requests are served.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable

from stackapi import __version__, reloader, reports
from stackapi.errors import StackapiError
from stackapi.loader import check_file, inspect_config, loadapp, read_server_section, setup_logging
from stackapi.server.settings import SERVER_OPTIONS, ServerSettings

PROG = "stackapi-server"
LOG = logging.getLogger("stackapi.server")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve the WSGI app of a PasteDeploy ini on an eventlet GreenPool.",
        epilog=(
            "Server options come from the ini's [server:main] section; flags override it. "
            "Signals: TERM/INT drain and exit 0 (a second one exits at once), "
            "HUP reloads the ini and the app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", required=True, metavar="PATH", help="the paste ini")
    parser.add_argument("--name", default="main", help="the app to load (default: main)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="load everything, print the resolved tree (prefixes, pipelines, filters, apps, "
        "routes) and exit",
    )
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of a failure, not one line"
    )
    reports.add_arguments(parser)  # --app-dir, --routes [--json], --routes-for, --openapi
    reloader.add_argument(parser)  # --reload
    for option in SERVER_OPTIONS:
        # default None = "not given", so that the ini's value stands.
        parser.add_argument(
            "--" + option.name.replace("_", "-"),
            dest=option.name,
            default=None,
            metavar=option.name.upper(),
            help=f"{option.help} (default: {option.default})".replace("%", "%%"),
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.reload:  # the monitor never returns; the server process goes on
            reloader.start(args, reloader.argv_of(argv), lambda: read_settings(args).workers)
        code = run(args)
    except StackapiError as exc:
        if args.reload:
            reloader.watch_failure(exc)  # so that fixing the broken file reloads
        if args.debug:
            traceback.print_exception(exc)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    if args.reload:
        reloader.leave(code)  # the server process under the monitor ends here
    return code


def print_tree(text: str) -> int:
    """Print ``--check``'s tree; a reader that stops early (``| head``) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit.
        sys.stdout = None  # type: ignore[assignment]
    return 0


def read_settings(args: argparse.Namespace) -> ServerSettings:
    """``[server:main]`` of ``--config``, overridden by the flags given (read again on SIGHUP)."""
    flags = {option.name: getattr(args, option.name) for option in SERVER_OPTIONS}
    return ServerSettings.from_sources(read_server_section(args.config), flags, args.config)


def run(args: argparse.Namespace) -> int:
    check_file(args.config)
    reports.use_app_dirs(args.app_dir)
    settings = read_settings(args)
    setup_logging(args.config)
    report = reports.render(args, check=args.check)
    if report is not None:
        return print_tree(report)
    if args.check:
        from stackapi.check import render_tree, shadow_warnings

        for warning in shadow_warnings(args.config):
            print(f"{PROG}: warning: {warning}", file=sys.stderr)
        return print_tree(render_tree(args.config, args.name, settings))
    # eventlet enters the process here, and only here.
    from stackapi.server import quiet_import_notices

    quiet_import_notices()
    from stackapi.server import listener, process

    def load_app() -> Callable:
        return loadapp(args.config, args.name)

    if settings.workers > 1:
        from stackapi.server.workers import Arbiter

        inspect_config(args.config, args.name)  # a broken ini fails before the bind
        sock = listener.listen(settings)  # bound once, before any fork
        LOG.info("listening on %s", listener.url_of(sock, settings))
        try:
            return Arbiter(sock, settings, load_app, lambda: read_settings(args)).run()
        finally:
            listener.close_listener(sock, settings)

    def reload() -> tuple[Callable, ServerSettings]:
        new_settings = read_settings(args)
        # What can fail first: an ini whose app or certificate cannot load changes nothing,
        # its logging sections included.
        app = load_app()
        if new_settings.cert_file:
            listener.tls_context(new_settings)
        setup_logging(args.config)
        return app, new_settings

    process.patch()
    app = load_app()
    sock = listener.listen(settings)
    LOG.info("listening on %s", listener.url_of(sock, settings))
    try:
        return process.Server(sock, settings, reload=reload).serve(app)
    finally:
        listener.close_listener(sock, settings)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
