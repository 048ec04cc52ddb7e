"""The demo API through the shipped ini: nova's shapes, states, scoping, policy, paging.

Every test runs twice (``demo_db``): on a SQLite file and on PostgreSQL.
"""

import concurrent.futures
import json
import threading

import pytest

import stackapi
from conftest import testapp
from stackapi.demo.images import CIRROS

ALICE = {"X-Auth-Token": "alice:demo"}
BOB = {"X-Auth-Token": "bob:other"}
ADMIN = {"X-Auth-Token": "admin:ops"}


def at(version, headers=ALICE):
    return {**headers, "OpenStack-API-Version": f"compute {version}"}


@pytest.fixture
def api(tmp_path, demo_db):
    return testapp(stackapi.loadapp(str(demo_db.ini(tmp_path))))


def create(api, name="web", flavor="1", headers=ALICE, **fields):
    body = {"server": {"name": name, "flavorRef": flavor, "imageRef": CIRROS, **fields}}
    return api.post_json("/v2.1/servers", body, headers=headers).json["server"]["id"]


def show(api, server_id, headers=ALICE, **kwargs):
    return api.get(f"/v2.1/servers/{server_id}", headers=headers, **kwargs).json["server"]


def act(api, server_id, body, headers=ALICE, **kwargs):
    return api.post_json(f"/v2.1/servers/{server_id}/action", body, headers=headers, **kwargs)


def fault(resp):
    ((name, detail),) = resp.json.items()
    return name, detail["message"]


# --- servers: CRUD and shapes ----------------------------------------------------------


def test_create_answers_202_with_location_and_links(api):
    resp = api.post_json(
        "/v2.1/servers",
        {"server": {"name": "web", "flavorRef": 1, "imageRef": CIRROS}},
        headers=ALICE,
    )
    assert resp.status_int == 202
    server = resp.json["server"]
    url = f"http://localhost/v2.1/servers/{server['id']}"
    assert resp.headers["Location"] == url
    assert server["links"] == [
        {"rel": "self", "href": url},
        {"rel": "bookmark", "href": f"http://localhost/servers/{server['id']}"},
    ]


def test_show_at_2_1(api):
    server_id = create(api, metadata={"role": "web"})
    server = show(api, server_id)
    assert server["id"] == server_id
    assert (server["name"], server["status"]) == ("web", "ACTIVE")
    assert (server["tenant_id"], server["user_id"]) == ("demo", "alice")
    assert server["metadata"] == {"role": "web"}
    assert server["flavor"] == {
        "id": "1",
        "links": [{"rel": "bookmark", "href": "http://localhost/flavors/1"}],
    }
    assert server["image"] == {
        "id": CIRROS,
        "links": [{"rel": "bookmark", "href": f"http://localhost/images/{CIRROS}"}],
    }
    assert server["created"].endswith("Z") and server["updated"] == server["created"]
    assert "description" not in server


def test_description_arrives_in_2_19(api):
    resp = api.post_json(
        "/v2.1/servers",
        {"server": {"name": "web", "flavorRef": "1", "imageRef": CIRROS, "description": "front"}},
        headers=at("2.18"),
        status=400,
    )
    assert fault(resp) == (
        "badRequest",
        'Invalid input for field/attribute server.description. Value: "front". '
        "Additional properties are not allowed ('description' was unexpected)",
    )
    server_id = create(api, headers=at("2.19"), description="front")
    assert show(api, server_id, headers=at("2.19"))["description"] == "front"
    assert "description" not in show(api, server_id, headers=at("2.18"))
    assert show(api, create(api), headers=at("2.19"))["description"] is None


def test_the_flavor_is_embedded_from_2_47(api):
    server_id = create(api, flavor="3")
    assert show(api, server_id, headers=at("2.47"))["flavor"] == {
        "original_name": "m1.medium",
        "vcpus": 2,
        "ram": 4096,
        "disk": 40,
        "ephemeral": 0,
        "swap": 0,
        "extra_specs": {},
    }
    assert show(api, server_id, headers=at("2.46"))["flavor"]["id"] == "3"


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"flavorRef": "1"}, "server.name. 'name' is a required property"),
        ({"name": "web"}, "server.flavorRef. 'flavorRef' is a required property"),
        ({"name": " web", "flavorRef": "1"}, 'server.name. Value: " web".'),
        ({"name": "w\x07b", "flavorRef": "1"}, 'server.name. Value: "w\\u0007b".'),
        ({"name": "web", "flavorRef": "1", "metadata": {"a": 1}}, "server.metadata.a. Value: 1."),
    ],
)
def test_create_validation_names_the_field(api, server, message):
    resp = api.post_json("/v2.1/servers", {"server": server}, headers=ALICE, status=400)
    assert message in fault(resp)[1]


def test_a_tag_with_a_nul_is_a_400_on_every_database(api):
    """PostgreSQL's text cannot hold NUL: the schema refuses it (a 500 there before)."""
    body = {"server": {"name": "web", "flavorRef": "1", "imageRef": CIRROS, "networks": "none",
                       "tags": ["a\x00b"]}}  # fmt: skip
    resp = api.post_json("/v2.1/servers", body, headers=at("2.52"), status=400)
    assert "server.tags[0]" in fault(resp)[1]
    assert api.get("/v2.1/servers", headers=ALICE).json == {"servers": []}


def test_concurrent_creates_never_pass_the_quota(api):
    """Two creates of 600 at once with a quota of 1000: one is nova's 403, on every
    database (on PostgreSQL both counted 0 and built 1200 before)."""
    body = {"server": {"name": "q", "flavorRef": "1", "imageRef": CIRROS, "networks": "none",
                       "min_count": 600, "max_count": 600}}  # fmt: skip
    start = threading.Barrier(2)

    def one():
        start.wait()
        headers = at("2.37")
        return api.post_json("/v2.1/servers", body, headers=headers, expect_errors=True).status_int

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: one(), range(2)))
    assert statuses == [202, 403]
    listed = api.get("/v2.1/servers?limit=1000", headers=ALICE).json["servers"]
    assert len(listed) == 600


def test_create_with_an_unknown_flavor(api):
    body = {"server": {"name": "web", "flavorRef": "42", "imageRef": CIRROS}}
    resp = api.post_json("/v2.1/servers", body, headers=ALICE, status=400)
    assert fault(resp) == ("badRequest", "Flavor 42 could not be found.")


def test_update_and_delete(api):
    server_id = create(api)
    url = f"/v2.1/servers/{server_id}"
    resp = api.put_json(url, {"server": {"name": "renamed"}}, headers=ALICE)
    assert resp.json["server"]["name"] == "renamed"
    resp = api.put_json(url, {"server": {"description": "d"}}, headers=ALICE, status=400)
    assert "server.description" in fault(resp)[1]
    resp = api.put_json(url, {"server": {"description": "d"}}, headers=at("2.19"))
    assert resp.json["server"]["description"] == "d"
    assert api.delete(url, headers=ALICE).status_int == 204
    resp = api.get(url, headers=ALICE, status=404)
    assert fault(resp) == ("itemNotFound", f"Instance {server_id} could not be found.")


# --- scoping and policy ----------------------------------------------------------------


def test_another_projects_server_is_not_found(api):
    server_id = create(api)
    api.get(f"/v2.1/servers/{server_id}", headers=BOB, status=404)
    act(api, server_id, {"pause": None}, headers=BOB, status=404)
    api.delete(f"/v2.1/servers/{server_id}", headers=BOB, status=404)
    assert api.get("/v2.1/servers", headers=BOB).json == {"servers": []}
    assert show(api, server_id)["status"] == "ACTIVE"


def test_admins_see_every_project_and_list_them_with_all_tenants(api):
    alices, bobs = create(api), create(api, headers=BOB)
    assert show(api, alices, headers=ADMIN)["tenant_id"] == "demo"
    listed = api.get("/v2.1/servers?all_tenants=1", headers=ADMIN).json["servers"]
    assert [s["id"] for s in listed] == [bobs, alices]
    resp = api.get("/v2.1/servers?all_tenants=1", headers=ALICE, status=403)
    assert fault(resp) == (
        "forbidden",
        "Policy doesn't allow compute:servers:index:get_all_tenants to be performed.",
    )


def test_reset_state_is_for_admins(api):
    server_id = create(api)
    resp = act(api, server_id, {"os-resetState": {"state": "error"}}, status=403)
    assert fault(resp)[0] == "forbidden"
    assert (
        act(api, server_id, {"os-resetState": {"state": "error"}}, headers=ADMIN).status_int == 202
    )
    assert show(api, server_id)["status"] == "ERROR"


def test_a_policy_file_from_the_ini(tmp_path, demo_db):
    (tmp_path / "policy.json").write_text(json.dumps({"compute:servers:delete": "rule:admin_api"}))
    api = testapp(
        stackapi.loadapp(
            str(demo_db.ini(tmp_path, api_options="policy_file = %(here)s/policy.json"))
        )
    )
    server_id = create(api)
    api.delete(f"/v2.1/servers/{server_id}", headers=ALICE, status=403)
    api.delete(f"/v2.1/servers/{server_id}", headers=ADMIN, status=204)


# --- actions and states ----------------------------------------------------------------


def test_pause_and_unpause(api):
    server_id = create(api)
    assert act(api, server_id, {"pause": None}).status_int == 202
    assert show(api, server_id)["status"] == "PAUSED"
    resp = act(api, server_id, {"pause": {}}, status=409)
    assert fault(resp) == (
        "conflictingRequest",
        f"Cannot 'pause' instance {server_id} while it is in vm_state paused",
    )
    act(api, server_id, {"reboot": {"type": "SOFT"}}, status=409)
    assert act(api, server_id, {"unpause": None}).status_int == 202
    act(api, server_id, {"unpause": None}, status=409)
    assert show(api, server_id)["status"] == "ACTIVE"


def test_reboot(api):
    server_id = create(api)
    assert act(api, server_id, {"reboot": {"type": "SOFT"}}).status_int == 202
    act(api, server_id, {"pause": None})
    assert act(api, server_id, {"reboot": {"type": "hard"}}).status_int == 202
    assert show(api, server_id)["status"] == "ACTIVE"
    resp = act(api, server_id, {"reboot": {"type": "GENTLE"}}, status=400)
    assert "reboot.type" in fault(resp)[1]
    act(api, server_id, {"reboot": {}}, status=400)


def test_resize_confirm_and_revert(api):
    server_id = create(api, flavor="1")
    assert act(api, server_id, {"resize": {"flavorRef": "2"}}).status_int == 202
    server = show(api, server_id)
    assert (server["status"], server["flavor"]["id"]) == ("VERIFY_RESIZE", "2")
    act(api, server_id, {"resize": {"flavorRef": "3"}}, status=409)
    assert act(api, server_id, {"confirmResize": None}).status_int == 204
    server = show(api, server_id)
    assert (server["status"], server["flavor"]["id"]) == ("ACTIVE", "2")
    act(api, server_id, {"confirmResize": None}, status=409)

    act(api, server_id, {"resize": {"flavorRef": 4}})
    assert act(api, server_id, {"revertResize": None}).status_int == 202
    assert show(api, server_id)["flavor"]["id"] == "2"
    act(api, server_id, {"revertResize": None}, status=409)


def test_resize_refusals(api):
    server_id = create(api, flavor="1")
    resp = act(api, server_id, {"resize": {"flavorRef": "1"}}, status=400)
    assert fault(resp) == ("badRequest", "When resizing, instances must change flavor!")
    resp = act(api, server_id, {"resize": {"flavorRef": "99"}}, status=400)
    assert fault(resp) == ("badRequest", "Unable to find flavor.")
    assert show(api, server_id)["status"] == "ACTIVE"


def test_unknown_action(api):
    resp = act(api, create(api), {"shelve": None}, status=400)
    assert fault(resp) == ("badRequest", "There is no such action: shelve")


# --- listing: paging and filters -------------------------------------------------------


def test_paging_with_limit_and_marker(api):
    ids = [create(api, name=f"s{i}") for i in range(5)]
    newest_first = ids[::-1]
    seen, url = [], "/v2.1/servers?limit=2"
    for _ in range(5):  # bounded: 3 pages expected
        page = api.get(url, headers=ALICE).json
        seen += [s["id"] for s in page["servers"]]
        if "servers_links" not in page:
            break
        (link,) = page["servers_links"]
        assert link["rel"] == "next" and "limit=2" in link["href"]
        url = link["href"].removeprefix("http://localhost")
    assert seen == newest_first
    assert api.get("/v2.1/servers?limit=0", headers=ALICE).json == {"servers": []}


def test_paging_refusals(api):
    resp = api.get("/v2.1/servers?marker=nope", headers=ALICE, status=400)
    assert fault(resp) == ("badRequest", "marker [nope] not found")
    bobs = create(api, headers=BOB)
    api.get(f"/v2.1/servers?marker={bobs}", headers=ALICE, status=400)
    resp = api.get("/v2.1/servers?limit=-1", headers=ALICE, status=400)
    assert "query parameter limit" in fault(resp)[1]


def test_filters(api):
    create(api, name="web-1", flavor="1")
    web2 = create(api, name="web-2", flavor="2")
    create(api, name="db", flavor="2")
    act(api, web2, {"pause": None})

    def names(query):
        return [
            s["name"] for s in api.get(f"/v2.1/servers?{query}", headers=ALICE).json["servers"]
        ]

    assert names("name=web") == ["web-2", "web-1"]
    assert names("status=paused") == ["web-2"]
    assert names("flavor=2") == ["db", "web-2"]
    assert names("flavor=2&status=ACTIVE") == ["db"]
    assert names("name=nothing") == []
    # nova's statuses the demo's servers never have: none listed, at any version
    assert names("status=SHELVED") == names("status=build") == []
    # a status unknown to nova: nothing before 2.38, nova's 400 from 2.38 on
    assert api.get("/v2.1/servers?status=nap", headers=at("2.37")).json == {"servers": []}
    resp = api.get("/v2.1/servers?status=nap", headers=at("2.38"), status=400)
    assert fault(resp) == ("badRequest", "Invalid status value")


def test_detail_lists_full_servers_with_the_same_paging(api):
    create(api, name="a")
    create(api, name="b")
    page = api.get("/v2.1/servers/detail?limit=1", headers=ALICE).json
    assert page["servers"][0]["name"] == "b" and page["servers"][0]["status"] == "ACTIVE"
    assert "/v2.1/servers/detail?limit=1&marker=" in page["servers_links"][0]["href"]


# --- flavors -----------------------------------------------------------------------------


def test_flavors_are_read_only(api):
    flavors = api.get("/v2.1/flavors", headers=ALICE).json["flavors"]
    assert [f["name"] for f in flavors] == [
        "m1.tiny",
        "m1.small",
        "m1.medium",
        "m1.large",
        "m1.xlarge",
    ]
    assert set(flavors[0]) == {"id", "name", "links"}
    flavor = api.get("/v2.1/flavors/2", headers=ALICE).json["flavor"]
    assert (flavor["ram"], flavor["vcpus"], flavor["disk"]) == (2048, 1, 20)
    resp = api.post_json("/v2.1/flavors", {"flavor": {}}, headers=ADMIN, status=405)
    assert resp.headers["Allow"] == "GET, HEAD"
    api.delete("/v2.1/flavors/2", headers=ADMIN, status=405)
    assert fault(api.get("/v2.1/flavors/9", headers=ALICE, status=404)) == (
        "itemNotFound",
        "Flavor 9 could not be found.",
    )
    page = api.get("/v2.1/flavors/detail?limit=2&marker=2", headers=ALICE).json
    assert [f["id"] for f in page["flavors"]] == ["3", "4"]
    assert page["flavors_links"][0]["href"].endswith("/v2.1/flavors/detail?limit=2&marker=4")


# --- state: one transaction per request, kept on disk -----------------------------------


def test_a_refused_request_changes_nothing(tmp_path, demo_db):
    """An extension fails after the controller wrote: the whole request rolls back."""
    ini = demo_db.ini(tmp_path, api_options="extensions = failing_extension:FailAfterRename")
    api = testapp(stackapi.loadapp(str(ini)))
    server_id = create(api, name="before")
    url = f"/v2.1/servers/{server_id}"
    resp = api.put_json(url, {"server": {"name": "after"}}, headers=ALICE, status=409)
    assert fault(resp) == ("conflictingRequest", "Refused after the write.")
    assert show(api, server_id)["name"] == "before"


def test_state_is_in_the_database_named_by_the_ini(tmp_path, demo_db):
    api = testapp(stackapi.loadapp(str(demo_db.ini(tmp_path))))
    server_id = create(api, name="kept")
    query = "SELECT name FROM servers WHERE id = :id"
    assert demo_db.select(query, {"id": server_id}) == [("kept",)]
    again = testapp(stackapi.loadapp(str(demo_db.ini(tmp_path))))  # a new app, same database
    assert show(again, server_id)["name"] == "kept"
