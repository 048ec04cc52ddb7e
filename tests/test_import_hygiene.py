"""`import stackapi` stays free of eventlet; the console script and entry points resolve."""

import ast
import functools
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

from conftest import run_python, server_command

PACKAGE = Path(__file__).parent.parent / "stackapi"


def python_output(code: str) -> str:
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_guard_imports_no_eventlet():
    assert python_output("import sys, stackapi.guard; print('eventlet' in sys.modules)") == "False"


def test_import_stackapi_does_not_import_eventlet():
    out = python_output(
        "import socket, sys, time\n"
        "import stackapi, stackapi.filters.request_id, stackapi.filters.faultwrap\n"
        "print('eventlet' in sys.modules, socket.socket.__module__, time.sleep.__module__)"
    )
    assert out == "False socket time"


def test_only_the_demo_imports_sqlalchemy():
    loaded = "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}))"
    core = "import sys, stackapi, stackapi.filters.healthcheck, stackapi.loader\n"
    assert python_output(core + loaded) == "[]"
    assert python_output("import sys, stackapi.demo.api\n" + loaded) == "['alembic', 'sqlalchemy']"


def test_public_names():
    import stackapi

    assert sorted(stackapi.__all__) == sorted(
        [
            "Controller",
            "action",
            "response",
            "Resource",
            "Router",
            "Middleware",
            "Application",
            "ResponseObject",
            "loadapp",
        ]
    )


def test_app_layer_does_not_import_server_modules():
    out = python_output(
        "import sys, stackapi, stackapi.urlmap, stackapi.router, stackapi.resource\n"
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[:2] in (['stackapi', 'server'], ['stackapi', 'cli'])))"
    )
    assert out == "[]"


def test_cli_and_check_do_not_import_eventlet():
    out = python_output(
        "import sys, stackapi.cli, stackapi.check, stackapi.loader\n"
        "print(sorted(m for m in sys.modules if m.startswith('eventlet')"
        " or m.startswith('stackapi.server.') and m != 'stackapi.server.settings'))"
    )
    assert out == "[]"


def test_wsgi_app_and_the_filters_import_nothing_of_the_server(tmp_path):
    out = python_output(
        "import sys, stackapi.filters.request_id, stackapi.filters.sizelimit, stackapi.guard\n"
        "import stackapi.filters.access_log, stackapi.filters.healthcheck\n"
        "print(sorted(m for m in sys.modules"
        " if m.split('.')[:2] == ['stackapi', 'server'] or m.startswith('eventlet')))"
    )
    assert out == "[]"


def test_the_authors_tools_do_not_import_eventlet():
    out = python_output(
        "import sys, stackapi.reports, stackapi.openapi, stackapi.testing, stackapi.logs,"
        " stackapi.app_map, stackapi.server_timing, stackapi.pytest_plugin\n"
        "print(sorted(m for m in ('eventlet', 'stackapi.server', 'stackapi.cli')"
        " if m in sys.modules))"
    )
    assert out == "[]"


@functools.cache
def imports_of(path: Path) -> frozenset[str]:
    """Every module a file imports, at any depth (lazy imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def importers(prefix: str) -> set[str]:
    return {
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if any(name == prefix or name.startswith(prefix + ".") for name in imports_of(path))
    }


def test_import_directions():
    server = {str(p.relative_to(PACKAGE.parent)) for p in (PACKAGE / "server").rglob("*.py")}
    # eventlet lives in stackapi/server/ only; settings and notify stay importable without it.
    assert importers("eventlet") <= server
    assert {"stackapi/server/settings.py", "stackapi/server/notify.py"}.isdisjoint(
        importers("eventlet")
    )
    # The server package never imports the filters (plugins depend on the core, not back).
    assert importers("stackapi.filters") & server == set()
    # Nothing outside the server package imports it, but the command that runs it.
    assert {p for p in importers("stackapi.server") if p not in server} == {
        "stackapi/cli.py",
        "stackapi/check.py",
    }
    assert importers("httptools") == {"stackapi/server/connection.py"}
    assert importers("stackapi.cli") == {"stackapi/__main__.py"}
    assert importers("paste.deploy") == {"stackapi/loader.py"}


def eventlet_names(path: Path) -> set[str]:
    """Every dotted eventlet name a file uses (``eventlet.greenio.GreenSocket``, ...)."""
    tree = ast.parse(path.read_text())
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("eventlet"):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("eventlet"):
                    bound = alias.asname or alias.name.split(".")[0]
                    aliases[bound] = alias.name if alias.asname else "eventlet"
    names = set(aliases.values())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = []
            inner = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                names.add(".".join([aliases[inner.id], *reversed(parts)]))
    return names


def test_the_server_uses_only_eventlets_public_api():
    used = set().union(*(eventlet_names(path) for path in PACKAGE.rglob("*.py")))
    assert used, "the server uses eventlet somewhere"
    private = {name for name in used if any(part.startswith("_") for part in name.split("."))}
    assert private == set()
    assert not any(name.startswith("eventlet.wsgi") for name in used)


def test_console_script_runs():
    done = subprocess.run(
        [*server_command(), "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert "--config" in done.stdout and "--pool-size" in done.stdout


ENTRY_POINTS = {
    "paste.composite_factory": ["urlmap"],
    "paste.filter_factory": ["request_id", "faultwrap"],
    "paste.app_factory": ["openapi"],
}


@pytest.mark.parametrize(
    ("group", "name"), [(g, n) for g, names in ENTRY_POINTS.items() for n in names]
)
def test_entry_points_load(group, name):
    (entry,) = metadata.distribution("stackapi").entry_points.select(group=group, name=name)
    assert callable(entry.load())


def test_the_pytest_plugin_is_registered():
    (entry,) = metadata.distribution("stackapi").entry_points.select(group="pytest11")
    assert entry.value == "stackapi.pytest_plugin"
    assert callable(entry.load().stackapi_app)


def test_every_package_directory_is_a_package():
    # setup.cfg's "packages = find:" skips a directory without __init__.py: an editable
    # install would still work and a wheel would silently lack it.
    for directory in {path.parent for path in PACKAGE.rglob("*.py")}:
        assert (directory / "__init__.py").exists(), f"{directory} has no __init__.py"
