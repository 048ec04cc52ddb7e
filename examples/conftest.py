from pathlib import Path

import pytest


@pytest.fixture
def stackapi_config():
    """The ini the stackapi_app fixture loads (docs/testing.md)."""
    return Path(__file__).with_name("api-paste.ini")
