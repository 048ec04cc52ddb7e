"""request: what one request's head said, and the WSGI environ made of it (PEP 3333).

The connection's parser callbacks fill a :class:`Request`; :func:`build_environ`
turns it into the environ the app gets, on top of the generation's shared keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

from stackapi.grammar import Framing, Target
from stackapi.server.body import BodyState, RequestBody

if TYPE_CHECKING:
    from collections.abc import Callable

    from stackapi.server.connections import Generation

#: ``wsgi.input`` of every request without a body (it reads nothing, so one is shared).
EMPTY_BODY = RequestBody(BodyState(length=0, chunked=False), lambda: None)


class Request:
    """One request as parsed: what its head said, and its body's state."""

    __slots__ = (
        "url",
        "fields",
        "head_done",
        "method",
        "version",
        "target",
        "framing",
        "body",
        "body_deadline",
        "continue_sent",
        "upgrade",
        "environ",
        "slots",
    )

    def __init__(self) -> None:
        self.url = b""
        self.fields: list[tuple[str, str]] = []
        self.head_done = False
        self.method = ""
        self.version = "HTTP/1.1"
        self.target: Target | None = None
        self.framing: Framing | None = None
        self.body: BodyState | None = None
        self.body_deadline: float | None = None
        self.continue_sent = False
        self.upgrade = False
        self.environ: dict | None = None
        self.slots: Any = None  # the request slot's semaphore while the app runs

    @property
    def line(self) -> str:
        """The request line, for log lines."""
        return f"{self.method} {self.url.decode('latin-1')} {self.version}"


def build_environ(req: Request, generation: Generation, address: Any, pull: Callable) -> dict:
    """The WSGI environ of ``req``: PEP 3333's keys, ``RAW_URI``, and a ``wsgi.input``
    whose reads ``pull()`` the body from the connection."""
    target = req.target
    path = target.path
    if "%" in path:
        path = unquote_to_bytes(path).decode("latin-1")
    environ = generation.environ.copy()
    environ["REQUEST_METHOD"] = req.method
    environ["PATH_INFO"] = path
    environ["QUERY_STRING"] = target.query
    environ["SERVER_PROTOCOL"] = req.version
    environ["RAW_URI"] = req.url.decode("latin-1")
    environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = _remote(address)
    for name, value in req.fields:
        key = _environ_key(name)
        if key is None:
            continue  # a name with "_": it would alias the dashed one (nginx drops it too)
        if key in environ and key.startswith("HTTP_"):
            environ[key] += "," + value
        else:
            environ[key] = value
    if target.host is not None:  # absolute-form: its host replaces Host (RFC 9112 3.2.2)
        environ["HTTP_HOST"] = target.host
    if req.body is not None:
        environ["wsgi.input"] = RequestBody(req.body, pull)
        req.environ = environ
    else:
        environ["wsgi.input"] = EMPTY_BODY
    return environ


def _remote(address: Any) -> tuple[str, str]:
    if isinstance(address, tuple):
        return address[0], str(address[1])
    return "", ""


#: Field name -> environ key; bounded, since clients choose the names.
_KEYS: dict[str, str] = {}


def _environ_key(name: str) -> str | None:
    key = _KEYS.get(name)
    if key is None:
        if "_" in name:
            return None
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        if len(_KEYS) < 1024:
            _KEYS[name] = key
    return key
