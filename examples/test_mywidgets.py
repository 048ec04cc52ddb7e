"""The examples' API, tested through the exact pipeline of api-paste.ini (docs/testing.md)."""


def test_list(stackapi_app):
    resp = stackapi_app.get("/v1/widgets", headers={"X-Auth-Token": "alice"})
    assert resp.json == {"widgets": [{"id": "1", "name": "sprocket"}]}
    assert resp.headers["X-Gate"] == "passed"  # the filter is in the pipeline
    assert resp.headers["x-openstack-request-id"].startswith("req-")


def test_not_found_is_a_json_fault(stackapi_app):
    resp = stackapi_app.get("/v1/widgets/2", headers={"X-Auth-Token": "alice"}, status=404)
    assert resp.json == {"itemNotFound": {"code": 404, "message": "Widget 2 could not be found."}}


def test_polish_is_for_admins(stackapi_app):
    body = {"polish": {}}
    url = "/v1/widgets/1/action"
    stackapi_app.post_json(url, body, headers={"X-Auth-Token": "alice"}, status=403)
    stackapi_app.post_json(url, body, headers={"X-Auth-Token": "admin"}, status=202)


def test_the_gate_and_the_auth_filter(stackapi_app):
    stackapi_app.get("/v1/widgets", status=401)  # no token
    headers = {"X-Auth-Token": "alice", "X-Deny": "1"}
    resp = stackapi_app.get("/v1/widgets", headers=headers, status=403)
    assert resp.json["forbidden"]["message"] == "Blocked by the gate."


def test_bad_urls_never_reach_the_app(stackapi_app):
    resp = stackapi_app.get("/v1/widgets/%ff", status=400)  # the Guard answers
    assert resp.json["badRequest"]["message"] == "The URL is not valid UTF-8."
