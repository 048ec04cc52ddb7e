"""loadapp: user code named from an ini; every error is one line naming file/section/key."""

import pytest

import stackapi
from conftest import CONFIGS, testapp
from stackapi.errors import ConfigError
from stackapi.loader import inspect_config, read_server_section


def test_design_example_and_user_filters_from_ini():
    app = testapp(stackapi.loadapp(str(CONFIGS / "user_api.ini")))
    resp = app.get("/v1/widgets")
    assert resp.json == {"widgets": [{"id": "1", "name": "sprocket"}]}
    # [DEFAULT] value interpolated into the filter's own option, passed as a string
    assert resp.headers["X-Stamp"] == "from-default-interpolated"
    assert resp.headers["X-Gate"] == "passed"
    assert resp.headers["x-openstack-request-id"].startswith("req-")


def test_design_example_show_and_action_through_the_ini():
    app = testapp(stackapi.loadapp(str(CONFIGS / "user_api.ini")))
    resp = app.get("/v1/widgets/9", status=404)
    assert resp.json == {"itemNotFound": {"code": 404, "message": "Widget 9 could not be found."}}
    assert app.post_json("/v1/widgets/9/action", {"polish": {}}).status_int == 202
    resp = app.post_json("/v1/widgets/9/action", {"scrub": {}}, status=400)
    assert resp.json["badRequest"]["message"] == "There is no such action: scrub"


def test_user_filter_option_from_ini_is_used():
    app = testapp(stackapi.loadapp(str(CONFIGS / "user_api.ini")))
    app.get("/v1/widgets", headers={"X-Block": "1"}, status=200)
    resp = app.get("/v1/widgets", headers={"X-Deny": "1"}, status=403)
    assert resp.json["forbidden"]["message"] == "Blocked by the gate."


@pytest.mark.parametrize(
    ("ini", "expected"),
    [
        (
            "loader_missing_filter.ini",
            "[pipeline:api] pipeline: No section 'nosuch' (prefixed by 'filter') found in config",
        ),
        (
            "loader_unknown_egg.ini",
            "[filter:request_id] use: Entry point 'request_idd' not found in egg 'stackapi'",
        ),
        (
            "loader_unimportable.ini",
            "[app:api] paste.app_factory: cannot load 'no_such_module:Router.factory': "
            "ModuleNotFoundError: No module named 'no_such_module'",
        ),
        ("loader_bad_option.ini", "[filter:gate] enabled: expected true or false, got 'maybe'"),
        (
            "loader_interpolation.ini",
            "[app:api] color: bad %-interpolation: Bad value substitution: option 'color' in "
            "section 'app:api' contains an interpolation key 'no_such_default'",
        ),
        (
            "loader_missing_pipeline_key.ini",
            "[pipeline:api] pipeline: a pipeline needs 'pipeline = filter ... app'",
        ),
        ("loader_no_section_header.ini", "File contains no section headers."),
        (
            "loader_factory_raises.ini",
            "[app:api] building the app failed: RuntimeError: the database is not reachable",
        ),
        ("loader_bad_prefix.ini", "[composite:main] v2: expected a URL prefix such as '/v1'"),
        (
            "loader_duplicate_prefix.ini",
            "[composite:main] /v1/: prefix /v1 is given twice (by '/v1' too)",
        ),
        ("loader_cycle.ini", "[pipeline:api] pipeline: 'pipeline:api' is used inside itself"),
    ],
)
def test_errors_name_file_section_and_key(ini, expected):
    path = str(CONFIGS / ini)
    with pytest.raises(ConfigError) as info:
        stackapi.loadapp(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file():
    with pytest.raises(ConfigError, match=r"^/no/such/api-paste.ini: no such file$"):
        stackapi.loadapp("/no/such/api-paste.ini")


def test_missing_app_name():
    with pytest.raises(ConfigError, match=r"No section 'admin'"):
        stackapi.loadapp(str(CONFIGS / "user_api.ini"), name="admin")


def test_pastedeploy_error_is_the_cause():
    with pytest.raises(ConfigError) as info:
        stackapi.loadapp(str(CONFIGS / "loader_missing_filter.ini"))
    assert isinstance(info.value.__cause__, LookupError)


def test_inspect_config_tree():
    tree = inspect_config(str(CONFIGS / "user_api.ini"))
    assert (tree.kind, tree.section, tree.target) == (
        "composite",
        "composite:main",
        "egg:stackapi#urlmap",
    )
    ((label, pipeline),) = tree.children
    assert (label, pipeline.kind) == ("/v1", "pipeline")
    sections = [node.section for _, node in pipeline.children]
    assert sections == [
        "filter:request_id",
        "filter:faultwrap",
        "filter:stamp",
        "filter:gate",
        "app:widgets",
    ]
    assert pipeline.children[2][1].options == {"value": "from-default-interpolated"}


def test_read_server_section(write_ini):
    ini = write_ini("""
        [DEFAULT]
        base = 87
        [server:main]
        port = %(base)s74
        workers = 2
    """)
    assert read_server_section(str(ini)) == {"port": "8774", "workers": "2"}


def test_read_server_section_absent(write_ini):
    assert read_server_section(str(write_ini("[app:main]\nuse = egg:x\n"))) == {}
