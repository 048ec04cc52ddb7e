"""The shipped demo with OpenStack's own clients: openstacksdk and the ``openstack`` CLI.

One real ``stackapi-server`` serves the shipped ini for the whole module; the
clients find every endpoint by keystoneauth's discovery from the URLs of the
shipped ``etc/clouds.yaml`` (only its port is changed), as a user would.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, ServerProcess, server_args, server_env
from demo_config import demo_ini

openstack = pytest.importorskip("openstack")  # the test extra installs it; skip loudly if not
from openstack import exceptions as sdk_exceptions  # noqa: E402
from openstack.config import loader as sdk_loader  # noqa: E402

CLOUDS_YAML = REPO / "etc" / "clouds.yaml"
CLOUD = "stackapi-demo"
CLI_TIMEOUT = 60  # seconds for one openstack CLI command (it starts in ~1-2 s)

pytestmark = [
    pytest.mark.slow,
    # Not ours to fix: openstacksdk 4.x raises its own pending deprecations from inside
    # (an InfluxDB warning for an empty config on every connection, the ignore_missing
    # and service_type parameters its own find/cache code still passes).
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning"),
    pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK60Warning"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``(server, clouds.yaml)``: the shipped demo on a free port, clouds.yaml for that port."""
    directory = tmp_path_factory.mktemp("clients")
    server = ServerProcess(server_args(demo_ini(directory)), directory / "server.log")
    try:
        server.wait_listening()
        clouds = directory / "clouds.yaml"
        clouds.write_text(CLOUDS_YAML.read_text().replace(":8774/", f":{server.port}/"))
        yield server, clouds
    finally:
        server.kill()
        if "Traceback" in server.log_text():
            sys.stderr.write(server.log_text())


def connect(clouds: Path, **options) -> openstack.connection.Connection:
    """An SDK connection to the demo cloud of ``clouds`` (no other config files read)."""
    config = sdk_loader.OpenStackConfig(config_files=[str(clouds)], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(CLOUD, **options))


def cli(clouds: Path, *args: str) -> subprocess.CompletedProcess:
    """``openstack --os-cloud stackapi-demo ARGS`` as a subprocess, its config from ``clouds``."""
    env = {k: v for k, v in server_env().items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(clouds)
    command = [str(Path(sys.executable).with_name("openstack")), "--os-cloud", CLOUD, *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=CLI_TIMEOUT, env=env, cwd=REPO
    )


# --- openstacksdk --------------------------------------------------------------------------


def test_sdk_flavors(demo):
    _, clouds = demo
    conn = connect(clouds)
    assert conn.compute.get_endpoint().endswith("/v2.1/")  # found by discovery, not written
    flavors = list(conn.compute.flavors())
    assert [f.name for f in flavors] == [
        "m1.tiny",
        "m1.small",
        "m1.medium",
        "m1.large",
        "m1.xlarge",
    ]
    tiny = conn.compute.get_flavor("1", get_extra_specs=True)  # reads /os-extra_specs too
    assert (tiny.name, tiny.ram, tiny.vcpus, tiny.disk, tiny.swap) == ("m1.tiny", 512, 1, 1, 0)
    assert (tiny.is_public, tiny.is_disabled, tiny.rxtx_factor) == (True, False, 1.0)
    assert (tiny.extra_specs, tiny.description) == ({}, None)  # in the body from 2.61, 2.55
    assert conn.compute.find_flavor("m1.small", ignore_missing=False).id == "2"
    with pytest.raises(sdk_exceptions.NotFoundException, match="Flavor 9 could not be found"):
        conn.compute.get_flavor("9")


def test_sdk_server_lifecycle(demo):
    server, clouds = demo
    conn = connect(clouds)
    image = conn.image.find_image("cirros", ignore_missing=False)
    created = conn.compute.create_server(
        name="sdk", flavor_id="1", image_id=image.id, networks="none", min_count=2, max_count=2
    )
    assert created.admin_password  # nova returns it on create only
    names = {s.name: s for s in conn.compute.servers(name="sdk")}
    assert sorted(names) == ["sdk-1", "sdk-2"]  # nova names the servers of one request so
    one = conn.compute.get_server(names["sdk-1"].id)
    assert (one.status, one.flavor.original_name, one.image.id) == ("ACTIVE", "m1.tiny", image.id)
    assert (one.vm_state, one.power_state, one.availability_zone) == ("active", 1, "nova")

    conn.compute.update_server(one, name="sdk-renamed")
    conn.compute.reboot_server(one, "SOFT")
    conn.compute.pause_server(one)
    assert conn.compute.get_server(one.id).status == "PAUSED"
    assert conn.compute.get_server(one.id).name == "sdk-renamed"
    with pytest.raises(sdk_exceptions.ConflictException, match="vm_state paused"):
        conn.compute.pause_server(one)  # nova's 409, and the server stays as it was
    assert conn.compute.get_server(one.id).status == "PAUSED"

    for listed in names.values():
        conn.compute.delete_server(listed)
    assert list(conn.compute.servers(name="sdk")) == []
    assert "Traceback" not in server.log_text()


def test_sdk_microversion_and_refusals(demo):
    _, clouds = demo
    conn = connect(clouds, compute_api_version="2.19")  # what the user pins
    image = conn.image.find_image("cirros", ignore_missing=False)
    resp = conn.compute.post(
        "/servers",
        json={"server": {"name": "d", "flavorRef": "1", "imageRef": image.id,
                         "description": "pinned"}},
    )  # fmt: skip
    assert resp.status_code == 202
    assert resp.headers["OpenStack-API-Version"] == "compute 2.19"
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.19"
    server = conn.compute.get_server(resp.json()["server"]["id"])
    assert server.description == "pinned"
    with pytest.raises(sdk_exceptions.BadRequestException, match="Flavor 42 could not be found"):
        conn.compute.create_server(name="x", flavor_id="42", image_id=image.id)
    with pytest.raises(sdk_exceptions.BadRequestException, match="'none' is not of type 'array'"):
        conn.compute.create_server(
            name="x", flavor_id="1", image_id=image.id, networks="none"
        )  # 2.37
    assert [s.name for s in conn.compute.servers(name="x")] == []  # nothing half-created
    conn.compute.delete_server(server)


def test_sdk_create_fields_filters_and_lock(demo):
    server, clouds = demo
    conn = connect(clouds)
    image = conn.image.find_image("cirros", ignore_missing=False)
    conn.compute.create_server(
        name="full", flavor_id="1", image_id=image.id, networks="none", min_count=2, max_count=2,
        access_ipv4="192.0.2.5", access_ipv6="2001:db8::5", has_config_drive=True,
        disk_config="AUTO", user_data=base64.b64encode(b"#cloud-config\n").decode(),
        tags=["web", "prod"],
    )  # fmt: skip
    listed = list(conn.compute.servers(name="^full-[12]$"))  # nova's name filter: a regex
    assert sorted(s.name for s in listed) == ["full-1", "full-2"]
    one = conn.compute.get_server(listed[0].id)
    assert (one.access_ipv4, one.access_ipv6) == ("192.0.2.5", "2001:db8::5")
    assert (one.has_config_drive, one.disk_config, one.user_data) == ("True", "AUTO", None)
    assert one.tags == ["prod", "web"]
    assert sorted(s.name for s in conn.compute.servers(tags="prod,web")) == ["full-1", "full-2"]
    assert list(conn.compute.servers(any_tags="db")) == []

    body = {"name": "res", "flavorRef": "1", "imageRef": image.id, "networks": "none",
            "max_count": 2, "return_reservation_id": True}  # fmt: skip
    resp = conn.compute.post("/servers", json={"server": body}, microversion="2.37")
    reservation = resp.json()["reservation_id"]
    found = list(conn.compute.servers(reservation_id=reservation))
    assert sorted(s.name for s in found) == ["res-1", "res-2"]

    conn.compute.lock_server(one)
    assert conn.compute.get_server(one.id).is_locked is True
    with pytest.raises(sdk_exceptions.ConflictException, match=f"Instance {one.id} is locked"):
        conn.compute.delete_server(one)
    conn.compute.unlock_server(one)
    assert conn.compute.get_server(one.id).is_locked is False
    for listed_server in [*listed, *found]:
        conn.compute.delete_server(listed_server)
    assert list(conn.compute.servers(name="^(full|res)-")) == []
    assert "Traceback" not in server.log_text()


# --- the openstack CLI -----------------------------------------------------------------------


def test_cli_create_list_show_delete(demo):
    server, clouds = demo
    done = cli(clouds, "server", "create", "--flavor", "m1.tiny", "--image", "cirros",
               "--no-network", "-f", "json", "demo1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert (created["name"], created["status"]) == ("demo1", "ACTIVE")

    done = cli(clouds, "server", "list", "-f", "json")
    assert done.returncode == 0, done.stderr
    listed = [s for s in json.loads(done.stdout) if s["Name"] == "demo1"]
    assert listed == [
        {
            "ID": created["id"],
            "Name": "demo1",
            "Status": "ACTIVE",
            "Networks": {},
            "Image": "cirros",
            "Flavor": "m1.tiny",
        }
    ]

    done = cli(clouds, "server", "show", "demo1", "-f", "json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["id"], shown["flavor"]["original_name"]) == (created["id"], "m1.tiny")
    assert shown["image"] == f"cirros ({created['image'].split('(')[1]}"

    done = cli(clouds, "server", "delete", "demo1")
    assert done.returncode == 0, done.stderr
    done = cli(clouds, "server", "show", "demo1")
    assert done.returncode == 1 and "No Server found for demo1" in done.stderr
    assert "Traceback" not in server.log_text()
