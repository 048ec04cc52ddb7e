"""Controller: @action collection, @response, ResponseObject."""

import pytest

import stackapi


def test_actions_are_collected_from_class_and_bases():
    class Base(stackapi.Controller):
        @stackapi.action("reboot")
        def _reboot(self, req, id, body):
            pass

    class Child(Base):
        @stackapi.action("pause")
        def _pause(self, req, id, body):
            pass

    assert Base.wsgi_actions == {"reboot": "_reboot"}
    assert Child.wsgi_actions == {"reboot": "_reboot", "pause": "_pause"}


def test_subclass_may_override_an_action():
    class Base(stackapi.Controller):
        @stackapi.action("reboot")
        def _reboot(self, req, id, body):
            pass

    class Child(Base):
        @stackapi.action("reboot")
        def _hard_reboot(self, req, id, body):
            pass

    assert Child.wsgi_actions == {"reboot": "_hard_reboot"}
    assert Base.wsgi_actions == {"reboot": "_reboot"}


def test_duplicate_action_in_one_class_names_both_methods():
    with pytest.raises(TypeError, match=r"'reboot' is claimed by both _a\(\) and _b\(\)"):

        class Twice(stackapi.Controller):
            @stackapi.action("reboot")
            def _a(self, req, id, body):
                pass

            @stackapi.action("reboot")
            def _b(self, req, id, body):
                pass


def test_mixin_actions_are_collected():
    class Mixin:
        @stackapi.action("lock")
        def _lock(self, req, id, body):
            pass

    class Servers(Mixin, stackapi.Controller):
        pass

    assert Servers.wsgi_actions == {"lock": "_lock"}


def test_decorators_validate_their_arguments():
    with pytest.raises(TypeError):
        stackapi.action("")
    with pytest.raises(TypeError):
        stackapi.response(500)
    with pytest.raises(TypeError):
        stackapi.response("202")


def test_response_object_defaults():
    ro = stackapi.ResponseObject({"a": 1})
    assert (ro.obj, ro.code, ro.headers) == ({"a": 1}, None, {})
