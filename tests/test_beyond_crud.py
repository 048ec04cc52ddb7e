"""The README's "Beyond CRUD" example runs as printed: microversions, validation, policy."""

import re

import pytest

from conftest import REPO, testapp
from stackapi.filters.noauth import NoAuthMiddleware


def readme_example() -> dict:
    """Execute the first python block of the README's "## Beyond CRUD" section."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Beyond CRUD", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {"__name__": "readme_beyond_crud"}
    exec(compile(code, "README.md (Beyond CRUD)", "exec"), namespace)
    return namespace


@pytest.fixture
def app():
    router = readme_example()["GadgetsRouter"]()
    return testapp(NoAuthMiddleware(router))


def test_versions_pick_the_shape(app):
    headers = {"X-Auth-Token": "alice"}
    assert app.get("/gadgets/1", headers=headers).json == {"gadget": {"id": "1"}}
    newer = app.get("/gadgets/1", headers={**headers, "OpenStack-API-Version": "gadgets 2.2"})
    assert newer.json == {"gadget": {"id": "1", "color": "red"}}
    assert newer.headers["OpenStack-API-Version"] == "gadgets 2.2"


def test_policy_then_validation(app):
    resp = app.post_json("/gadgets", {"gadget": {}}, headers={"X-Auth-Token": "alice"}, status=403)
    assert list(resp.json) == ["forbidden"]
    admin = {"X-Auth-Token": "bob", "X-Roles": "admin"}
    resp = app.post_json("/gadgets", {"thing": {}}, headers=admin, status=400)
    assert resp.json["badRequest"]["message"] == (
        "Invalid input for field/attribute gadget. 'gadget' is a required property"
    )
    assert app.post_json("/gadgets", {"gadget": {"a": 1}}, headers=admin).json == {
        "gadget": {"a": 1}
    }
