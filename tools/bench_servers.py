"""Servers of tools/bench.py: the inis it writes, the processes it starts, what /proc says.

Every server is a subprocess on 127.0.0.1 (port 0, or a free one for granian);
its URL is read from its log ("listening on ..." / granian's "Listening at: ..."),
it is ready once it answers an HTTP request, and it is stopped by its PID
(SIGTERM, then SIGKILL after a bounded wait).
"""

from __future__ import annotations

import configparser
import http.client
import importlib.util
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
DEMO_INI = REPO / "etc" / "api-paste.ini"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

# Quiet, as the bare server is: only the "listening on" line.  The server's own
# line per request is logger stackapi.server.access at INFO, a child of
# stackapi.server, so it is set to WARNING by name; access_log (the demo's
# filter) checks the level and steps aside.
QUIET_LOGGING = """
[loggers]
keys = root, server, access

[handlers]
keys = stderr

[formatters]
keys = plain

[logger_root]
level = WARNING
handlers = stderr

[logger_server]
level = INFO
handlers = stderr
qualname = stackapi.server
propagate = 0

[logger_access]
level = WARNING
handlers = stderr
qualname = stackapi.server.access
propagate = 0

[handler_stderr]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = %(asctime)s %(levelname)s %(name)s %(message)s
"""

#: The filters of issue 13's "full stack", each at its defaults, in a user's own ini.
USER_FILTERS = ("request_id", "faultwrap", "sizelimit")


def demo_pipeline(parser: configparser.RawConfigParser) -> str:
    """The pipeline section of the demo's API: the one ``[composite:main]`` serves
    at its longest URL prefix (``/v2.1``, say; ``/`` is the versions document)."""
    prefixes = [key for key in parser.options("composite:main") if key.startswith("/")]
    for prefix in sorted(prefixes, key=len, reverse=True):
        section = "pipeline:" + parser.get("composite:main", prefix).strip()
        if parser.has_section(section):
            return section
    raise RuntimeError("[composite:main] of the demo ini leads to no [pipeline:...]")


def _read(demo_ini: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read(demo_ini)
    return parser


def demo_filters(demo_ini: Path = DEMO_INI) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The filter names of the demo API's pipeline and their sections (raw)."""
    return _filters(_read(demo_ini))


def _filters(parser: configparser.RawConfigParser) -> tuple[list[str], dict[str, dict]]:
    names = parser.get(demo_pipeline(parser), "pipeline").split()[:-1]
    return names, {name: dict(parser.items(f"filter:{name}")) for name in names}


def _section(name: str, options: dict[str, str]) -> str:
    lines = [f"[{name}]"] + [f"{key} = {value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def _server_main(parser: configparser.RawConfigParser) -> dict[str, str]:
    return dict(parser.items("server:main")) if parser.has_section("server:main") else {}


def _stack(names: list[str], sections: dict[str, dict[str, str]]) -> list[str]:
    """``/v1`` -> the filters ``names`` -> ``bench_apps.BenchRouter`` (Router + Resource)."""
    return [
        _section("composite:main", {"use": "egg:stackapi#urlmap", "/v1": "api_v1"}),
        _section("pipeline:api_v1", {"pipeline": " ".join([*names, "bench_app"])}),
        *(_section(f"filter:{name}", sections[name]) for name in names),
        _section("app:bench_app", {"paste.app_factory": "bench_apps:BenchRouter.factory"}),
    ]


def write_bare_ini(directory: Path) -> Path:
    """``[app:main]`` is the bare WSGI function; no ``[server:main]`` (every limit and
    deadline at its default); quiet logging.  The bare eventlet.wsgi server reads it too."""
    parts = [
        "# Written by tools/bench.py: the bare WSGI function, the server's defaults.\n",
        _section("app:main", {"paste.app_factory": "bench_apps:bare_factory"}),
        QUIET_LOGGING,
    ]
    path = directory / "bench-bare.ini"
    path.write_text("\n".join(parts))
    return path


def write_user_ini(directory: Path, logging: bool = True) -> Path:
    """A user's own ini: urlmap -> request_id, faultwrap, sizelimit -> Router -> Resource,
    no ``[server:main]``.  ``logging``: the quiet sections; else none at all (the
    server's default, a line per request on stderr)."""
    sections = {name: {"use": f"egg:stackapi#{name}"} for name in USER_FILTERS}
    parts = [
        "# Written by tools/bench.py: a user's plain ini, the server's defaults.\n",
        *_stack(list(USER_FILTERS), sections),
    ]
    if logging:
        parts.append(QUIET_LOGGING)
    path = directory / ("bench-user.ini" if logging else "bench-user-nolog.ini")
    path.write_text("\n".join(parts))
    return path


def write_demo_ini(directory: Path, demo_ini: Path = DEMO_INI) -> Path:
    """``/v1`` -> the demo API's filters -> ``bench_apps.BenchRouter``; the demo's
    ``[server:main]``; quiet logging (the demo's own logs two lines per request)."""
    parser = _read(demo_ini)
    names, sections = _filters(parser)
    parts = [
        f"# Written by tools/bench.py from the filters of the API pipeline in {demo_ini.name}.\n",
        *_stack(names, sections),
        _section("server:main", _server_main(parser)),
        QUIET_LOGGING,
    ]
    path = directory / "bench-demo.ini"
    path.write_text("\n".join(parts))
    return path


def write_inis(directory: Path) -> dict[str, Path]:
    """Every ini of the throughput rows, by the name the rows use."""
    return {
        "bare": write_bare_ini(directory),
        "user": write_user_ini(directory),
        "user_nolog": write_user_ini(directory, logging=False),
        "demo": write_demo_ini(directory),
    }


def write_routing_ini(directory: Path, counts: tuple[int, ...]) -> Path:
    """``/r{N}`` -> a bare Router of N generated routes, for each N (no filters)."""
    parts = [
        _section(
            "composite:main",
            {"use": "egg:stackapi#urlmap", **{f"/r{n}": f"routes{n}" for n in counts}},
        )
    ]
    for n in counts:
        parts.append(
            _section(
                f"app:routes{n}",
                {"paste.app_factory": "bench_apps:ManyRoutesRouter.factory", "routes": str(n)},
            )
        )
    parts.append(QUIET_LOGGING)
    path = directory / "bench-routing.ini"
    path.write_text("\n".join(parts))
    return path


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft fd limit towards ``wanted`` (servers started later inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


#: The servers the bench starts: "bare" is the reference (eventlet.wsgi and the bare
#: function, tools/bench_bare.py); "probe-*" are the parser probes (tools/bench_parsers.py).
KINDS = ("bare", "stackapi", "granian", "granian-defaults", "probe-httptools", "probe-h11")


#: granian's own flags for the granian row: one worker, and one thread to run the app.
#: With its default (up to 512 threads running the app, on the one core) req/s at
#: c=50 moved between 1.6x and 3.1x the reference from run to run; with one thread
#: 2.06-2.12x (docs/performance.md; --rows granian_defaults measures both).
GRANIAN_FLAGS = ("--workers", "1", "--blocking-threads", "1")


def server_args(
    kind: str, ini: Path | None, granian_flags: tuple[str, ...] = GRANIAN_FLAGS
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a server of ``kind`` for ``ini``, on 127.0.0.1."""
    env = dict(os.environ)
    if kind == "bare":
        command = [sys.executable, str(TOOLS / "bench_bare.py"), "--config", str(ini)]
    elif kind == "stackapi":  # the console script, as operators run it
        script = Path(sys.executable).with_name("stackapi-server")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "stackapi"]
        command += ["--config", str(ini)]
    elif kind == "granian":  # it logs port 0 as 0: pick a free one
        env["STACKAPI_CONFIG"] = str(ini)
        return [
            *granian_command(),
            "--interface",
            "wsgi",
            *granian_flags,
            "--host",
            "127.0.0.1",
            "--port",
            str(free_port()),
            "stackapi.wsgi_app:application",
        ], env
    elif kind.startswith("probe-"):
        parser = kind.removeprefix("probe-")
        command = [sys.executable, str(TOOLS / "bench_parsers.py"), "--parser", parser]
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    return [*command, "--host", "127.0.0.1", "--port", "0"], env


def granian_command() -> list[str]:
    script = Path(sys.executable).with_name("granian")
    return [str(script)] if script.exists() else [sys.executable, "-m", "granian"]


def has_granian() -> bool:
    return importlib.util.find_spec("granian") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    kind: str,
    ini: Path | None,
    log_path: Path,
    cpus: str | None = None,
    name: str = "",
    wrapper: tuple[str, ...] = (),
    pythonpath: str | None = None,
) -> Server:
    """A server of ``kind`` started and listening; ``wrapper``: a command it runs under
    (valgrind, say); ``pythonpath``: directories searched before the installed packages
    (another ``stackapi/`` tree, a ``sitecustomize.py``)."""
    if kind == "granian-defaults":
        args, env = server_args("granian", ini, granian_flags=("--workers", "1"))
    else:
        args, env = server_args(kind, ini)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    return Server(name or kind, [*wrapper, *args], log_path, env).start(cpus)


class Server:
    """One server subprocess; ``url`` is ``http://127.0.0.1:PORT`` once it listens."""

    _LISTENING = re.compile(r"(?:listening on|Listening at:) (http://[^\s)]+)")

    def __init__(self, name: str, args: list[str], log_path: Path, env: dict | None = None):
        self.name = name
        self.args = args
        self.log_path = log_path
        self.env = env
        self.url = ""
        self.proc: subprocess.Popen | None = None

    def start(self, cpus: str | None = None) -> Server:
        args = ["taskset", "-c", cpus, *self.args] if cpus else self.args
        env = dict(os.environ if self.env is None else self.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TOOLS), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO)
            )
        try:
            self._wait_listening()
        except BaseException:  # not listening, or the bench interrupted: stop it anyway
            self.stop()
            raise
        return self

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            match = self._LISTENING.search(self.log_text())
            if match and self._answers(match.group(1)):
                self.url = match.group(1)
                return
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise RuntimeError(f"{self.name} exited with {code}:\n{self.log()}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not listening after {STARTUP_TIMEOUT}s:\n{self.log()}")

    @staticmethod
    def _answers(url: str) -> bool:
        """Whether an HTTP request to ``url`` gets any answer (granian's worker starts
        after its "Listening at" line)."""
        host, _, port = url.removeprefix("http://").partition(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=2)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            conn.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM by PID; SIGKILL if it has not exited within STOP_TIMEOUT."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the process and its children so far."""
        return sum(_cpu_seconds(pid) for pid in _tree(self.pid))

    def peak_rss_kib(self) -> int:
        """The largest resident set of the process tree's members (VmHWM)."""
        return max(_status_kib(pid, "VmHWM") for pid in _tree(self.pid))

    def rss_kib(self) -> int:
        """The resident set of the process tree now (VmRSS, summed)."""
        return sum(_status_kib(pid, "VmRSS") for pid in _tree(self.pid))

    def open_fds(self) -> int:
        """File descriptors open in the process tree."""
        total = 0
        for pid in _tree(self.pid):
            try:
                total += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                pass
        return total


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rpartition(")")[2].split()  # after "pid (comm)": state is field 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (granian: main and worker; taskset execs in place)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(_stat_fields(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found
