"""Policy: the rule language, overrides from a file, 403 forbidden through a Router."""

import json

import pytest
import routes

import stackapi
from conftest import testapp
from stackapi.errors import ConfigError
from stackapi.filters.noauth import NoAuthMiddleware
from stackapi.policy import Policy, authorize, enforce
from stackapi.request_context import RequestContext

ALICE = RequestContext(user_id="alice", project_id="p1", roles=["member"])
BOB = RequestContext(user_id="bob", project_id="p2", roles=["reader"])
ADMIN = RequestContext(user_id="root", project_id="ops", roles=["admin"])
OWNED_BY_P1 = {"project_id": "p1", "user_id": "alice"}

RULES = {
    "admin_api": "is_admin:True",
    "owner": "project_id:%(project_id)s",
    "admin_or_owner": "rule:admin_api or rule:owner",
}


def allowed(text, ctx, target=OWNED_BY_P1, rules=RULES):
    return Policy({**rules, "under_test": text}).check("under_test", ctx, target)


@pytest.mark.parametrize(
    ("text", "alice", "bob", "admin"),
    [
        ("@", True, True, True),
        ("", True, True, True),
        ("!", False, False, False),
        ("role:admin", False, False, True),
        ("role:ADMIN", False, False, True),
        ("role:member or role:reader", True, True, False),
        ("rule:owner", True, False, False),
        ("rule:admin_or_owner", True, False, True),
        ("rule:no_such_rule", False, False, False),
        ("user_id:%(user_id)s", True, False, False),
        ("user_id:alice", True, False, False),
        ("is_admin:False", True, True, False),
        ("not role:admin", True, True, False),
        ("not (role:admin or project_id:%(project_id)s)", False, True, False),
        ("(role:member and user_id:alice) or role:admin", True, False, True),
        ("role:member and not user_id:alice", False, False, False),
        ("project_id:%(no_such_key)s", False, False, False),
        ("no_such_attr:x", False, False, False),
    ],
)
def test_the_language(text, alice, bob, admin):
    assert (allowed(text, ALICE), allowed(text, BOB), allowed(text, ADMIN)) == (alice, bob, admin)


def test_and_binds_tighter_than_or():
    # "@ or ! and !" is "@ or (! and !)"
    assert allowed("@ or ! and !", BOB)
    assert not allowed("(@ or !) and !", BOB)


def test_the_default_target_is_the_callers_own_project():
    assert Policy(RULES).check("owner", BOB)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("role:admin or", "unexpected end"),
        ("(role:admin", "missing ')'"),
        ("role:admin)", "unexpected ')'"),
        ("admin", "'admin' is not a check"),
        ("role:admin and and role:x", "'and' is not a check"),
    ],
)
def test_a_broken_rule_stops_startup_naming_it(text, reason):
    with pytest.raises(ConfigError) as caught:
        Policy({"broken": text})
    assert str(caught.value).startswith(f"policy rule 'broken': {reason}")
    assert str(caught.value).endswith(f" in {text!r}")


def test_a_rule_that_refers_to_itself_is_refused():
    with pytest.raises(ConfigError, match="refers to itself: a -> b"):
        Policy({"a": "rule:b", "b": "role:x or rule:a"})


def test_checking_an_unknown_name_is_a_bug():
    with pytest.raises(LookupError, match="no policy rule named 'nope'"):
        Policy(RULES).check("nope", ALICE)


def test_a_file_replaces_defaults_and_adds_rules(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"admin_api": "role:ops", "helper": "user_id:bob"}))
    policy = Policy(RULES, policy_file=path)
    assert not policy.check("admin_api", ADMIN)
    assert policy.check("admin_api", RequestContext(user_id="x", roles=["ops"]))
    assert policy.check("helper", BOB)
    assert policy.texts["owner"] == RULES["owner"]  # untouched defaults stay


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        ("{not json", "not valid JSON"),
        ('["role:admin"]', "expected a JSON object of rule texts"),
        ('{"a": 1}', "expected a JSON object of rule texts"),
        ('{"a": "role:"}', "policy rule 'a': 'role:' is not a check"),
    ],
)
def test_a_broken_file_is_a_config_error(tmp_path, content, reason):
    path = tmp_path / "policy.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        Policy(RULES, policy_file=path)
    assert reason in str(caught.value)
    assert str(path) in str(caught.value) or "policy rule" in str(caught.value)


# --- through a Router ------------------------------------------------------------------


class Documents(stackapi.Controller):
    @authorize("docs:index")
    def index(self, req):
        return {"documents": []}

    def show(self, req, id):
        document = {"id": id, "project_id": "p1"}
        enforce(req, "docs:show", document)
        return {"document": document}


def make_app(policy):
    mapper = routes.Mapper()
    mapper.resource("document", "documents", controller=stackapi.Resource(Documents()))
    return testapp(NoAuthMiddleware(stackapi.Router(mapper, policy=policy)))


@pytest.fixture
def app():
    return make_app(Policy({"docs:index": "role:reader", "docs:show": "rule:owner", **RULES}))


def token(value, roles=""):
    return {"X-Auth-Token": value, "X-Roles": roles}


def test_decorator_form(app):
    assert app.get("/documents", headers=token("bob:p2", "reader")).json == {"documents": []}
    resp = app.get("/documents", headers=token("alice:p1"), status=403)
    assert resp.json == {
        "forbidden": {"code": 403, "message": "Policy doesn't allow docs:index to be performed."}
    }


def test_call_form_with_a_target(app):
    assert app.get("/documents/9", headers=token("alice:p1")).json["document"]["id"] == "9"
    resp = app.get("/documents/9", headers=token("bob:p2"), status=403)
    assert resp.json["forbidden"]["message"] == "Policy doesn't allow docs:show to be performed."


def test_a_rule_checked_without_a_policy_is_a_500_not_an_allow():
    app = make_app(None)
    with pytest.raises(LookupError, match="no Policy given to the Router"):
        app.get("/documents", headers=token("alice:p1"))
