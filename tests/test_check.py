"""stackapi-server --check: the resolved tree down to the routes, or one line naming the error."""

import os
import subprocess

import pytest

from conftest import CONFIGS, DEMO_INI, REPO, run_python, server_command, server_env
from demo_config import demo_ini
from stackapi.cli import main
from stackapi.testing import app_from_ini


def check(capsys, ini) -> tuple[int, str, str]:
    code = main(["--config", str(ini), "--check"])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_database_password_is_not_printed(capsys, tmp_path, postgres):
    url = postgres.create_database().replace("postgres@", "postgres:s3cret@")  # trust: ignored
    code, out, err = check(capsys, demo_ini(tmp_path, connection=url))
    assert code == 0, err
    assert "connection='postgresql+psycopg://postgres:***@127.0.0.1:" in out
    assert "s3cret" not in out + err


def test_demo_tree(capsys, tmp_path):
    ini = demo_ini(tmp_path)  # the shipped ini; its SQLite file lands in tmp_path
    code, out, err = check(capsys, ini)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"{ini}: [server:main] host=127.0.0.1 port=8774 workers=1 ")
    assert lines[1] == "[composite:main] egg:stackapi#urlmap"
    body = "\n".join(line.rstrip() for line in lines[1:])
    # prefixes -> pipelines -> filters with their options -> apps -> routes
    assert "\n  / ->\n    [pipeline:versions]\n" in body
    assert "\n  /v2.1 ->\n    [pipeline:version_v21]\n" in body
    assert "\n  /v2.1/+ ->\n    [pipeline:api_v21]\n" in body
    assert (
        "      [filter:sizelimit] egg:stackapi#sizelimit max_request_body_size='114688'\n"
    ) in body
    assert "      [filter:cors] egg:stackapi#cors allowed_origin='http://localhost:8080'" in body
    assert "      [app:versions_app] egg:stackapi#demo_versions\n" in body
    routes = [" ".join(line.split()) for line in lines if "->" in line and "[" not in line[:8]]
    assert routes[:3] == ["/ ->", "/v2.1 ->", "/v2.1/+ ->"]
    assert "GET /v2.1/servers -> ServersController.index" in routes  # routes as nova's: no .format
    assert "DELETE /v2.1/servers/{id} -> ServersController.delete" in routes
    assert "GET /v2.1/flavors/{id} -> FlavorsController.show" in routes
    specs = "GET /v2.1/flavors/{flavor_id}/os-extra_specs -> FlavorExtraSpecsController.index"
    assert specs in routes
    assert "GET /v2.1/ -> VersionDocument" in routes
    (action,) = [r for r in routes if r.startswith("POST /v2.1/servers/{id}/action")]
    assert "'reboot': _reboot" in action and "'os-resetState': _reset_state" in action
    # flavors are read-only: their create/update/delete routes reach no method, not listed.
    assert not [r for r in routes if r.split()[0] != "GET" and "/flavors" in r]
    # new/edit routes exist in the mapper but reach no method: not listed.
    assert "/new" not in out and "/edit" not in out


def test_user_code_tree(capsys):
    code, out, err = check(capsys, CONFIGS / "user_api.ini")
    assert code == 0, err
    assert "    [filter:stamp] user_filters:Stamp.factory value='from-default-interpolated'" in out
    assert "[app:widgets] widgets_app:WidgetsRouter.factory" in out
    assert "/v1/widgets/{id}/action[.{format}]" in out


@pytest.mark.parametrize(
    ("ini", "located"),
    [
        ("loader_missing_filter.ini", "[pipeline:api] pipeline: No section 'nosuch'"),
        ("loader_unknown_egg.ini", "[filter:request_id] use: Entry point 'request_idd' not found"),
        (
            "loader_unimportable.ini",
            "[app:api] paste.app_factory: cannot load 'no_such_module:Router.factory': "
            "ModuleNotFoundError",
        ),
        ("loader_bad_option.ini", "[filter:gate] enabled: expected true or false, got 'maybe'"),
        ("loader_interpolation.ini", "[app:api] color: bad %-interpolation: "),
        ("loader_factory_raises.ini", "[app:api] building the app failed: RuntimeError"),
    ],
)
def test_config_errors_are_one_line_exit_1(capsys, ini, located):
    path = CONFIGS / ini
    code, out, err = check(capsys, path)
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"stackapi-server: error: {path}: {located}")


def test_bad_server_section_is_one_line(capsys, write_ini):
    ini = write_ini(DEMO_INI.read_text().replace("pool_size = 1000", "pool_size = 0"))
    code, _, err = check(capsys, ini)
    assert code == 1
    assert err.strip() == (
        f"stackapi-server: error: {ini}: [server:main] pool_size: expected an integer >= 1, "
        "got '0'"
    )


def test_check_imports_no_eventlet(tmp_path):
    code = (
        "import sys\nfrom stackapi.cli import main\n"
        f"code = main(['--config', {str(demo_ini(tmp_path))!r}, '--check'])\n"
        "print(code, 'eventlet' in sys.modules, file=sys.stderr)"
    )
    done = run_python(code)
    assert done.stderr.strip().splitlines()[-1] == "0 False"


def test_check_into_a_closed_pipe_is_not_a_traceback(tmp_path):
    # `stackapi-server --check | head -1`: the reader may leave before the tree is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [*server_command(), "--config", str(demo_ini(tmp_path)), "--check"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=server_env(),
            cwd=str(REPO),
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_extension_actions_are_listed_with_the_controllers(capsys, tmp_path):
    ini = demo_ini(tmp_path, api_options="extensions = server_extras:ServerExtras")
    code, out, err = check(capsys, ini)
    assert code == 0, err
    (action,) = [line for line in out.splitlines() if "/servers/{id}/action" in line]
    assert "'ping': ServerExtras._ping" in action and "'reboot': _reboot" in action


def test_keys_shadowed_by_default_are_warned_about(capsys, tmp_path):
    path = CONFIGS / "check_shadowed_default.ini"
    code, out, err = check(capsys, path)
    assert code == 0
    assert "[filter:cors] egg:stackapi#cors allowed_origin='http://localhost:8080'\n" in out
    why = (
        "(PasteDeploy gives a section only the keys [DEFAULT] does not set: stackapi's "
        "filters, apps and [server:main] use their default instead)"
    )
    assert err.splitlines() == [
        f"stackapi-server: warning: {path}: [filter:cors] max_age: ignored, because [DEFAULT] "
        f"sets max_age too {why}; rename or remove max_age in [DEFAULT]",
        f"stackapi-server: warning: {path}: [server:main] port: ignored, because [DEFAULT] "
        f"sets port too {why}; rename or remove port in [DEFAULT]",
    ]
    assert " port=8080 " in out.splitlines()[0]  # neither 8774 nor [DEFAULT]'s 9999
    # Neither 600 nor [DEFAULT]'s 10: the class default.  (The old advice, "set max_age =
    # 600", changes [DEFAULT]'s value for the section, which the filter does not read.)
    preflight = {"Origin": "http://localhost:8080", "Access-Control-Request-Method": "GET"}
    for text in (path.read_text(), path.read_text().replace("max_age = 600", "set max_age = 600")):
        ini = tmp_path / "shadowed.ini"
        ini.write_text(text)
        resp = app_from_ini(ini).options("/v1/widgets", headers=preflight)
        assert resp.headers["Access-Control-Max-Age"] == "3600"
    code, out, err = check(capsys, CONFIGS / "user_api.ini")  # a [DEFAULT] that shadows nothing
    assert (code, err) == (0, "")
