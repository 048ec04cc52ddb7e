"""Workers: ``--workers N`` forks N serving processes that share one listening socket.

The parent binds once, forks with ``os`` and never loads the app nor runs
eventlet: each worker patches, loads the app and runs :class:`stackapi.server.process.Server`.
Signal handlers only record the signal; the parent's loop acts on it.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from stackapi.errors import StackapiError
from stackapi.server import notify, process
from stackapi.server.listener import close_listener
from stackapi.server.settings import ServerSettings

LOG = logging.getLogger("stackapi.workers")

BOOT_TIMEOUT = 120.0  # seconds a new worker may take to load the app
HEALTHY_AFTER = 10.0  # a worker that lived this long did not crash-loop
BACKOFF_FIRST = 0.5  # seconds before respawning after a first quick death ...
BACKOFF_MAX = 30.0  # ... doubling per quick death up to this
STOP_MARGIN = 5.0  # seconds past graceful_shutdown_timeout before SIGKILL
_POLL_SECONDS = 0.5
_EX_CONFIG = 78  # sysexits.h: a worker could not load the configuration
_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
# Bound at import, in the parent: after process.patch() os.write is eventlet's, which
# retries EPIPE for ever, and a worker whose parent died must fail to report, not spin.
_os_write = os.write


@dataclass
class Worker:
    """A forked worker as the parent sees it."""

    pid: int
    generation: int
    started: float
    ready_fd: int  # read end of the pipe the worker reports "ready" or "error ..." on
    ready: bool = False
    retiring: bool = False  # the parent sent it SIGTERM
    error: str = ""


class Arbiter:
    """The ``--workers N`` parent process (cf. gunicorn's arbiter)::

        arbiter = Arbiter(sock, settings, load_app=..., read_settings=...)
        exit_code = arbiter.run()

    - Starts one worker, then the others together; each reports on a pipe
      once its app is loaded.  If the very first cannot load the app, ``run``
      raises its StackapiError (one line; nothing was served).
    - A worker that dies is replaced.  Each death within ``HEALTHY_AFTER``
      seconds of its start doubles the wait before the next start (0.5 s up
      to 30 s), so a crash loop does not spin.
    - SIGHUP: re-read ``[server:main]`` (``read_settings``), then replace the
      workers one at a time: a new worker must load the new ini before an old
      one is stopped.  If it cannot, one ERROR line and the old workers go on.
    - SIGTERM/SIGINT: close the listening socket, relay SIGTERM (each worker
      drains), wait, exit 0.  A second one: SIGKILL the workers, exit
      ``128 + signal number``.

    Workers run in their own process group so that a terminal's Ctrl-C
    reaches only the parent, which relays it once.
    """

    def __init__(
        self,
        listener: socket.socket,
        settings: ServerSettings,
        load_app: Callable[[], Callable],
        read_settings: Callable[[], ServerSettings],
    ) -> None:
        self.listener = listener
        self.settings = settings
        self.load_app = load_app
        self.read_settings = read_settings
        self.workers: dict[int, Worker] = {}
        self.generation = 0  # of the settings in force; 0 = none yet
        self.pending: tuple[int, ServerSettings] | None = (1, settings)
        self.received: list[int] = []
        self.stopping = False
        self.stop_deadline: float | None = None
        self.failures = 0
        self.next_spawn = 0.0
        self.parent_pid = os.getpid()  # what a worker compares os.getppid() with

    def run(self) -> int:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        self._wake_fds = (wake_r, wake_w)
        signal.set_wakeup_fd(wake_w)
        for signum in _HANDLED:
            signal.signal(signum, self._record)
        try:
            return self._loop()
        finally:
            signal.set_wakeup_fd(-1)
            os.close(wake_r)
            os.close(wake_w)

    def _record(self, signum: int, frame: object) -> None:
        self.received.append(signum)  # only record: the loop acts

    def _loop(self) -> int:
        while True:
            self._reap()
            for signum in self._take_signals():
                if signum in (signal.SIGTERM, signal.SIGINT):
                    if self.stopping:
                        return self._kill_all(signal.Signals(signum))
                    self._begin_stop(signal.Signals(signum))
                elif signum == signal.SIGHUP and not self.stopping:
                    self._reload()
            if self.stopping:
                if not self.workers:
                    LOG.info("all workers stopped")
                    return 0
                self._enforce_stop_deadline()
            else:
                self._maintain()
            self._wait()

    def _take_signals(self) -> list[int]:
        taken, self.received = self.received, []
        return [s for s in taken if s != signal.SIGCHLD]  # SIGCHLD only wakes the loop

    # -- starting and replacing workers ------------------------------------

    def _maintain(self) -> None:
        """One step towards ``workers`` ready workers of the newest generation.

        A new configuration is tried by one worker first; while older workers
        remain, new ones start one at a time, each stopping an old one once
        ready.  Otherwise the missing workers start together.
        """
        live = [w for w in self.workers.values() if not w.retiring]
        booting = [w for w in live if not w.ready]
        self._check_boot_timeouts(booting)
        if self.pending is not None:
            if not any(w.generation == self.pending[0] for w in live):
                self._spawn(*self.pending)
            return
        current = [w for w in live if w.generation == self.generation]
        old = sorted((w for w in live if w.generation != self.generation), key=lambda w: w.pid)
        ready = sum(w.ready for w in current)
        while old and ready + len(old) > self.settings.workers:
            self._retire(old.pop(0))  # only for a new worker that is ready
        missing = self.settings.workers - len(current)
        if old and booting:
            return  # rolling: one new worker at a time
        if missing > 0 and time.monotonic() >= self.next_spawn:
            for _ in range(1 if old else missing):
                self._spawn(self.generation, self.settings)

    def _spawn(self, generation: int, settings: ServerSettings) -> None:
        ready_r, ready_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        # Held until the child has its own handlers: a SIGTERM sent to it in between
        # would run the parent's handler, copied by the fork, and be lost.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            self._work(settings, ready_w, mask)  # never returns
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(ready_w)
        self.workers[pid] = Worker(pid, generation, time.monotonic(), ready_r)
        LOG.info("worker %d started (generation %d)", pid, generation)

    def _work(self, settings: ServerSettings, ready_w: int, mask: set) -> None:
        """In the child: patch, load the app, report, serve; always ``os._exit``."""
        code = 1
        try:
            self._detach_from_parent()
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending SIGTERM: default
            process.patch()
            try:
                app = self.load_app()
            except StackapiError as exc:
                _report(ready_w, f"error {exc}")
                code = _EX_CONFIG
                return
            _report(ready_w, "ready")
            code = process.Server(self.listener, settings, parent_pid=self.parent_pid).serve(app)
        except BaseException:
            LOG.exception("worker %d failed", os.getpid())
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _detach_from_parent(self) -> None:
        signal.set_wakeup_fd(-1)
        for signum in _HANDLED:
            signal.signal(signum, signal.SIG_DFL)
        for fd in (*self._wake_fds, *(w.ready_fd for w in self.workers.values())):
            if fd >= 0:
                os.close(fd)
        os.setpgid(0, 0)  # a terminal's Ctrl-C goes to the parent only

    def _retire(self, worker: Worker) -> None:
        worker.retiring = True
        LOG.info("stopping worker %d (generation %d)", worker.pid, worker.generation)
        _signal(worker.pid, signal.SIGTERM)

    def _check_boot_timeouts(self, booting: list[Worker]) -> None:
        for worker in booting:
            if time.monotonic() - worker.started > BOOT_TIMEOUT:
                worker.error = f"not ready after {BOOT_TIMEOUT:.0f}s"
                _signal(worker.pid, signal.SIGKILL)

    def _reload(self) -> None:
        try:
            settings = self.read_settings()
        except StackapiError as exc:
            LOG.error("reload failed, still serving the previous configuration: %s", exc)
            return
        notify.notify("RELOADING=1", notify.monotonic_usec())
        self.settings.carry_restart_only(settings)
        newest = max([self.generation, *(w.generation for w in self.workers.values())])
        self.pending = (newest + 1, settings)
        self.failures, self.next_spawn = 0, 0.0
        LOG.info("SIGHUP: replacing the workers one at a time (generation %d)", newest + 1)

    # -- watching workers -----------------------------------------------------

    def _wait(self) -> None:
        booting = {w.ready_fd: w for w in self.workers.values() if not w.ready and w.ready_fd >= 0}
        try:
            readable, _, _ = select.select([self._wake_fds[0], *booting], [], [], _POLL_SECONDS)
        except InterruptedError:
            return
        for fd in readable:
            if fd == self._wake_fds[0]:
                os.read(fd, 4096)  # the signal numbers; the handlers recorded them
            else:
                self._read_report(booting[fd])

    def _read_report(self, worker: Worker) -> None:
        message = _read_until_eof(worker.ready_fd)
        os.close(worker.ready_fd)
        worker.ready_fd = -1
        if message == "ready":
            worker.ready = True
            LOG.info(
                "worker %d ready (generation %d, app loaded in %.1fs)",
                worker.pid,
                worker.generation,
                time.monotonic() - worker.started,
            )
            if self.pending is not None and worker.generation == self.pending[0]:
                first = self.generation == 0
                self.generation, self.settings = self.pending
                self.pending = None
                if first:
                    LOG.info("ready: %d worker(s) starting", self.settings.workers)
                notify.notify("READY=1")  # the first start, or a reload now serving
        else:
            worker.error = message.removeprefix("error ")

    def _reap(self) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is not None:
                self._exited(worker, os.waitstatus_to_exitcode(status))

    def _exited(self, worker: Worker, code: int) -> None:
        if worker.ready_fd >= 0:
            worker.error = worker.error or _read_until_eof(worker.ready_fd).removeprefix("error ")
            os.close(worker.ready_fd)
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        if worker.retiring or self.stopping:
            LOG.info("worker %d exited (%s)", worker.pid, how)
            return
        if worker.ready:
            LOG.warning("worker %d died (%s)", worker.pid, how)
        elif self._boot_failed(worker, worker.error or f"it exited before it was ready ({how})"):
            return  # a reload that failed: the workers in place go on, nothing to replace
        self._schedule_respawn(worker)

    def _boot_failed(self, worker: Worker, reason: str) -> bool:
        """Log why a worker could not start; True if it was a reload's first new worker."""
        is_pending = self.pending is not None and worker.generation == self.pending[0]
        if is_pending and self.generation == 0:
            raise StackapiError(reason)  # the first worker: nothing is being served
        if is_pending:
            LOG.error("reload failed, still serving the previous configuration: %s", reason)
            self.pending = None
            notify.notify("READY=1")
        else:
            LOG.error("worker %d could not start: %s", worker.pid, reason)
        return is_pending

    def _schedule_respawn(self, worker: Worker) -> None:
        if time.monotonic() - worker.started >= HEALTHY_AFTER:
            self.failures = 0
            return
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2**self.failures)
        self.failures += 1
        self.next_spawn = time.monotonic() + delay
        LOG.warning(
            "worker %d lived under %ss: next start in %.1fs", worker.pid, HEALTHY_AFTER, delay
        )

    # -- stopping -------------------------------------------------------------

    def _begin_stop(self, signum: signal.Signals) -> None:
        self.stopping = True
        notify.notify("STOPPING=1")
        timeout = self.settings.graceful_shutdown_timeout
        self.stop_deadline = time.monotonic() + timeout + STOP_MARGIN if timeout else None
        close_listener(self.listener, self.settings)
        LOG.info("%s: stopping %d worker(s)", signum.name, len(self.workers))
        for worker in self.workers.values():
            worker.retiring = True
            _signal(worker.pid, signal.SIGTERM)

    def _enforce_stop_deadline(self) -> None:
        if self.stop_deadline is not None and time.monotonic() > self.stop_deadline:
            LOG.warning("workers still running after the graceful timeout: SIGKILL")
            for pid in self.workers:
                _signal(pid, signal.SIGKILL)
            self.stop_deadline = None

    def _kill_all(self, signum: signal.Signals) -> int:
        LOG.warning("second %s: killing %d worker(s) now", signum.name, len(self.workers))
        for pid in list(self.workers):
            _signal(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        return 128 + int(signum)


def _report(fd: int, message: str) -> None:
    data = (message.replace("\n", " ") + "\n").encode()
    while data:
        data = data[_os_write(fd, data) :]
    os.close(fd)


def _read_until_eof(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace").strip()


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass  # already gone: the reaper will see it
