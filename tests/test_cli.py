"""stackapi-server's main(argv) in-process: --help, exit codes, one-line errors, no traceback.

Only paths that stop before serving run in-process (serving would patch this
process with eventlet); the live server is tests/test_server.py.
"""

import re

import pytest

from conftest import CONFIGS
from stackapi.cli import build_parser, main
from stackapi.server.settings import SERVER_OPTIONS


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    return line


def test_help_lists_every_option_with_its_default(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for option in SERVER_OPTIONS:
        flag = "--" + option.name.replace("_", "-")
        assert re.search(rf"{flag} {option.name.upper()} .*?\(default: {option.default}\)", out)
    assert "--check" in out and "HUP reloads the ini and the app" in out


def test_flags_default_to_not_given():
    args = build_parser().parse_args(["--config", "x.ini"])
    assert all(getattr(args, option.name) is None for option in SERVER_OPTIONS)


def test_missing_config_file(capsys):
    assert main(["--config", "/no/such.ini"]) == 1
    assert one_error_line(capsys) == "stackapi-server: error: /no/such.ini: no such file"


def test_bad_server_option_in_the_ini(capsys, write_ini):
    ini = write_ini("[app:main]\nuse = egg:stackapi#versions\n[server:main]\nworkers = all\n")
    assert main(["--config", str(ini)]) == 1
    assert one_error_line(capsys) == (
        f"stackapi-server: error: {ini}: [server:main] workers: expected an integer, got 'all'"
    )


def test_bad_flag(capsys):
    assert main(["--config", str(CONFIGS / "server_probe.ini"), "--port", "-1"]) == 1
    assert one_error_line(capsys) == (
        "stackapi-server: error: --port: expected a port number 0-65535, got '-1'"
    )


def test_bad_logging_section(capsys, write_ini):
    ini = write_ini("[app:main]\nuse = egg:stackapi#versions\n[loggers]\nkeys = nope\n")
    assert main(["--config", str(ini), "--check"]) == 1
    assert one_error_line(capsys).startswith(
        f"stackapi-server: error: {ini}: [loggers] cannot configure logging: "
    )
