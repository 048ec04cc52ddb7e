"""A throwaway PostgreSQL server for the tests: Debian's binaries, its data directory in tmp.

``PostgresServer.start(directory)`` runs ``initdb`` and ``postgres`` from
``/usr/lib/postgresql/*/bin`` (the ``postgresql`` package, which .ci/run
installs) on 127.0.0.1 and a free port, TCP only, ``fsync`` off (the tests
kill stackapi servers, never PostgreSQL: what they check is what a commit
made visible).  ``stop()`` ends it by its PID.

PostgreSQL refuses to run as root.  As root, ``initdb`` and ``postgres`` run
as the ``postgres`` user the package creates, through util-linux's
``setpriv`` with one capability, CAP_DAC_READ_SEARCH (or, in containers that
lack it, CAP_DAC_OVERRIDE), so that they can reach a data directory under
pytest's tmp directories (which only root may enter); the data directory
itself belongs to ``postgres``.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT = 30.0  # seconds for initdb, or for the server to accept connections
STOP_TIMEOUT = 30.0

_names = itertools.count()


class Unavailable(Exception):
    """PostgreSQL cannot run here; ``str()`` says why (the reason a test skips with)."""


def find_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb and postgres."""
    found = [
        Path(d)
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if os.access(Path(d) / "initdb", os.X_OK) and os.access(Path(d) / "postgres", os.X_OK)
    ]
    if not found:
        raise Unavailable(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb):"
            " apt-get install postgresql (.ci/run does)"
        )
    return max(found, key=lambda d: float(d.parent.name) if d.parent.name[:1].isdigit() else 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2  # bit numbers in /proc/self/status


def _bounding_caps() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    return 0


def _reach(directory: Path) -> list[str]:
    """How ``postgres`` (the user) reaches ``directory`` under root-only ancestors.

    The narrowest capability this process may hand down (CAP_DAC_READ_SEARCH;
    containers often lack it but have CAP_DAC_OVERRIDE), else search permission
    (not read) for others on the ancestors, as the last resort.
    """
    caps = _bounding_caps()
    for bit, name in (
        (_CAP_DAC_READ_SEARCH, "dac_read_search"),
        (_CAP_DAC_OVERRIDE, "dac_override"),
    ):
        if caps & (1 << bit):
            return [f"--inh-caps=+{name}", f"--ambient-caps=+{name}"]
    for ancestor in directory.parents:
        if ancestor == Path("/"):
            break
        mode = ancestor.stat().st_mode
        if not mode & 0o001:
            os.chmod(ancestor, mode | 0o001)
    return []


def _as_owner(argv: list[str], directory: Path) -> tuple[list[str], int, int]:
    """``argv`` run as the data directory's owner: ourselves, or ``postgres`` for root."""
    if os.geteuid() != 0:
        return argv, os.getuid(), os.getgid()
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root needs the 'postgres' user (Debian's package)") from None
    wrapper = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"]
    return [*wrapper, *_reach(directory), *argv], user.pw_uid, user.pw_gid


class PostgresServer:
    """A running ``postgres``; :meth:`create_database` gives each test a database of its own."""

    def __init__(self, directory: Path, bindir: Path) -> None:
        self.directory = directory
        self.bindir = bindir
        self.data = directory / "data"
        self.log_path = directory / "postgres.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @classmethod
    def start(cls, directory: Path) -> PostgresServer:
        server = cls(directory, find_bin())
        server.init()
        server.run()
        return server

    def init(self) -> None:
        argv, uid, gid = _as_owner(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
            + ["-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            self.directory,
        )
        self.data.mkdir(mode=0o700, parents=True)
        os.chown(self.data, uid, gid)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=START_TIMEOUT)
        if done.returncode != 0:
            raise Unavailable(f"initdb failed: {(done.stderr or done.stdout).strip()[-500:]}")

    def run(self) -> None:
        """Start ``postgres`` (again, after :meth:`stop`) on a free port, or the same one."""
        self.port = self.port or free_port()
        argv, _, _ = _as_owner(
            [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port)]
            + ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="]
            + ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=300"],
            self.directory,
        )
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd="/")
        self.wait_ready()

    def wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if self.proc is not None and self.proc.poll() is not None:
                    raise Unavailable(f"postgres exited: {self.log_tail()}") from exc
                if time.monotonic() > deadline:
                    self.stop()
                    message = f"postgres not ready in {START_TIMEOUT}s: {self.log_tail()}"
                    raise Unavailable(message) from exc
                time.sleep(0.1)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-1000:]

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Stop the server by its PID (SIGINT: PostgreSQL's fast shutdown)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        self.proc = None
