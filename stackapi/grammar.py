"""grammar: HTTP/1.1 as RFC 9110 and RFC 9112 write it, and the URL checks, in one place.

Plain functions on text (no sockets, no eventlet).  ``stackapi.server`` checks
every request head with them after httptools has parsed it; :mod:`stackapi.guard`
checks URLs and response headers with them under any WSGI server.  Each refusal
is a :class:`Refusal` carrying the status and the fault's message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

#: tchar (RFC 9110 5.6.2): field names and methods are tokens.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
#: field-value: visible latin-1 text, spaces and tabs (PEP 3333 strings are latin-1).
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*\Z")
#: A response status as PEP 3333 writes it: "200 OK".
_STATUS = re.compile(r"[1-5][0-9][0-9] [\t\x20-\x7e\x80-\xff]*\Z")
#: reg-name (RFC 3986 3.2.2): unreserved, pct-encoded and sub-delims; port: digits.
_REG_NAME = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
_PORT = re.compile(r"[0-9]*\Z")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]+\Z")
#: C0 and C1 control characters and DEL: no place in a path.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ENCODED_SLASH = re.compile(r"%2[fF]")

#: Fields a request carries at most once (RFC 9110 5.3: not lists, so two are ambiguous);
#: two differing Content-Lengths are refused by the parser itself.
SINGLETON_FIELDS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "authorization",
        "proxy-authorization",
        "x-auth-token",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
        "range",
        "max-forwards",
        "from",
        "referer",
        "user-agent",
    }
)
#: Fields that must not be trailers (RFC 9110 6.5.1): framing, routing, request modifiers,
#: authentication and content metadata a recipient would have to act on before the body.
FORBIDDEN_TRAILERS = frozenset(
    {
        "transfer-encoding",
        "content-length",
        "host",
        "trailer",
        "te",
        "expect",
        "max-forwards",
        "range",
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
        "if-range",
        "cache-control",
        "pragma",
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-auth-token",
        "content-type",
        "content-encoding",
        "content-range",
        "connection",
        "upgrade",
    }
)
_FRAMING = ("content-length", "transfer-encoding")


class Refusal(Exception):
    """A request the server answers itself, before any app: its status and fault message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = int(status)
        self.message = message


def bad_request(message: str) -> Refusal:
    return Refusal(HTTPStatus.BAD_REQUEST, message)


def is_token(text: str) -> bool:
    # Fast path for the usual names (letters, digits, dashes); the regex for the rest.
    return (text.isascii() and text.replace("-", "").isalnum()) or bool(_TOKEN.match(text))


def is_field_value(text: str) -> bool:
    # isprintable() is False for every ASCII control; tabs and latin-1 take the regex.
    return (text.isascii() and text.isprintable()) or bool(_FIELD_VALUE.match(text))


def is_status(text: str) -> bool:
    return bool(_STATUS.match(text))


def is_host(value: str) -> bool:
    """``uri-host [":" port]`` (RFC 9110 7.2); an empty value is valid (RFC 9112 3.2)."""
    if value.startswith("["):
        literal, bracket, port = value[1:].partition("]")
        if not bracket or not _IPV6.match(literal) or ":" not in literal:
            return False
        return port == "" or (port[:1] == ":" and bool(_PORT.match(port[1:])))
    name, _, port = value.partition(":")
    return bool(_REG_NAME.match(name)) and bool(_PORT.match(port))


@dataclass
class Target:
    """A request target split for the WSGI environ (``host`` only for absolute-form)."""

    path: str
    query: str
    host: str | None = None


def check_version(major: int, minor: int) -> str:
    """``SERVER_PROTOCOL`` of a request: the request's own HTTP/1.0 or HTTP/1.1."""
    if major == 1:
        return "HTTP/1.1" if minor else "HTTP/1.0"
    if major >= 2:
        raise Refusal(
            HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
            f"HTTP/{major}.{minor} is not supported: this server speaks HTTP/1.1.",
        )
    raise bad_request("The request line is not 'METHOD target HTTP/1.1'.")


def parse_target(method: str, raw: str, allow_encoded_slashes: bool = False) -> Target:
    """Split a request target (RFC 9112 3.2) into path, query and (absolute-form) host.

    origin-form ``/path?query`` is the usual one; absolute-form
    ``http://host/path`` is served as 3.2.2 says (its host replaces ``Host``);
    ``*`` only with ``OPTIONS``; anything else is a 400.  The path is kept as
    sent (``///x`` stays ``///x``).  A ``#fragment`` is a 400 (a client never
    sends one), and so is ``%2F`` in the path unless ``allow_encoded_slashes``:
    a proxy matching path prefixes and an app decoding them would disagree.
    """
    host = None
    if raw[:1] != "/":
        if raw == "*" and method == "OPTIONS":
            return Target("*", "")
        scheme, sep, rest = raw.partition("://")
        if not sep or scheme.lower() not in ("http", "https"):
            raise bad_request("The request target must be a path starting with '/'.")
        host, slash, remainder = rest.partition("/")
        host, question, query = host.partition("?")
        if not host or "@" in host or not is_host(host):
            raise bad_request("The request target names no valid host.")
        raw = slash + remainder if slash else "/" + question + query
    if "#" in raw:
        raise bad_request("The request target must not contain a fragment ('#').")
    path, _, query = raw.partition("?")
    if not allow_encoded_slashes and "%" in path and _ENCODED_SLASH.search(path):
        raise bad_request("The request path must not contain an encoded slash (%2F).")
    return Target(path, query, host)


@dataclass
class Framing:
    """What a request head says about its body and its connection."""

    chunked: bool
    length: int | None
    expect_continue: bool
    close: bool


def check_head(version: str, fields: list[tuple[str, str]]) -> Framing:
    """Refuse a head two parsers could read differently; say how its body is framed.

    Beyond what httptools refuses by itself: an HTTP/1.1 request needs exactly
    one valid ``Host``; singleton fields (:data:`SINGLETON_FIELDS`) at most once;
    ``Transfer-Encoding`` only in HTTP/1.1 and only as ``chunked`` alone (other
    codings before it: 501); a framing name written with ``_`` is refused (a proxy
    mapping ``_`` to ``-`` would frame by it); an ``Expect`` field or list item
    other than ``100-continue`` is a 417.
    """
    seen: dict[str, str] = {}
    codings: list[str] = []
    connection = ""
    expects: list[str] = []
    for name, value in fields:
        lower = name.lower()
        if lower in SINGLETON_FIELDS and lower in seen:
            raise bad_request(f"The request has more than one {name} header.")
        if lower == "transfer-encoding":
            codings.append(value)
        elif lower == "connection":
            connection += "," + value
        elif lower == "expect":
            expects.extend(item.strip(" \t").lower() for item in value.split(","))
        elif "_" in lower and lower.replace("_", "-") in _FRAMING:
            raise bad_request(f"The header {name} is not accepted.")
        seen[lower] = value
    host = seen.get("host")
    if host is None and version == "HTTP/1.1":
        raise bad_request("An HTTP/1.1 request needs a Host header.")
    if host is not None and not is_host(host):
        raise bad_request("The Host header is not a valid host[:port].")
    if codings:
        _check_transfer_encoding(version, codings)
    if any(item != "100-continue" for item in expects):
        raise Refusal(
            HTTPStatus.EXPECTATION_FAILED, "The only expectation understood is 100-continue."
        )
    length = seen.get("content-length")
    return Framing(
        chunked=bool(codings),
        length=int(length) if length is not None and not codings else None,
        expect_continue=bool(expects) and version == "HTTP/1.1",
        close=wants_close(version, connection),
    )


def _check_transfer_encoding(version: str, codings: list[str]) -> None:
    if version == "HTTP/1.0":
        raise bad_request("Transfer-Encoding is not allowed in an HTTP/1.0 request.")
    items = [item.strip(" \t").lower() for value in codings for item in value.split(",")]
    if len(codings) == 1 and items == ["chunked"]:
        return
    if items[-1] == "chunked" and items.count("chunked") == 1 and all(items):
        raise Refusal(
            HTTPStatus.NOT_IMPLEMENTED,
            "Transfer codings other than chunked are not implemented: send the body chunked only.",
        )
    raise bad_request("Transfer-Encoding must be 'chunked' alone, in one header.")


def wants_close(version: str, connection: str) -> bool:
    """Whether the client asked for the connection to close after this request."""
    tokens = {token.strip(" \t").lower() for token in connection.split(",")}
    if "close" in tokens:
        return True
    return version == "HTTP/1.0" and "keep-alive" not in tokens


def check_trailer(name: str) -> None:
    """A trailer field that would change how the request is read is a 400."""
    if name.lower() in FORBIDDEN_TRAILERS:
        raise bad_request(f"The field {name} is not allowed in a trailer.")


def url_problem(environ: dict) -> str | None:
    """Why this request's URL cannot be handed to an app, or None if it can.

    WSGI gives the path as latin-1 characters standing for the URL's bytes;
    apps (webob's ``req.path_info``, ``req.GET``, Routes) decode them as
    UTF-8 and would fail with a 500 on anything else.  (Every request comes
    through here: the ASCII-only common case skips the decoding.)
    """
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    try:
        if not path.isascii():
            path = path.encode("latin-1").decode("utf-8")
        if "%" in query or not query.isascii():
            query_bytes = unquote_to_bytes(query.encode("latin-1"))
            query_bytes.decode("utf-8")
            if b"\x00" in query_bytes:
                return "The URL contains control characters."
    except UnicodeError:
        return "The URL is not valid UTF-8."
    if _CONTROL.search(path):
        return "The URL contains control characters."
    if "." in path and any(segment in (".", "..") for segment in path.split("/")):
        return "The URL must not contain '.' or '..' segments."
    return None
