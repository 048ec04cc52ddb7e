"""Controller extensions: another package adds actions or response fields to a resource.

nova's ``@extends``, without its extension manager: an :class:`Extension`
names the collection it extends; the Router attaches it to that collection's
Resource.  ``load_extensions`` reads the ini's ``extensions =`` option.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from stackapi.controller import Controller
from stackapi.errors import ConfigError
from stackapi.options import as_list


def extends(func: Callable | None = None, *, action: str | None = None) -> Any:
    """Mark an Extension method that runs after a controller method succeeded.

    ``@extends`` on a method named like the extended one (``show``, ``index``,
    ``detail``, ``create``, ``update``...) or ``@extends(action="resize")``.
    It is called ``(req, resp_obj, **args)`` -- ``args`` are the extended
    method's own (``id``, ``body``) -- and edits ``resp_obj.obj`` (the dict
    the controller returned) or ``resp_obj.headers``/``resp_obj.code``.
    Returning a response (or raising ``webob.exc``) replaces the answer.
    """

    def decorate(method: Callable) -> Callable:
        method.wsgi_extends = action or method.__name__  # type: ignore[attr-defined]
        method.wsgi_extends_action = action is not None  # type: ignore[attr-defined]
        return method

    return decorate(func) if func is not None else decorate


class Extension(Controller):
    """Base class of controller extensions.

    ::

        class ServerUptime(Extension):
            collection = "servers"                 # the route name of the collection

            @extends
            def show(self, req, resp_obj, id):
                resp_obj.obj["server"]["uptime"] = 0

            @stackapi.action("ping")                  # POST /servers/{id}/action {"ping": {}}
            def _ping(self, req, id, body):
                return {"pong": id}

        [app:api]
        use = egg:stackapi#demo
        extensions = mypackage.uptime:ServerUptime

    Extensions are built without arguments, once per app.  Their actions
    join the extended controller's (the same name twice is a TypeError at
    startup); ``@extends`` methods run in the order extensions are listed.
    ``@api_version`` works on both: an ``@extends`` method with no variant
    for the request's version is skipped.
    """

    #: The collection this extension extends: the name Routes gives the
    #: collection route (``mapper.resource("server", "servers")`` -> "servers").
    collection: str = ""

    #: "show" or "action:resize" -> the names of its @extends methods (__init_subclass__).
    wsgi_extensions: dict[str, list[str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hooks: dict[str, list[str]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                target = getattr(value, "wsgi_extends", None)
                if target is not None:
                    key = ("action:" if value.wsgi_extends_action else "") + target
                    hooks.setdefault(key, []).append(attr)
        cls.wsgi_extensions = hooks

    def hooks_for(self, key: str) -> list[Callable]:
        """The bound ``@extends`` methods for ``"show"`` or ``"action:resize"``."""
        return [getattr(self, attr) for attr in self.wsgi_extensions.get(key, ())]


def load_extensions(spec: str | Iterable[Any]) -> list[Extension]:
    """``"pkg.mod:Class other.mod:Class"`` (the ini option) -> built extensions.

    An entry that cannot be imported or is not an :class:`Extension`
    subclass is a ConfigError on key ``extensions``.
    """
    built = []
    for entry in as_list(spec) if isinstance(spec, str) else spec:
        if isinstance(entry, Extension):
            built.append(entry)
            continue
        cls = _import(entry) if isinstance(entry, str) else entry
        if not (isinstance(cls, type) and issubclass(cls, Extension)):
            raise ConfigError(f"{entry!r} is not a stackapi Extension subclass", key="extensions")
        if not cls.collection:
            raise ConfigError(f"{entry!r} does not name its collection", key="extensions")
        built.append(cls())
    return built


def _import(path: str) -> Any:
    module_name, colon, attr = path.partition(":")
    if not colon or not module_name or not attr:
        raise ConfigError(f"expected module:Class, got {path!r}", key="extensions")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r}: {exc}", key="extensions") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"module {module_name!r} has no {attr!r}", key="extensions") from None
