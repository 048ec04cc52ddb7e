"""stackapi.testing.app_from_ini and the pytest plugin's stackapi_app fixture."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import CONFIGS, REPO
from demo_config import demo_ini
from stackapi.errors import ConfigError
from stackapi.guard import Guard
from stackapi.testing import app_from_ini

EXAMPLES = REPO / "examples"


def test_the_exact_pipeline_with_the_guard(tmp_path):
    ini = demo_ini(tmp_path)
    client = app_from_ini(ini, extra_environ={"HTTP_X_AUTH_TOKEN": "alice:demo"})
    assert client.get("/v2.1/servers").json == {"servers": []}
    assert client.get("/v2.1/servers/%ff", status=400).json["badRequest"]["code"] == 400
    # an app of the ini that is not a urlmap gets the Guard too
    pipeline = app_from_ini(ini, "api_v21")
    assert isinstance(pipeline.app, Guard)
    assert pipeline.get("/servers/..", status=400).json["badRequest"]["code"] == 400


def test_a_broken_ini_is_a_config_error():
    path = CONFIGS / "loader_missing_filter.ini"
    with pytest.raises(ConfigError, match=r"\[pipeline:api\] pipeline: No section 'nosuch'"):
        app_from_ini(path)


def pytest_in(directory) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=str(directory),
    )


TEST_FILE = """
def test_list(stackapi_app):
    resp = stackapi_app.get("/v1/widgets", headers={"X-Auth-Token": "alice"})
    assert resp.json["widgets"][0]["name"] == "sprocket"
"""


@pytest.mark.slow
def test_the_fixture_reads_the_ini_option(tmp_path):
    project = tmp_path / "project"
    (project / "etc").mkdir(parents=True)
    for name in ("mywidgets.py", "myfilters.py"):
        shutil.copy(EXAMPLES / name, project / name)
    shutil.copy(EXAMPLES / "api-paste.ini", project / "etc" / "api-paste.ini")
    (project / "tests").mkdir()
    (project / "tests" / "test_api.py").write_text(TEST_FILE)
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nstackapi_config = "etc/api-paste.ini"\n'
    )
    done = pytest_in(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    done = pytest_in(project)
    assert done.returncode == 1
    assert "stackapi_app needs an ini: set stackapi_config = PATH in pytest's configuration" in (
        done.stdout
    )
