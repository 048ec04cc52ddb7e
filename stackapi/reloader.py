"""``stackapi-server --reload``: a new server process whenever an imported file or the ini changes.

Built on hupper (Pyramid's reloader): the first process becomes a monitor that
runs the server in a child process, watches every Python file the child imported
and the ini, and on a change stops the child (SIGTERM, then SIGKILL) before it
starts the next one, so no two servers ever hold the port.  A child that fails
to load (a broken edit) prints its one error line and exits; the monitor then
waits for the next change.  For development: one process, no workers.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import hupper
from hupper.polling import PollingFileMonitor, get_mtime
from hupper.reloader import find_default_monitor_factory

from stackapi.errors import StackapiError
from stackapi.loader import inspect_config, setup_logging
from stackapi.reports import use_app_dirs

LOG = logging.getLogger("stackapi.reload")
#: Flags that print something and exit: nothing to reload.
_REPORTS = ("check", "routes", "routes_for", "openapi")


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reload",
        action="store_true",
        help="development: restart the server when an imported Python file or the ini changes "
        "(one process; not with --workers > 1)",
    )


def start(args: argparse.Namespace, argv: list[str], workers: Callable[[], int]) -> None:
    """Become the monitor (this never returns), or, in the server process, watch the ini.

    ``workers()`` reads the number of workers the ini and the flags ask for; more
    than one is refused here, before anything starts.
    """
    if hupper.is_active():  # the server process the monitor started
        hupper.get_reloader().watch_files([os.path.abspath(args.config)])
        try:  # resolving the ini imports its modules: watched before the server listens
            use_app_dirs(args.app_dir)
            inspect_config(args.config, args.name)
        except StackapiError:
            pass  # the server's own load says what is wrong
        _watch_modules()
        return
    reports = [name for name in _REPORTS if getattr(args, name, None) not in (None, False)]
    if reports:
        flag = "--" + reports[0].replace("_", "-")
        raise StackapiError(f"--reload restarts a server; {flag} serves nothing")
    try:
        count = workers()
    except StackapiError:
        count = 1  # the server process will say what is wrong, and wait for an edit
    if count > 1:
        raise StackapiError(
            f"--reload runs one server process; workers = {count} (from --workers or "
            "[server:main]) cannot be reloaded: use --workers 1"
        )
    try:
        setup_logging(args.config)  # the monitor's lines look like the server's
    except StackapiError:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    logger = _HupperLog()
    hupper.start_reloader(
        "stackapi.cli.main",
        logger=logger,
        monitor_factory=_monitor_factory(logger),
        worker_kwargs={"argv": list(argv)},
    )


def watch_failure(error: BaseException) -> None:
    """After a failed load, watch the files the error came from (a module that did not
    import is not in ``sys.modules``, where hupper looks for files to watch)."""
    if not hupper.is_active():
        return
    files = set()
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, SyntaxError) and seen.filename:
            files.add(seen.filename)
        files.update(frame.filename for frame in traceback.extract_tb(seen.__traceback__))
        seen = seen.__cause__ or seen.__context__
    existing = [name for name in files if os.path.isfile(name)]
    if existing:
        hupper.get_reloader().watch_files(existing)


def leave(code: int) -> None:
    """In the server process under the monitor: tell it every imported file, exit now.

    At once, with ``os._exit``: hupper's file poller is a thread started before
    eventlet patched ``threading``, and joining it at a normal exit hangs (the
    monitor would then kill the process) or prints a traceback.
    """
    if not hupper.is_active():
        return
    _watch_modules()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _watch_modules() -> None:
    """Send the monitor the file of every module imported so far, now.

    hupper's own thread does it every second; a file edited before then and
    after its import would not be seen.
    """
    modules = list(sys.modules.values())
    files = [m.__file__ for m in modules if isinstance(getattr(m, "__file__", None), str)]
    hupper.get_reloader().watch_files([name for name in files if os.path.isfile(name)])


def _monitor_factory(logger: _HupperLog) -> Any:
    """hupper's choice (watchman, watchdog), but for its polling: ours."""
    found = find_default_monitor_factory(logger)
    return _Polling if found is PollingFileMonitor else found


class _Polling(PollingFileMonitor):
    """hupper's polling monitor, but a file's first mtime is read when the file is
    added, not at the next poll: an edit in the second after it was added counts."""

    def add_path(self, path: str) -> None:
        with self.lock:
            if path not in self.paths:
                self.mtimes.setdefault(path, get_mtime(path))
                self.paths.add(path)


class _HupperLog:
    """hupper's messages as log lines of ``stackapi.reload`` (hupper's ILogger)."""

    def error(self, message: str) -> None:
        LOG.error("%s", message)

    def info(self, message: str) -> None:
        LOG.info("%s", message)

    def debug(self, message: str) -> None:
        LOG.debug("%s", message)


def argv_of(argv: list[str] | None) -> list[str]:
    """The arguments the server process gets: the ones this process got."""
    return list(sys.argv[1:] if argv is None else argv)
