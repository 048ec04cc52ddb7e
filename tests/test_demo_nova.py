"""The demo as nova's API: shapes per microversion, what real clients send on create, metadata.

Through the shipped ini (webtest); the real clients' view is tests/test_demo_clients.py.
"""

import sqlite3

import pytest

import stackapi
from conftest import testapp
from demo_config import demo_ini
from stackapi.demo.images import CIRROS
from stackapi.demo.server_views import host_id

ALICE = {"X-Auth-Token": "alice:demo"}
ADMIN = {"X-Auth-Token": "admin:ops"}
SERVERS = "/v2.1/servers"
OTHER = "6b4d5c6e-0c8f-4a4e-9a61-5b2a2b6b7f10"  # an id of nothing the demo has


def at(version, headers=ALICE):
    return {**headers, "X-OpenStack-Nova-API-Version": version}


@pytest.fixture
def api(tmp_path):
    return testapp(stackapi.loadapp(str(demo_ini(tmp_path))))


def post(api, server, headers=ALICE, status=202, **top):
    return api.post_json(SERVERS, {"server": server, **top}, headers=headers, status=status)


def create(api, headers=ALICE, **fields):
    body = {"name": "web", "flavorRef": "1", "imageRef": CIRROS, **fields}
    return post(api, body, headers=headers).json["server"]["id"]


def message(resp):
    ((_, detail),) = resp.json.items()
    return detail["message"]


def count(api):
    return len(api.get(SERVERS, headers=ADMIN, params={"all_tenants": "1"}).json["servers"])


# --- shapes per microversion ------------------------------------------------------------------

BASE_KEYS = {
    "id", "name", "status", "tenant_id", "user_id", "metadata", "hostId", "image", "flavor",
    "created", "updated", "addresses", "accessIPv4", "accessIPv6", "links",
    "OS-DCF:diskConfig", "progress", "OS-EXT-AZ:availability_zone", "config_drive", "key_name",
    "OS-SRV-USG:launched_at", "OS-SRV-USG:terminated_at", "OS-EXT-STS:task_state",
    "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state", "os-extended-volumes:volumes_attached",
}  # fmt: skip
ADMIN_KEYS = {
    "OS-EXT-SRV-ATTR:host",
    "OS-EXT-SRV-ATTR:hypervisor_hostname",
    "OS-EXT-SRV-ATTR:instance_name",
}
ADMIN_23 = {
    f"OS-EXT-SRV-ATTR:{k}"
    for k in ("reservation_id", "launch_index", "hostname", "kernel_id", "ramdisk_id",
              "root_device_name", "user_data")
}  # fmt: skip


@pytest.mark.parametrize(
    ("version", "added"),
    [
        ("2.1", set()),
        ("2.8", set()),
        ("2.9", {"locked"}),
        ("2.19", {"locked", "description"}),
        ("2.26", {"locked", "description", "tags"}),
        ("2.47", {"locked", "description", "tags"}),
        ("2.61", {"locked", "description", "tags"}),
    ],
)
def test_show_has_nova_keys_per_version(api, version, added):
    server_id = create(api)
    server = api.get(f"{SERVERS}/{server_id}", headers=at(version)).json["server"]
    assert set(server) == BASE_KEYS | added


@pytest.mark.parametrize(
    ("version", "added"),
    [
        ("2.1", ADMIN_KEYS),
        ("2.3", ADMIN_KEYS | ADMIN_23),
        ("2.16", ADMIN_KEYS | ADMIN_23 | {"host_status"}),
    ],
)  # fmt: skip
def test_admins_see_the_host_attributes(api, version, added):
    server_id = create(api)
    server = api.get(f"{SERVERS}/{server_id}", headers=at("2.1")).json["server"]
    assert not ADMIN_KEYS & set(server)  # not for the owner (nova's default policy)
    server = api.get(f"{SERVERS}/{server_id}", headers=at(version, ADMIN)).json["server"]
    assert added <= set(server)
    assert server["OS-EXT-SRV-ATTR:host"] == "stackapi-demo"


def test_fields_without_backing_are_a_fresh_single_host_server(api):
    server = api.get(f"{SERVERS}/{create(api)}", headers=at("2.47")).json["server"]
    assert server["hostId"] == host_id("demo")
    assert (server["addresses"], server["key_name"], server["config_drive"]) == ({}, None, "")
    assert (server["OS-EXT-STS:vm_state"], server["OS-EXT-STS:power_state"]) == ("active", 1)
    assert server["OS-EXT-AZ:availability_zone"] == "nova"
    assert server["OS-SRV-USG:launched_at"] == server["created"].replace("Z", ".000000")
    assert (server["locked"], server["tags"], server["progress"]) == (False, [], 0)
    assert server["os-extended-volumes:volumes_attached"] == []


def test_flavors_in_nova_shape(api):
    flavor = api.get("/v2.1/flavors/1", headers=at("2.47")).json["flavor"]
    assert flavor == {
        "id": "1",
        "name": "m1.tiny",
        "ram": 512,
        "vcpus": 1,
        "disk": 1,
        "swap": "",
        "rxtx_factor": 1.0,
        "OS-FLV-EXT-DATA:ephemeral": 0,
        "OS-FLV-DISABLED:disabled": False,
        "os-flavor-access:is_public": True,
        "links": [
            {"rel": "self", "href": "http://localhost/v2.1/flavors/1"},
            {"rel": "bookmark", "href": "http://localhost/flavors/1"},
        ],
    }
    ids = [
        f["id"] for f in api.get("/v2.1/flavors/detail?minRam=4096", headers=ALICE).json["flavors"]
    ]
    assert ids == ["3", "4", "5"]

    def listed(is_public, headers):
        resp = api.get("/v2.1/flavors", params={"is_public": is_public}, headers=headers)
        return [f["id"] for f in resp.json["flavors"]]

    # nova reads is_public from admins only; anyone else sees the public flavors.
    assert listed("false", ALICE) == listed("maybe", ALICE) == ["1", "2", "3", "4", "5"]
    assert listed("false", ADMIN) == listed("No", ADMIN) == []
    assert listed("None", ADMIN) == listed("true", ADMIN) == ["1", "2", "3", "4", "5"]
    resp = api.get("/v2.1/flavors", params={"is_public": "maybe"}, headers=ADMIN, status=400)
    assert message(resp) == "Invalid is_public filter [maybe]"
    assert api.get("/v2.1/flavors/1/os-extra_specs", headers=ALICE).json == {"extra_specs": {}}
    resp = api.get("/v2.1/flavors/1/os-extra_specs/hw:cpu_policy", headers=ALICE, status=404)
    assert message(resp) == "Flavor 1 has no extra specs with key hw:cpu_policy."
    resp = api.get("/v2.1/flavors/m1.tiny", headers=ALICE, status=404)  # no .format suffix
    assert message(resp) == "Flavor m1.tiny could not be found."


# --- create as real clients send it ----------------------------------------------------------


def test_create_with_counts_and_a_reservation_id(api):
    resp = post(
        api,
        {"name": "many", "flavorRef": "1", "imageRef": CIRROS, "min_count": "2",
         "max_count": 3, "return_reservation_id": True, "networks": "none",
         "security_groups": [{"name": "default"}], "metadata": {"k": "v"},
         "availability_zone": "nova"},
        headers=at("2.47"),
    )  # fmt: skip
    rid = resp.json["reservation_id"]
    assert rid.startswith("r-") and "Location" not in resp.headers
    listed = api.get(f"{SERVERS}/detail?all_tenants=1", headers=at("2.47", ADMIN)).json["servers"]
    assert sorted(s["name"] for s in listed) == ["many-1", "many-2", "many-3"]
    assert {s["OS-EXT-SRV-ATTR:reservation_id"] for s in listed} == {rid}


@pytest.mark.parametrize(
    ("counts", "built"),
    [
        ({"min_count": "0"}, 1),
        ({"min_count": "0", "max_count": "0"}, 1),
        ({"min_count": "0", "max_count": "2"}, 2),
    ],
)
def test_a_count_of_0_is_nova_s_default(api, counts, built):
    """The schema lets "0" through (a string); nova's compute API reads 0 as its default."""
    body = {"name": "zero", "flavorRef": "1", "imageRef": CIRROS, **counts}
    assert post(api, body).json["server"]["id"]
    assert count(api) == built


def test_create_stores_what_nova_stores(api):
    given = {"accessIPv4": "192.0.2.10", "accessIPv6": "2001:db8::10", "config_drive": "true",
             "OS-DCF:diskConfig": "AUTO", "user_data": "I2Nsb3VkLWNvbmZpZwo=",
             "personality": [{"path": "/etc/motd", "contents": "aGVsbG8K"}],
             "security_groups": [{"name": "default"}, {"name": "default"}]}  # fmt: skip
    resp = post(api, {"name": "full", "flavorRef": "1", "imageRef": CIRROS, **given})
    created = resp.json["server"]
    assert created["OS-DCF:diskConfig"] == "AUTO"
    assert created["security_groups"] == [{"name": "default"}, {"name": "default"}]  # as given

    url = f"{SERVERS}/{created['id']}"
    server = api.get(url, headers=at("2.47")).json["server"]
    assert (server["accessIPv4"], server["accessIPv6"]) == ("192.0.2.10", "2001:db8::10")
    assert (server["config_drive"], server["OS-DCF:diskConfig"]) == ("True", "AUTO")
    (listed,) = api.get(f"{SERVERS}/detail", headers=at("2.47")).json["servers"]
    assert listed == server
    # user_data: stored, shown to admins only (nova's extended attributes, from 2.3)
    assert "I2Nsb3VkLWNvbmZpZwo=" not in api.get(url, headers=at("2.47")).text
    assert "OS-EXT-SRV-ATTR:user_data" not in api.get(url, headers=at("2.1", ADMIN)).json["server"]
    admin_view = api.get(url, headers=at("2.3", ADMIN)).json["server"]
    assert admin_view["OS-EXT-SRV-ATTR:user_data"] == "I2Nsb3VkLWNvbmZpZwo="
    # personality: checked, not shown (nova's API never shows the files back)
    assert "/etc/motd" not in admin_view.values() and "aGVsbG8K" not in str(admin_view)

    other = create(api)
    server = api.get(f"{SERVERS}/{other}", headers=at("2.47")).json["server"]
    assert (server["accessIPv4"], server["accessIPv6"]) == ("", "")  # nova's "" for none
    assert (server["config_drive"], server["OS-DCF:diskConfig"]) == ("", "MANUAL")


def test_update_changes_access_ips_and_disk_config(api):
    server_id = create(api, **{"OS-DCF:diskConfig": "AUTO"})
    change = {"accessIPv4": "198.51.100.7", "accessIPv6": "2001:db8::7",
              "OS-DCF:diskConfig": "MANUAL"}  # fmt: skip
    resp = api.put_json(f"{SERVERS}/{server_id}", {"server": change}, headers=at("2.1"))
    view = resp.json["server"]
    assert (view["accessIPv4"], view["accessIPv6"]) == ("198.51.100.7", "2001:db8::7")
    assert view["OS-DCF:diskConfig"] == "MANUAL"
    server = api.get(f"{SERVERS}/{server_id}", headers=ALICE).json["server"]
    assert (server["accessIPv4"], server["OS-DCF:diskConfig"]) == ("198.51.100.7", "MANUAL")
    bad = {"server": {"accessIPv4": "not an address"}}
    api.put_json(f"{SERVERS}/{server_id}", bad, headers=ALICE, status=400)
    assert api.get(f"{SERVERS}/{server_id}", headers=ALICE).json["server"]["accessIPv4"] == (
        "198.51.100.7"
    )


def test_the_reservation_id_is_stored_and_filters(api):
    body = {"name": "r", "flavorRef": "1", "imageRef": CIRROS, "max_count": 2,
            "return_reservation_id": True}  # fmt: skip
    first = post(api, body).json["reservation_id"]
    second = post(api, body).json["reservation_id"]
    assert first != second and all(len(r) == 10 for r in (first, second))
    create(api, name="alone")

    listed = api.get(
        f"{SERVERS}/detail?all_tenants=1&reservation_id={first}", headers=at("2.3", ADMIN)
    )
    servers = listed.json["servers"]
    assert {s["OS-EXT-SRV-ATTR:reservation_id"] for s in servers} == {first}
    assert sorted((s["name"], s["OS-EXT-SRV-ATTR:launch_index"]) for s in servers) == [
        ("r-1", 0),
        ("r-2", 1),
    ]
    names = [s["name"] for s in api.get(f"{SERVERS}?reservation_id={second}", headers=ALICE).json[
        "servers"
    ]]  # fmt: skip
    assert sorted(names) == ["r-1", "r-2"]
    bob = {"X-Auth-Token": "bob:other"}
    assert api.get(f"{SERVERS}?reservation_id={first}", headers=bob).json == {"servers": []}


def test_create_answers_as_nova(api):
    resp = post(api, {"name": "one", "flavorRef": "http://x/flavors/2", "imageRef": CIRROS})
    server = resp.json["server"]
    assert set(server) == {"id", "links", "OS-DCF:diskConfig", "security_groups", "adminPass"}
    assert server["security_groups"] == [{"name": "default"}]
    given = post(api, {"name": "p", "flavorRef": "1", "imageRef": CIRROS, "adminPass": "s3cret"})
    assert given.json["server"]["adminPass"] == "s3cret"


def test_boot_from_volume(api):
    bdm = [{"boot_index": 0, "uuid": CIRROS, "source_type": "image",
            "destination_type": "volume"}]  # fmt: skip
    server_id = create(api, imageRef="", block_device_mapping_v2=bdm)
    server = api.get(f"{SERVERS}/{server_id}", headers=at("2.3")).json["server"]
    assert server["image"] == ""
    (volume,) = server["os-extended-volumes:volumes_attached"]
    assert volume["delete_on_termination"] is False and len(volume["id"]) == 36


@pytest.mark.parametrize(
    ("fields", "version", "expected"),
    [
        ({"imageRef": ""}, "2.1", "Missing imageRef attribute"),
        ({"imageRef": OTHER}, "2.1", "Can not find requested image"),
        ({"flavorRef": "9"}, "2.1", "Flavor 9 could not be found."),
        ({"min_count": 3, "max_count": 2}, "2.1", "min_count must be <= max_count"),
        ({"key_name": "mykey"}, "2.1", "Invalid key_name provided."),
        ({"availability_zone": "az2"}, "2.1", "The requested availability zone is not available"),
        ({"security_groups": [{"name": "web"}]}, "2.1", "Security group web not found."),
        ({"networks": [{"uuid": OTHER}]}, "2.47", f"Network {OTHER} could not be found."),
        ({}, "2.37", "server.networks. 'networks' is a required property"),
        ({"networks": "none"}, "2.36", "'none' is not of type 'array'"),
        ({"description": "d"}, "2.18", "('description' was unexpected)"),
        ({"accessIPv4": "192.0.2"}, "2.1",
         "server.accessIPv4. Value: \"192.0.2\". '192.0.2' is not a 'ipv4'"),
        ({"accessIPv6": "192.0.2.1"}, "2.1", "'192.0.2.1' is not a 'ipv6'"),
        ({"user_data": "not base64"}, "2.1",
         "server.user_data. Value: \"not base64\". 'not base64' is not a 'base64'"),
        ({"personality": [{"path": "/etc/motd"}]}, "2.1", "'contents' is a required property"),
        ({"personality": [{"path": "/m", "contents": "a"}]}, "2.1", "'a' is not a 'base64'"),
        ({"config_drive": "maybe"}, "2.1", "server.config_drive. Value: \"maybe\"."),
        ({"OS-DCF:diskConfig": "auto"}, "2.1", "'auto' is not one of ['AUTO', 'MANUAL']"),
        ({"name": "a\ud800"}, "2.1", "server.name. Value holds a lone surrogate (U+D800)"),
        ({"block_device_mapping_v2": [{"boot_index": 0, "uuid": "vol-1", "source_type": "volume",
                                       "destination_type": "volume"}], "imageRef": ""},
         "2.1", "Block Device Mapping is Invalid: failed to get volume vol-1."),
    ],
)  # fmt: skip
def test_create_refusals_store_nothing(api, fields, version, expected):
    body = {"name": "web", "flavorRef": "1", "imageRef": CIRROS, **fields}
    if version == "2.47" and "networks" not in fields:
        body["networks"] = "none"
    resp = post(api, body, headers=at(version), status=400)
    assert expected in message(resp)
    assert count(api) == 0


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([{"path": f"/f{i}", "contents": "eA=="} for i in range(6)],
         "Personality file limit exceeded"),
        ([{"path": "/" + "p" * 255, "contents": "eA=="}],
         "Personality file path exceeds maximum 255"),
        ([{"path": "/f", "contents": "eHh4" * 2561}],
         "Personality file content exceeds maximum 10240"),
    ],
)  # fmt: skip
def test_personality_limits_are_nova_403(api, files, expected):
    body = {"name": "p", "flavorRef": "1", "imageRef": CIRROS, "personality": files}
    assert message(post(api, body, status=403)) == expected
    assert count(api) == 0


def test_the_instance_quota_is_nova_403(api):
    body = {"name": "q", "flavorRef": "1", "imageRef": CIRROS, "min_count": 1001}
    resp = post(api, body, status=403)
    assert message(resp) == (
        "Quota exceeded for instances: Requested 1001, but already used 0 of 1000 instances"
    )
    assert count(api) == 0


# --- actions, listing, metadata ---------------------------------------------------------------


def act(api, server_id, body, status=202):
    return api.post_json(f"{SERVERS}/{server_id}/action", body, headers=ALICE, status=status)


def test_stop_and_start(api):
    server_id = create(api)
    act(api, server_id, {"os-stop": None})
    server = api.get(f"{SERVERS}/{server_id}", headers=ALICE).json["server"]
    assert (server["status"], server["OS-EXT-STS:power_state"]) == ("SHUTOFF", 4)
    assert "progress" not in server
    resp = act(api, server_id, {"os-stop": None}, status=409)
    assert message(resp) == f"Cannot 'stop' instance {server_id} while it is in vm_state stopped"
    act(api, server_id, {"reboot": {"type": "SOFT"}}, status=409)
    act(api, server_id, {"os-start": None})
    act(api, server_id, {"os-start": {"force": True}}, status=400)  # nova: no arguments


def test_lock_and_unlock_as_nova(api):
    server_id = create(api)
    url = f"{SERVERS}/{server_id}"

    def locked(version="2.9"):
        return api.get(url, headers=at(version)).json["server"]["locked"]

    assert locked() is False
    act(api, server_id, {"lock": None})
    assert locked() is True and "locked" not in api.get(url, headers=at("2.8")).json["server"]
    act(api, server_id, {"lock": None})  # again: nothing changes
    for refused in ({"pause": None}, {"os-stop": None}, {"reboot": {"type": "HARD"}},
                    {"resize": {"flavorRef": "2"}}):  # fmt: skip
        assert message(act(api, server_id, refused, status=409)) == (
            f"Instance {server_id} is locked"
        )
    assert message(api.delete(url, headers=ALICE, status=409)) == f"Instance {server_id} is locked"
    meta = f"{url}/metadata"
    api.post_json(meta, {"metadata": {"a": "1"}}, headers=ALICE, status=409)
    api.delete(f"{meta}/missing", headers=ALICE, status=404)  # nova looks for the key first
    api.put_json(url, {"server": {"name": "renamed"}}, headers=ALICE)  # update: not locked
    assert api.get(url, headers=ALICE).json["server"]["status"] == "ACTIVE"

    admin = {**ADMIN, "Content-Type": "application/json"}
    api.post_json(f"{url}/action", {"pause": None}, headers=admin, status=202)  # admins may
    api.post_json(f"{url}/action", {"unpause": None}, headers=admin, status=202)

    act(api, server_id, {"unlock": None})
    assert locked() is False
    act(api, server_id, {"pause": None})
    act(api, server_id, {"unlock": None})  # not locked: nothing to do, still 202

    api.post_json(f"{url}/action", {"lock": None}, headers=ADMIN, status=202)  # another project
    resp = act(api, server_id, {"unlock": None}, status=403)
    assert message(resp) == (
        "Policy doesn't allow compute:servers:unlock:unlock_override to be performed."
    )
    act(api, server_id, {"lock": None})  # the owner cannot take the admin's lock over
    act(api, server_id, {"unlock": None}, status=403)
    api.post_json(f"{url}/action", {"unlock": None}, headers=ADMIN, status=202)
    assert locked() is False

    bob = {"X-Auth-Token": "bob:other"}
    api.post_json(f"{url}/action", {"lock": None}, headers=bob, status=404)
    api.post_json(f"{SERVERS}/{OTHER}/action", {"lock": None}, headers=ALICE, status=404)
    assert locked() is False


def test_tags_on_create_from_2_52_and_the_tag_filters(api, tmp_path):
    def make(name, tags, version="2.52"):
        body = {"name": name, "flavorRef": "1", "imageRef": CIRROS, "networks": "none"}
        return post(api, {**body, "tags": tags}, headers=at(version)).json["server"]["id"]

    web = make("web", ["web", "prod", "web"])
    make("db", ["prod", "db"])
    make("plain", [])
    resp = post(api, {"name": "x", "flavorRef": "1", "imageRef": CIRROS, "networks": "none",
                      "tags": ["a"]}, headers=at("2.51"), status=400)  # fmt: skip
    assert "('tags' was unexpected)" in message(resp)

    assert api.get(f"{SERVERS}/{web}", headers=at("2.26")).json["server"]["tags"] == [
        "prod",
        "web",
    ]
    assert "tags" not in api.get(f"{SERVERS}/{web}", headers=at("2.25")).json["server"]
    renamed = api.put_json(f"{SERVERS}/{web}", {"server": {"name": "www"}}, headers=at("2.26"))
    assert renamed.json["server"]["tags"] == ["prod", "web"]  # nova's update view has them

    def names(query, version="2.26"):
        listed = api.get(f"{SERVERS}?{query}", headers=at(version)).json["servers"]
        return sorted(s["name"] for s in listed)

    assert names("tags=prod") == ["db", "www"]
    assert names("tags=prod,web") == ["www"]
    assert names("tags-any=web,db") == ["db", "www"]
    assert names("not-tags=prod,web") == ["db", "plain"]
    assert names("not-tags-any=prod") == ["plain"]
    assert names("tags=prod&not-tags-any=db") == ["www"]
    assert names("tags=prod", version="2.25") == ["db", "plain", "www"]  # before 2.26: ignored
    details = api.get(f"{SERVERS}/detail?tags=db", headers=at("2.26")).json["servers"]
    assert [s["tags"] for s in details] == [["db", "prod"]]

    for tags in (["a,b"], ["a/b"], [""], ["t" * 61], [f"t{i}" for i in range(51)]):
        body = {"name": "bad", "flavorRef": "1", "imageRef": CIRROS, "networks": "none"}
        post(api, {**body, "tags": tags}, headers=at("2.52"), status=400)
    api.delete(f"{SERVERS}/{web}", headers=ALICE, status=204)
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:  # its tags went with it
        rows = db.execute("SELECT name, tag FROM server_tags JOIN servers ON id = server_id")
        assert sorted(rows) == [("db", "db"), ("db", "prod")]


def test_personality_ends_at_2_57(api):
    body = {"name": "p", "flavorRef": "1", "imageRef": CIRROS, "networks": "none",
            "personality": [{"path": "/etc/motd", "contents": "aGVsbG8K"}]}  # fmt: skip
    post(api, body, headers=at("2.56"))
    resp = post(api, body, headers=at("2.57"), status=400)
    assert "('personality' was unexpected)" in message(resp)
    assert count(api) == 1


def test_flavor_description_from_2_55_and_extra_specs_from_2_61(api):
    def get(path, version):
        return api.get(f"/v2.1/flavors{path}", headers=at(version)).json

    assert "description" not in get("/1", "2.54")["flavor"]
    assert get("/1", "2.55")["flavor"]["description"] is None
    assert get("", "2.55")["flavors"][0] == {
        "id": "1",
        "name": "m1.tiny",
        "links": [
            {"rel": "self", "href": "http://localhost/v2.1/flavors/1"},
            {"rel": "bookmark", "href": "http://localhost/flavors/1"},
        ],
        "description": None,
    }
    assert "extra_specs" not in get("/1", "2.60")["flavor"]
    assert get("/1", "2.61")["flavor"]["extra_specs"] == {}
    assert all(f["extra_specs"] == {} for f in get("/detail", "2.61")["flavors"])
    assert all("extra_specs" not in f for f in get("", "2.61")["flavors"])  # index: basic view
    resp = api.get("/v2.1/flavors", headers=at("2.62"), status=406)
    assert message(resp) == (
        "Version 2.62 is not supported by the API. Minimum is 2.1 and maximum is 2.61."
    )


def test_changes_since(api):
    old = create(api)
    stamp = api.get(f"{SERVERS}/{old}", headers=ALICE).json["server"]["updated"]
    ids = [
        s["id"] for s in api.get(f"{SERVERS}?changes-since={stamp}", headers=ALICE).json["servers"]
    ]
    assert ids == [old]
    assert api.get(f"{SERVERS}?changes-since=2999-01-01T00:00:00Z", headers=ALICE).json == {
        "servers": []
    }
    resp = api.get(f"{SERVERS}?changes-since=yesterday", headers=ALICE, status=400)
    assert "changes-since" in message(resp)
    # A time far in the future or past: a 400 or every server, never a 500 or none.
    resp = api.get(SERVERS, headers=ALICE, params={"changes-since": "9999-12-31T23:59:59-01:00"},
                   status=400)  # fmt: skip
    assert "changes-since" in message(resp)
    listed = api.get(SERVERS, headers=ALICE, params={"changes-since": "0999-01-01T00:00:00Z"})
    assert [s["id"] for s in listed.json["servers"]] == [old]


def test_name_is_a_regular_expression_as_nova(api):
    for name in ("web-1", "web-10", "Web-2", "db.1", "db-1"):
        create(api, name=name)

    def names(**query):
        return sorted(s["name"] for s in api.get(SERVERS, headers=ALICE, params=query).json[
            "servers"
        ])  # fmt: skip

    assert names(name="web") == ["web-1", "web-10"]  # anywhere in the name, case-sensitive
    assert names(name="^web-1$") == ["web-1"]
    assert names(name="[Ww]eb-[0-9]$") == ["Web-2", "web-1"]
    assert names(name="db.1") == ["db-1", "db.1"]  # "." is any character
    assert names(name=r"db\.1") == ["db.1"]
    assert names(name="(?i)WEB-1") == ["web-1", "web-10"]
    assert names(name="web|db", flavor="1") == ["db-1", "db.1", "web-1", "web-10"]
    resp = api.get(SERVERS, headers=ALICE, params={"name": "web("}, status=400)
    assert message(resp) == (
        "Invalid input for query parameter name. Value: \"web(\". 'web(' is not a 'regex'"
    )
    resp = api.get(SERVERS, headers=ALICE, params={"reservation_id": "*"}, status=400)
    assert "query parameter reservation_id" in message(resp)


def test_server_metadata(api):
    server_id = create(api, metadata={"a": "1"})
    url = f"{SERVERS}/{server_id}/metadata"
    assert api.get(url, headers=ALICE).json == {"metadata": {"a": "1"}}
    resp = api.post_json(url, {"metadata": {"b": "2"}}, headers=ALICE)
    assert resp.json == {"metadata": {"a": "1", "b": "2"}}
    resp = api.put_json(f"{url}/dotted.key", {"meta": {"dotted.key": "x"}}, headers=ALICE)
    assert resp.json == {"meta": {"dotted.key": "x"}}
    assert api.get(f"{url}/dotted.key", headers=ALICE).json == {"meta": {"dotted.key": "x"}}
    resp = api.put_json(f"{url}/c", {"meta": {"d": "x"}}, headers=ALICE, status=400)
    assert message(resp) == "Request body and URI mismatch"
    resp = api.put_json(f"{url}/c", {"meta": {"c": "1", "d": "2"}}, headers=ALICE, status=400)
    assert message(resp) == "Request body contains too many items"
    api.delete(f"{url}/a", headers=ALICE, status=204)
    resp = api.get(f"{url}/a", headers=ALICE, status=404)
    assert message(resp) == "Metadata item was not found"
    resp = api.put_json(url, {"metadata": {"only": "this"}}, headers=ALICE)
    assert resp.json == {"metadata": {"only": "this"}}
    too_many = {"metadata": {f"k{i}": "v" for i in range(129)}}
    api.post_json(url, too_many, headers=ALICE, status=403)
    assert api.get(url, headers=ALICE).json == {"metadata": {"only": "this"}}  # unchanged
    api.get(f"{SERVERS}/{server_id}/metadata", headers={"X-Auth-Token": "bob:other"}, status=404)


def test_update_answers_the_basic_view(api):
    server_id = create(api)
    resp = api.put_json(f"{SERVERS}/{server_id}", {"server": {"name": "b"}}, headers=at("2.47"))
    server = resp.json["server"]
    assert server["name"] == "b" and server["flavor"]["original_name"] == "m1.tiny"
    assert "OS-EXT-STS:vm_state" not in server  # nova before 2.75


def test_image_list_limits_as_glance(api):
    """``GET /image/v2/images``: ``limit=0`` is an empty page, a non-ASCII digit a 400."""
    images = "/image/v2/images"
    assert api.get(images, params={"limit": "0"}, headers=ALICE).json["images"] == []
    listed = api.get(images, params={"limit": "1"}, headers=ALICE).json["images"]
    assert [i["name"] for i in listed] == ["cirros"]
    resp = api.get(images, params={"limit": "\u00b2"}, headers=ALICE, status=400)
    assert message(resp) == "limit param must be an integer"
