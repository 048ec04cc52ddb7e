"""Reading the ini: the app (``paste.deploy.loadapp``), ``[server:main]`` and logging.

The only module that imports ``paste.deploy``.  Before building the app,
:func:`inspect_config` walks the ini with PasteDeploy's own ``ConfigLoader`` --
the sections PasteDeploy will visit, in its order -- so that a broken file is
reported as one line naming the file, the section and the key, with
PasteDeploy's own words kept in the reason.  The same walk is the tree that
``stackapi-server --check`` prints.
"""

from __future__ import annotations

import configparser
import logging
import logging.config
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import paste.deploy
from paste.deploy import loadwsgi

from stackapi.errors import ConfigError
from stackapi.options import parse_options
from stackapi.request_ids import install_log_record_factory
from stackapi.urlmap import parse_entry, urlmap_factory

#: Keys that name what builds a section (the "key" of a loading error).
_LOADER_KEYS = (
    "use",
    "paste.app_factory",
    "paste.composite_factory",
    "paste.filter_factory",
    "paste.filter_app_factory",
)


@dataclass
class Node:
    """One section of the loaded tree, as ``--check`` prints it."""

    kind: str  # "composite", "pipeline", "filter" or "app"
    section: str  # "app:widgets", or the egg:/call: name used directly in a pipeline
    name: str  # the name PasteDeploy resolves (the section name without its prefix)
    target: str = ""  # what builds it: "egg:stackapi#urlmap", "module:Class.factory"
    options: dict[str, str] = field(default_factory=dict)
    children: list[tuple[str, Node]] = field(default_factory=list)  # (label, node)

    def walk(self) -> Iterator[Node]:
        yield self
        for _, child in self.children:
            yield from child.walk()


def check_file(path: str) -> str:
    """The absolute path of a readable file, or ConfigError."""
    if not os.path.exists(path):
        raise ConfigError("no such file", path=path)
    if not os.path.isfile(path):
        raise ConfigError("is not a file", path=path)
    if not os.access(path, os.R_OK):
        raise ConfigError("is not readable", path=path)
    return os.path.abspath(path)


def inspect_config(path: str, name: str = "main") -> Node:
    """Resolve (without building) app ``name`` of the ini and everything it uses."""
    return _Walker(path).app(name, None, None)


def loadapp(path: str, name: str = "main") -> Callable:
    """Load WSGI app ``name`` from the ini at ``path`` with ``paste.deploy.loadapp``.

    Every problem is a :class:`ConfigError` whose one-line ``str()`` names the
    file, the section and the key; the original exception is its ``__cause__``.
    """
    tree = inspect_config(path, name)
    try:
        return paste.deploy.loadapp("config:" + check_file(path), name=name)
    except ConfigError as exc:
        raise exc.located(path, _diagnose(path, tree)) from exc
    except Exception as exc:  # a factory's own error: find whose
        section = _diagnose(path, tree)
        raise ConfigError(
            f"building the app failed: {type(exc).__name__}: {exc}", path=path, section=section
        ) from exc


#: The sections PasteDeploy reads (and hands [DEFAULT] to as the global conf).
_PASTE_PREFIXES = (
    "app:",
    "application:",
    "filter:",
    "filter-app:",
    "pipeline:",
    "composite:",
    "composit:",
    "server:",
)


def shadowed_keys(path: str) -> list[tuple[str, str, str]]:
    """``(section, key, value)`` for each key a section sets that ``[DEFAULT]`` sets too.

    PasteDeploy gives such a section only the keys ``[DEFAULT]`` does not have, so
    its own value is silently ignored (``set KEY = value`` changes the section's
    global_conf, which a factory reading only its options does not see).
    """
    parser = configparser.RawConfigParser(default_section="\0 no default section", strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # as PasteDeploy reads keys
    try:
        parser.read(check_file(path))
    except configparser.Error as exc:
        raise _parse_error(path, exc) from exc
    if not parser.has_section("DEFAULT"):
        return []
    defaults = set(parser.options("DEFAULT"))
    return [
        (section, key, parser.get(section, key))
        for section in parser.sections()
        if section.startswith(_PASTE_PREFIXES)
        for key in parser.options(section)
        if key in defaults
    ]


def add_import_dirs(*dirs: str) -> None:
    """Put ``dirs`` first on ``sys.path``, in that order, so the ini's ``module:Class``
    names import from them (gunicorn and pserve put their start directory there)."""
    for directory in reversed([os.path.abspath(d) for d in dirs]):
        if directory in sys.path:
            sys.path.remove(directory)
        sys.path.insert(0, directory)


def read_server_section(path: str, section: str = "server:main") -> dict[str, str]:
    """The keys of ``[server:main]`` (interpolated, without ``[DEFAULT]``'s or ``use``)."""
    parser = _Walker(path).loader.parser
    if not parser.has_section(section):
        return {}
    defaults = parser.defaults()
    values = {}
    for key in parser.options(section):
        if key in defaults or key == "use":
            continue
        try:
            values[key] = parser.get(section, key)
        except configparser.InterpolationError as exc:
            raise _interpolation_error(path, exc) from exc
    return values


#: The log line when the ini configures no logging: the request id in every line.
DEFAULT_LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"


def setup_logging(path: str) -> None:
    """The ini's logging sections (:func:`configure_logging`), else INFO lines on stderr."""
    if not configure_logging(path):
        logging.basicConfig(level=logging.INFO, format=DEFAULT_LOG_FORMAT, stream=sys.stderr)


def configure_logging(path: str) -> bool:
    """Configure logging from the ini's ``[loggers]``/``[handlers]``/``[formatters]``.

    As ``logging.config.fileConfig`` reads them, with ``%(here)s`` defined.
    Returns False (and changes nothing) when the ini has no ``[loggers]``.
    Every log record gets ``%(request_id)s`` either way.
    """
    install_log_record_factory()
    absolute = check_file(path)
    parser = configparser.RawConfigParser()
    try:
        parser.read(absolute)
    except configparser.Error as exc:
        raise _parse_error(path, exc) from exc
    if not parser.has_section("loggers"):
        return False
    defaults = {"here": os.path.dirname(absolute), "__file__": absolute}
    try:
        logging.config.fileConfig(absolute, defaults=defaults, disable_existing_loggers=False)
    except Exception as exc:
        raise ConfigError(
            f"cannot configure logging: {type(exc).__name__}: {exc}", path=path, section="loggers"
        ) from exc
    return True


class _Walker:
    """Visit the sections PasteDeploy will visit, raising located ConfigErrors."""

    def __init__(self, path: str) -> None:
        self.path = path
        absolute = check_file(path)
        try:
            self.loader = loadwsgi.ConfigLoader(absolute)
        except configparser.Error as exc:
            raise _parse_error(path, exc) from exc
        self._visiting: list[str] = []

    def app(self, name: str, ref_section: str | None, ref_key: str | None) -> Node:
        section = self._section(loadwsgi.APP, name, ref_section, ref_key)
        if section in self._visiting:
            raise ConfigError(
                f"{section!r} is used inside itself",
                path=self.path,
                section=ref_section,
                key=ref_key,
            )
        self._visiting.append(section)
        try:
            if section.startswith("pipeline:"):
                return self._pipeline(section, name)
            context = self._context(loadwsgi.APP, name, section)
            kind = "composite" if "composit" in (context.protocol or "") else "app"
            node = self._node(kind, section, name, context)
            if context.object is urlmap_factory:
                node.children = self._urlmap(section, context.local_conf)
            return node
        finally:
            self._visiting.pop()

    def filter(self, name: str, ref_section: str, ref_key: str) -> Node:
        section = self._section(loadwsgi.FILTER, name, ref_section, ref_key)
        return self._node("filter", section, name, self._context(loadwsgi.FILTER, name, section))

    def _pipeline(self, section: str, name: str) -> Node:
        options = self._items(section)
        names = options.pop("pipeline", "").split()
        if not names:
            raise ConfigError(
                "a pipeline needs 'pipeline = filter ... app'",
                path=self.path,
                section=section,
                key="pipeline",
            )
        # "set NAME = value" overrides [DEFAULT] for this section (PasteDeploy's rule).
        extra = [key for key in options if not key.startswith(("set ", "get "))]
        if extra:
            hint = ""
            if "server_timing" in extra:
                hint = " (for one pipeline, write 'set server_timing = true')"
            raise ConfigError(
                f"a pipeline section takes only 'pipeline', not {', '.join(extra)}{hint}",
                path=self.path,
                section=section,
                key=extra[0],
            )
        node = Node("pipeline", section, name)
        for filter_name in names[:-1]:
            node.children.append(("", self.filter(filter_name, section, "pipeline")))
        node.children.append(("", self.app(names[-1], section, "pipeline")))
        return node

    def _urlmap(self, section: str, local_conf: dict[str, str]) -> list[tuple[str, Node]]:
        children = []
        for key, value in local_conf.items():
            try:
                host, prefix, app_name = parse_entry(key, value)
            except ConfigError as exc:
                raise exc.located(self.path, section) from exc
            label = f"{host or ''}{prefix or '/'}"
            children.append((label, self.app(app_name, section, key)))
        if not children:
            raise ConfigError(
                "urlmap needs at least one 'prefix = app' line", path=self.path, section=section
            )
        return children

    def _section(
        self, object_type: Any, name: str, ref_section: str | None, ref_key: str | None
    ) -> str:
        if self.loader.absolute_name(name):
            return name
        try:
            return self.loader.find_config_section(object_type, name=name)
        except LookupError as exc:
            raise ConfigError(str(exc), path=self.path, section=ref_section, key=ref_key) from exc

    def _context(self, object_type: Any, name: str, section: str) -> Any:
        try:
            return self.loader.get_context(object_type, name)
        except configparser.InterpolationError as exc:
            raise _interpolation_error(self.path, exc) from exc
        except Exception as exc:
            key = self._loader_key(section)
            value = self._raw(section, key) if key else None
            reason = (
                str(exc)
                if isinstance(exc, LookupError) and not isinstance(exc, ImportError)
                else f"cannot load {value!r}: {type(exc).__name__}: {exc}"
            )
            raise ConfigError(reason, path=self.path, section=section, key=key) from exc

    def _node(self, kind: str, section: str, name: str, context: Any) -> Node:
        factory = context.object
        owner = getattr(factory, "__self__", None)
        table = getattr(owner, "options", ()) if isinstance(owner, type) else ()
        if table:
            try:
                parse_options(table, context.local_conf)
            except ConfigError as exc:
                raise exc.located(self.path, section) from exc
        return Node(kind, section, name, _describe(context), dict(context.local_conf))

    def _items(self, section: str) -> dict[str, str]:
        parser = self.loader.parser
        defaults = parser.defaults()
        try:
            return {
                k: parser.get(section, k) for k in parser.options(section) if k not in defaults
            }
        except configparser.InterpolationError as exc:
            raise _interpolation_error(self.path, exc) from exc

    def _loader_key(self, section: str) -> str | None:
        if not self.loader.parser.has_section(section):
            return None
        present = set(self.loader.parser.options(section))
        return next((key for key in _LOADER_KEYS if key in present), None)

    def _raw(self, section: str, key: str) -> str:
        return self.loader.parser.get(section, key, raw=True)


def _describe(context: Any) -> str:
    if context.distribution is not None and context.entry_point_name:
        return f"egg:{context.distribution.metadata['Name']}#{context.entry_point_name}"
    factory = context.object
    owner = getattr(factory, "__self__", None)
    if isinstance(owner, type):  # a classmethod such as Middleware.factory, bound to a subclass
        return f"{owner.__module__}:{owner.__qualname__}.{factory.__name__}"
    return f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', factory)}"


def _diagnose(path: str, tree: Node) -> str | None:
    """Which section's factory fails when built alone (on the error path only)."""
    loader = loadwsgi.ConfigLoader(check_file(path))
    for node in tree.walk():
        if node.kind not in ("app", "filter"):
            continue
        object_type = loadwsgi.FILTER if node.kind == "filter" else loadwsgi.APP
        try:
            built = loader.get_context(object_type, node.name).create()
            if node.kind == "filter":
                built(lambda environ, start_response: [])
        except Exception:
            return node.section
    return tree.section


def _interpolation_error(path: str, exc: configparser.InterpolationError) -> ConfigError:
    message = str(exc.args[0] if exc.args else exc)
    message = message.split(": ", 1)[1] if message.startswith("Error in file ") else message
    return ConfigError(
        f"bad %-interpolation: {message}", path=path, section=exc.section, key=exc.option
    )


def _parse_error(path: str, exc: configparser.Error) -> ConfigError:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ConfigError(
        message, path=path, section=getattr(exc, "section", None), key=getattr(exc, "option", None)
    )
