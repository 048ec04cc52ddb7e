"""Controller, the @action, @response and @expected_errors decorators, and ResponseObject.

A Controller is a plain class: :class:`stackapi.Resource` calls its methods.
``__init_subclass__`` (not a metaclass, so mixins stay easy) collects the
``@action`` methods of the class and its bases into ``wsgi_actions``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import webob.exc

F = TypeVar("F", bound=Callable[..., Any])
#: Where the microversion of a request is kept (stackapi.microversion.ENVIRON_KEY).
_API_VERSION_KEY = "stackapi.api_version"


def action(name: str) -> Callable[[F], F]:
    """Mark a method as the handler of ``POST .../{id}/action`` with body ``{name: {...}}``.

    The method is called ``(req, id, body)``, ``body`` being the whole document::

        @stackapi.action("reboot")
        def _reboot(self, req, id, body):
            kind = body["reboot"].get("type", "SOFT")
    """
    if not isinstance(name, str) or not name:
        raise TypeError("@action needs the action's name, e.g. @action('reboot')")

    def decorate(func: F) -> F:
        func.wsgi_action = name  # type: ignore[attr-defined]
        return func

    return decorate


def response(code: int) -> Callable[[F], F]:
    """Set the status a method answers with when it succeeds (e.g. 202, 204)."""
    if not isinstance(code, int) or not 200 <= code < 400:
        raise TypeError(f"@response needs a success status (200-399), not {code!r}")

    def decorate(func: F) -> F:
        func.wsgi_code = code  # type: ignore[attr-defined]
        return func

    return decorate


class UnexpectedError(Exception):
    """A ``webob.exc`` error a method raised but did not declare in ``@expected_errors``.

    Not an HTTP exception on purpose: it goes up to the ``faultwrap`` filter,
    which logs it (traceback, request id) and answers the generic 500.
    """


def expected_errors(
    *codes: int | tuple[int, ...], min_version: str | None = None, max_version: str | None = None
) -> Callable[[F], F]:
    """Declare the error statuses a method may answer, as nova's ``@expected_errors``.

    ::

        @expected_errors(404, 409)
        def _pause(self, req, id, body):
            ...   # HTTPNotFound / HTTPConflict pass with their message

    A raised ``webob.exc`` error whose status is listed passes unchanged;
    so do 400s of ``@validate`` and 403s of the policy (nova makes the same
    two exceptions).  Any other (an undeclared ``HTTPConflict``, a
    ``KeyError``) becomes the generic 500 ``apiFault``, its traceback and the
    request id in the log (by ``faultwrap``).  With ``min_version`` /
    ``max_version`` the check applies to requests of that range only.
    """
    allowed = frozenset(
        c for code in codes for c in (code if isinstance(code, tuple) else (code,))
    )
    for code in allowed:
        if not isinstance(code, int) or not 400 <= code < 600:
            raise TypeError(f"@expected_errors takes error statuses (400-599), not {code!r}")

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def checked(self: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return func(self, req, *args, **kwargs)
            except webob.exc.HTTPException as exc:
                if exc.code < 400 or exc.code in allowed or getattr(exc, "always_expected", False):
                    raise
                if not _in_range(req, min_version, max_version):
                    raise
                raise UnexpectedError(
                    f"{func.__qualname__} raised {exc.code} {type(exc).__name__}, "
                    f"not in @expected_errors{tuple(sorted(allowed))}: {exc.detail or ''}"
                ) from exc

        checked.wsgi_expected_errors = allowed  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def _in_range(req: Any, min_version: str | None, max_version: str | None) -> bool:
    if min_version is None and max_version is None:
        return True
    version = req.environ.get(_API_VERSION_KEY)
    return version is None or version.matches(min_version, max_version)


class ResponseObject:
    """What a controller returns when it must set the status or headers.

    ``obj`` is serialized as JSON (``None`` means an empty body); ``code``
    overrides ``@response``; ``headers`` are added to the response (a value that is
    not a ``str`` is written as ``str(value)``, as nova does)::

        return stackapi.ResponseObject({"widget": w}, code=201,
                                       headers={"Location": url})
    """

    __slots__ = ("obj", "code", "headers")

    def __init__(
        self, obj: Any, code: int | None = None, headers: Mapping[str, Any] | None = None
    ) -> None:
        self.obj = obj
        self.code = code
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"ResponseObject({self.obj!r}, code={self.code!r}, headers={self.headers!r})"


class Controller:
    """Base class for API controllers.

    ======================================  =====================================
    request                                 method called
    ======================================  =====================================
    ``GET /widgets``                        ``index(req)``
    ``GET /widgets/{id}``                   ``show(req, id)``
    ``POST /widgets``                       ``create(req, body)``
    ``PUT /widgets/{id}``                   ``update(req, id, body)``
    ``DELETE /widgets/{id}``                ``delete(req, id)``
    ``POST /widgets/{id}/action``           the ``@action("name")`` method,
    body ``{"name": {...}}``                ``(req, id, body)``
    a route with ``action="foo"``           ``foo(req, **route_args)``
                                            (+ ``body`` when the request has one)
    ======================================  =====================================

    Two methods of one class claiming the same action name is a ``TypeError``
    at class creation; a subclass may override a base class's action.
    """

    #: action name -> method name, filled in by __init_subclass__.
    wsgi_actions: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        actions: dict[str, str] = {}
        for klass in reversed(cls.__mro__):  # bases and mixins first, the subclass wins
            actions.update(_declared_actions(klass))
        cls.wsgi_actions = actions


def _declared_actions(klass: type) -> dict[str, str]:
    """The ``@action`` methods defined in ``klass`` itself: action name -> method name."""
    own: dict[str, str] = {}
    for attr, value in vars(klass).items():
        name = getattr(value, "wsgi_action", None)
        if name is None:
            continue
        if name in own:
            raise TypeError(
                f"{klass.__qualname__}: action {name!r} is claimed by both "
                f"{own[name]}() and {attr}()"
            )
        own[name] = attr
    return own
