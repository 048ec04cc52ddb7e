"""Microversions: the ``OpenStack-API-Version`` header and methods chosen by version.

Opt-in: a Router or Resource given a :class:`Microversions` negotiates each
request's version, puts it in the environ (``req.api_version``) and echoes it.
Plain data and webob only.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import webob
import webob.exc

from stackapi.errors import ConfigError
from stackapi.faults import fault_from_exception

HEADER = "OpenStack-API-Version"
ENVIRON_KEY = "stackapi.api_version"
#: Attributes of a variant that say which name it answers to; all variants agree.
_ROUTING_MARKERS = ("wsgi_action", "wsgi_extends", "wsgi_extends_action")
_VERSION = re.compile(r"([1-9]\d*)\.([1-9]\d*|0)\Z")  # nova's X.Y: no leading zeros


@functools.total_ordering
class APIVersion:
    """A microversion, ``X.Y``, compared numerically (``2.10 > 2.9``).

    Compares with strings too, so controllers read naturally::

        if req.api_version >= "2.2":
            view["description"] = server["description"]
    """

    __slots__ = ("major", "minor")

    def __init__(self, major: int, minor: int) -> None:
        self.major = major
        self.minor = minor

    @classmethod
    def parse(cls, text: str | APIVersion) -> APIVersion:
        """``"2.1"`` -> ``APIVersion(2, 1)``; anything but ``X.Y`` is a ValueError."""
        if isinstance(text, APIVersion):
            return text
        match = _VERSION.match(str(text).strip())
        if not match:
            raise ValueError(f"{text!r} is not a version of the form MajorNum.MinorNum, e.g. 2.1")
        return cls(int(match.group(1)), int(match.group(2)))

    def matches(self, min_version: Any = None, max_version: Any = None) -> bool:
        """Whether ``min_version <= self <= max_version`` (None: unbounded)."""
        if min_version is not None and self < min_version:
            return False
        return max_version is None or self <= max_version

    def _key(self, other: Any) -> tuple[int, int] | None:
        if isinstance(other, str):
            other = APIVersion.parse(other)
        if isinstance(other, APIVersion):
            return (other.major, other.minor)
        return None

    def __eq__(self, other: object) -> bool:
        key = self._key(other)
        return NotImplemented if key is None else (self.major, self.minor) == key

    def __lt__(self, other: Any) -> bool:
        key = self._key(other)
        return NotImplemented if key is None else (self.major, self.minor) < key

    def __hash__(self) -> int:
        return hash((self.major, self.minor))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def __repr__(self) -> str:
        return f"APIVersion('{self}')"


@dataclass(frozen=True)
class Microversions:
    """The versions one API accepts: ``Microversions("compute", "2.1", "2.3")``.

    Give it to a Router (or a Resource) to turn microversions on::

        super().__init__(mapper, microversions=Microversions("compute", "2.1", "2.3"))

    Each request then carries ``OpenStack-API-Version: compute 2.2`` (or
    ``compute latest``); entries for other services are ignored.  No entry ->
    the minimum; not ``X.Y`` -> 400 badRequest; outside the range -> 406 with
    the range in the message.  Every response of a negotiated request (faults
    too) echoes ``OpenStack-API-Version: compute 2.2`` and carries
    ``Vary: OpenStack-API-Version``.

    ``legacy_headers`` names the service's own older headers, whose value is
    the bare version (nova's ``X-OpenStack-Nova-API-Version: 2.47``)::

        Microversions("compute", "2.1", "2.47",
                      legacy_headers=("X-OpenStack-Nova-API-Version",))

    A request may use either (``OpenStack-API-Version`` wins when both are
    sent, as microversion-parse decides for nova); the response echoes the
    version in every one of them, and ``Vary`` names them all.
    """

    service_type: str
    min_version: APIVersion
    max_version: APIVersion
    legacy_headers: tuple[str, ...]

    def __init__(
        self,
        service_type: str,
        min_version: Any,
        max_version: Any,
        legacy_headers: tuple[str, ...] | list[str] = (),
    ) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", service_type or ""):
            raise ValueError(f"service type {service_type!r}: expected a word like 'compute'")
        low, high = APIVersion.parse(min_version), APIVersion.parse(max_version)
        if low > high:
            raise ValueError(f"min_version {low} is above max_version {high}")
        for name in legacy_headers:
            if (
                not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]*", name)
                or name.lower() == HEADER.lower()
            ):
                raise ValueError(f"legacy header {name!r}: expected a header name")
        object.__setattr__(self, "service_type", service_type)
        object.__setattr__(self, "min_version", low)
        object.__setattr__(self, "max_version", high)
        object.__setattr__(self, "legacy_headers", tuple(legacy_headers))

    def narrowed(self, min_version: str = "", max_version: str = "") -> Microversions:
        """The range an ini section's ``min_version``/``max_version`` ask for.

        Empty keeps this range's end.  Each must lie inside this range (what
        the code implements): else a ConfigError naming the key.
        """
        low, high = self.min_version, self.max_version
        for key, text in (("min_version", min_version), ("max_version", max_version)):
            if not text:
                continue
            try:
                value = APIVersion.parse(text)
            except ValueError as exc:
                raise ConfigError(str(exc), key=key) from None
            if not value.matches(self.min_version, self.max_version):
                raise ConfigError(
                    f"{value} is outside what the code implements "
                    f"({self.min_version} to {self.max_version})",
                    key=key,
                )
            low, high = (value, high) if key == "min_version" else (low, value)
        if low > high:
            raise ConfigError(f"min_version {low} is above max_version {high}", key="min_version")
        return Microversions(self.service_type, low, high, self.legacy_headers)

    def requested(self, req: webob.Request) -> str | None:
        """This service's entry of the header(s), or None (several -> 400).

        ``OpenStack-API-Version`` first; without an entry for this service,
        the first legacy header present.
        """
        found = []
        for entry in req.headers.get(HEADER, "").split(","):
            words = entry.split()
            if words and words[0].lower() == self.service_type:
                found.append(" ".join(words[1:]))
        if len(found) > 1:
            raise webob.exc.HTTPBadRequest(
                explanation=f"{HEADER} names service {self.service_type} more than once."
            )
        if found:
            return found[0]
        for name in self.legacy_headers:
            value = req.headers.get(name)
            if value is not None and value.strip():
                return value.strip()
        return None

    def negotiate(self, req: webob.Request) -> APIVersion:
        """The version ``req`` asks for (400 malformed, 406 out of range)."""
        text = self.requested(req)
        if text is None:
            return self.min_version
        if text.lower() == "latest":
            return self.max_version
        try:
            version = APIVersion.parse(text)
        except ValueError:
            raise webob.exc.HTTPBadRequest(
                explanation=f"API version string {text!r} is of invalid format. "
                "Must be of format MajorNum.MinorNum or 'latest'."
            ) from None
        if not version.matches(self.min_version, self.max_version):
            raise webob.exc.HTTPNotAcceptable(
                explanation=f"Version {version} is not supported by the API. "
                f"Minimum is {self.min_version} and maximum is {self.max_version}."
            )
        return version

    def respond(self, req: webob.Request, answer: Callable[[], webob.Response]) -> webob.Response:
        """Negotiate ``req``'s version, store it for ``req.api_version``, answer, echo.

        A refused header is answered here (400/406) without the echo: there
        is no version to echo.
        """
        try:
            version = self.negotiate(req)
        except webob.exc.HTTPException as exc:
            return fault_from_exception(exc)
        req.environ[ENVIRON_KEY] = version
        return self.stamp(answer(), version)

    def stamp(self, resp: webob.Response, version: APIVersion) -> webob.Response:
        """Echo the version (in the legacy headers too) and name them all in ``Vary``."""
        resp.headers[HEADER] = f"{self.service_type} {version}"
        for name in self.legacy_headers:
            resp.headers[name] = str(version)
        vary = [v.strip() for v in resp.headers.get("Vary", "").split(",") if v.strip()]
        known = {v.lower() for v in vary}
        added = [h for h in (HEADER, *self.legacy_headers) if h.lower() not in known]
        if added:
            resp.headers["Vary"] = ", ".join([*vary, *added])
        return resp


def api_version(min_version: str, max_version: str | None = None) -> Callable:
    """Make a controller method exist only for a range of versions (both ends included).

    More methods of the same name, for other ranges, chain on the first as
    ``@<name>.api_version(...)`` (like ``@property``'s ``.setter``)::

        @api_version("2.1", "2.1")
        def show(self, req, id): ...          # 2.1 only

        @show.api_version("2.2")
        def show(self, req, id): ...          # 2.2 and later

    A request whose version no variant covers gets 404 itemNotFound (as nova).
    The method's first argument after ``self`` must be the request.  Ranges
    of one name that overlap are a TypeError at class creation.
    """

    def decorate(func: Callable) -> VersionedMethod:
        return VersionedMethod(func, min_version, max_version)

    return decorate


class VersionedMethod:
    """The descriptor :func:`api_version` makes: the variants of one method name."""

    def __init__(self, func: Callable, min_version: str, max_version: str | None) -> None:
        # Name and docstring only: a variant's @response/@validate stay its own.
        functools.update_wrapper(self, func, updated=())
        self.variants: list[tuple[APIVersion, APIVersion | None, Callable]] = []
        self._add(func, min_version, max_version)

    def api_version(self, min_version: str, max_version: str | None = None) -> Callable:
        """Add another variant of this method, for another range."""

        def decorate(func: Callable) -> VersionedMethod:
            self._add(func, min_version, max_version)
            return self

        return decorate

    def _add(self, func: Callable, min_version: str, max_version: str | None) -> None:
        low = APIVersion.parse(min_version)
        high = APIVersion.parse(max_version) if max_version else None
        if high is not None and low > high:
            raise TypeError(f"{func.__qualname__}: @api_version({low}, {high}) is empty")
        for other_low, other_high, _ in self.variants:
            if (high is None or other_low <= high) and (other_high is None or low <= other_high):
                raise TypeError(
                    f"{func.__qualname__}: versions {low} to {high or 'latest'} overlap "
                    f"{other_low} to {other_high or 'latest'} of another variant"
                )
        for marker in _ROUTING_MARKERS:  # what Controller/Extension collect, per name
            value = getattr(func, marker, None)
            if value is None:
                continue
            if getattr(self, marker, value) != value:
                raise TypeError(f"{func.__qualname__}: variants disagree on {marker}")
            setattr(self, marker, value)
        self.variants.append((low, high, func))

    def select(self, version: APIVersion | None) -> Callable | None:
        """The variant for ``version`` (a plain function), or None."""
        if version is None:
            raise TypeError(
                f"{self.__qualname__} uses @api_version but the request has no API version: "
                "pass microversions= to its Router or Resource"
            )
        for low, high, func in self.variants:
            if version.matches(low, high):
                return func
        return None

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return _BoundVersionedMethod(self, obj)


class _BoundVersionedMethod:
    """``controller.show``: picks its variant from the request at each call."""

    def __init__(self, method: VersionedMethod, obj: Any) -> None:
        self.method = method
        self.obj = obj
        self.__doc__ = method.__doc__  # the user's (the class's own would shadow it)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.method, name)

    def resolve(self, version: APIVersion | None) -> Callable | None:
        """The bound variant for ``version``, or None."""
        func = self.method.select(version)
        return None if func is None else types.MethodType(func, self.obj)

    def __call__(self, req: Any, *args: Any, **kwargs: Any) -> Any:
        bound = self.resolve(req.environ.get(ENVIRON_KEY))
        if bound is None:
            # nova: no detail, so it looks as if the method did not exist
            raise webob.exc.HTTPNotFound(explanation="The resource could not be found.")
        return bound(req, *args, **kwargs)


def resolve(method: Any, req: webob.Request) -> Any:
    """``method`` itself, or its variant for ``req``'s version (None if no variant)."""
    if isinstance(method, _BoundVersionedMethod):
        return method.resolve(req.environ.get(ENVIRON_KEY))
    return method
