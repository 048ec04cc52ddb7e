"""Servers of tools/bench.py: the inis it writes, the processes it starts, what /proc says.

Every server is a subprocess on 127.0.0.1, port 0; its URL is read from its log
("listening on ..." / gunicorn's "Listening at: ..."), and it is stopped by its
PID (SIGTERM, then SIGKILL after a bounded wait).
"""

from __future__ import annotations

import configparser
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
DEMO_INI = REPO / "etc" / "api-paste.ini"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

# Only the "listening on" line is logged: the per-request log lines of
# access_log and of eventlet would measure the log handler, not the stack.
_LOGGING = """
[loggers]
keys = root, server

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

[handler_stderr]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = %(asctime)s %(levelname)s %(name)s %(message)s
"""


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


def write_stack_ini(directory: Path, demo_ini: Path = DEMO_INI) -> Path:
    """``/v1`` -> the demo API's filters -> ``bench_apps.BenchRouter``; the demo's server."""
    parser = _read(demo_ini)
    names, sections = _filters(parser)
    parts = [
        f"# Written by tools/bench.py from the filters of the API pipeline in {demo_ini.name}.\n",
        _section("composite:main", {"use": "egg:stackapi#urlmap", "/v1": "api_v1"}),
        _section("pipeline:api_v1", {"pipeline": " ".join([*names, "bench_app"])}),
        *(_section(f"filter:{name}", sections[name]) for name in names),
        _section("app:bench_app", {"paste.app_factory": "bench_apps:BenchRouter.factory"}),
        _section("server:main", _server_main(parser)),
        _LOGGING,
    ]
    path = directory / "bench-stack.ini"
    path.write_text("\n".join(parts))
    return path


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
    parts += [_section("server:main", _server_main(_read(DEMO_INI))), _LOGGING]
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


def server_args(name: str, ini: Path) -> list[str]:
    """The command of the bench's ``bare`` or ``stack`` server for ``ini``, on 127.0.0.1:0."""
    if name == "bare":
        command = [sys.executable, str(TOOLS / "bench_bare.py")]
    else:  # the console script, as operators run it
        script = Path(sys.executable).with_name("stackapi-server")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "stackapi"]
    return [*command, "--config", str(ini), "--host", "127.0.0.1", "--port", "0"]


def gunicorn_command() -> list[str] | None:
    """The gunicorn next to this interpreter (or on PATH), or None if not installed."""
    script = Path(sys.executable).with_name("gunicorn")
    if script.exists():
        return [str(script)]
    found = shutil.which("gunicorn")
    return [found] if found else None


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
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            match = self._LISTENING.search(self.log_text())
            if match:
                self.url = match.group(1)
                return self
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise RuntimeError(f"{self.name} exited with {code}:\n{self.log()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} not listening after {STARTUP_TIMEOUT}s:\n{self.log()}")

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
    """``root`` and its descendants (gunicorn: master and worker; taskset execs in place)."""
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
