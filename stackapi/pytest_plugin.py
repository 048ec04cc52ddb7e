"""The pytest plugin of stackapi: the ``stackapi_app`` fixture (registered as ``pytest11``).

Installed with stackapi, so pytest loads it by itself; it imports nothing until a
test asks for the fixture.  docs/testing.md is the guide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

INI_OPTION = "stackapi_config"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_OPTION, "the paste ini of the stackapi_app fixture (relative to this file)", default=""
    )


@pytest.fixture
def stackapi_config(request: pytest.FixtureRequest) -> Path:
    """The ini ``stackapi_app`` loads: the ``stackapi_config`` ini option of pytest's
    configuration file, or override this fixture in a conftest.py."""
    value = request.config.getini(INI_OPTION)
    if not value:
        raise pytest.UsageError(
            "stackapi_app needs an ini: set stackapi_config = PATH in pytest's configuration "
            "(pytest.ini, pyproject.toml) or define a stackapi_config fixture returning it"
        )
    base = request.config.inipath.parent if request.config.inipath else request.config.rootpath
    return base / value


@pytest.fixture
def stackapi_app(stackapi_config: Path) -> Any:
    """A ``webtest.TestApp`` of the ini's ``main`` app, every filter and the Guard
    included (:func:`stackapi.testing.app_from_ini`), new for each test."""
    from stackapi.testing import app_from_ini

    return app_from_ini(stackapi_config)
