"""server_timing: a ``Server-Timing`` header naming each filter and the app of a pipeline.

Opt-in, per ini: ``server_timing = true`` in ``[DEFAULT]``, or ``set server_timing =
true`` in one pipeline's section.  ``egg:stackapi#urlmap`` builds its pipelines through
:func:`build_app`; with the setting off that is PasteDeploy's own build, the same
objects, so nothing is added to a request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from stackapi.errors import ConfigError
from stackapi.guard import Primed
from stackapi.options import as_bool

SETTING = "server_timing"
HEADER = "Server-Timing"
_ENVIRON_KEY = "stackapi.server_timing"  # (name, inclusive seconds), innermost first
_NOT_TOKEN = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")


def build_app(loader: Any, name: str, global_conf: dict) -> Callable:
    """App ``name`` of PasteDeploy's ``loader``, timed if its ``server_timing`` is on.

    ``loader.get_app(name)`` when it is off.  On, a pipeline is built as PasteDeploy
    builds it (app first, then each filter around it) with a timer around each layer.
    """
    context = loader.app_context(name, global_conf=global_conf)
    value = context.global_conf.get(SETTING, "false")
    try:
        on = as_bool(value)
    except ValueError:
        section, key = _where_set(loader, name)
        raise ConfigError(
            f"expected true or false, got {value!r}", section=section, key=key
        ) from None
    if not on:
        return context.create()
    names = _layer_names(loader, name, context)
    if not names:  # not a pipeline: the app alone
        return ServerTiming(TimedLayer(context.create(), _token(name)))
    # As PasteDeploy's pipeline: the app, then the filters, then each around the last.
    app: Callable = TimedLayer(context.app_context.create(), names[-1])
    filters = [filter_context.create() for filter_context in context.filter_contexts]
    for filter_name, make_filter in zip(reversed(names[:-1]), reversed(filters), strict=True):
        app = TimedLayer(make_filter(app), filter_name)
    return ServerTiming(app)


def _where_set(loader: Any, name: str) -> tuple[str, str]:
    """The section and key a bad value came from: ``set server_timing`` of the app's own
    section, else ``[DEFAULT]`` (not the urlmap's section, which the loader would name)."""
    parser, key = loader.parser, f"set {SETTING}"
    for prefix in ("pipeline", "app", "composite", "filter-app"):
        section = f"{prefix}:{name}"
        if parser.has_section(section) and parser.has_option(section, key):
            return section, key
    return "DEFAULT", SETTING


def _layer_names(loader: Any, name: str, context: Any) -> list[str]:
    """A pipeline's names, filters then app, as its ``pipeline =`` line has them."""
    if getattr(context.object_type, "name", None) != "pipeline":
        return []
    section = f"pipeline:{name}"
    if loader.parser.has_section(section):
        words = loader.parser.get(section, "pipeline").split()
        if len(words) == len(context.filter_contexts) + 1:
            return [_token(word) for word in words]
    count = len(context.filter_contexts)  # another file's pipeline: numbered
    return [f"filter{n}" for n in range(1, count + 1)] + ["app"]


def _token(name: str) -> str:
    """A Server-Timing metric name is an HTTP token: ``egg:pkg#name`` -> ``egg_pkg_name``."""
    return _NOT_TOKEN.sub("_", name)


class TimedLayer:
    """One filter or app of a timed pipeline: records how long its call took."""

    transparent_wrapper = True  # the app tree's walk (stackapi.app_map) looks through it
    __slots__ = ("app", "name")

    def __init__(self, app: Callable, name: str) -> None:
        self.app = app
        self.name = name

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        timings = environ.get(_ENVIRON_KEY)  # taken now: a nested pipeline sets its own
        start = time.perf_counter()
        try:
            return self.app(environ, start_response)
        finally:
            if timings is not None:
                timings.append((self.name, time.perf_counter() - start))


class ServerTiming:
    """The top of a timed pipeline: holds the response head until every layer returned.

    ``Server-Timing: request_id;dur=0.021, faultwrap;dur=0.004, ..., api;dur=1.870``:
    each layer's own time in milliseconds (its call minus the call of the layer it
    wraps), outermost first.  A lazy body's iteration is not counted.
    """

    transparent_wrapper = True
    __slots__ = ("app",)

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        timings: list[tuple[str, float]] = []
        environ[_ENVIRON_KEY] = timings
        held: list[Any] = []
        written: list[bytes] = []

        def hold(status: str, headers: list, exc_info: Any = None) -> Callable:
            held[:] = [status, headers, exc_info]
            return written.append  # write() before the head went out: kept, sent first

        body = self.app(environ, hold)
        if not held:  # a lazy app starts its response with its first chunk
            body = Primed(body)
        status, headers, exc_info = held
        write = start_response(status, [*headers, (HEADER, header_value(timings))], exc_info)
        for chunk in written:
            write(chunk)
        return body


def header_value(timings: list[tuple[str, float]]) -> str:
    """``name;dur=ms`` per layer, outermost first, from inclusive times innermost first."""
    metrics = []
    inner = 0.0
    for name, seconds in timings:  # each call includes the one recorded before it
        metrics.append(f"{name};dur={(seconds - inner) * 1000:.3f}")
        inner = seconds
    return ", ".join(reversed(metrics))
