"""grammar: the HTTP/1.1 rules the server checks after httptools, as plain functions."""

import pytest

from stackapi.grammar import (
    Refusal,
    check_head,
    check_trailer,
    check_version,
    is_field_value,
    is_host,
    is_token,
    parse_target,
    url_problem,
    wants_close,
)


def refused(function, *args) -> Refusal:
    with pytest.raises(Refusal) as info:
        function(*args)
    return info.value


@pytest.mark.parametrize(
    "host",
    ["example.com", "example.com:8774", "10.0.0.1:80", "[::1]", "[::1]:8774", "[2001:db8::1]",
     "", "xn--bcher-kva.example", "a_b.example", "h:"],
)  # fmt: skip
def test_valid_hosts(host):
    assert is_host(host)


@pytest.mark.parametrize(
    "host",
    ["a@evil b", "a@b", '"q"', "[::1", "::1", "[example.com]", "a b", "a/b", "h:8o", "[::1]x",
     "h:-1", "\u00e9.example"],
)  # fmt: skip
def test_invalid_hosts(host):
    assert not is_host(host)


def test_versions():
    assert check_version(1, 1) == "HTTP/1.1"
    assert check_version(1, 0) == "HTTP/1.0"
    assert refused(check_version, 2, 0).status == 505
    assert refused(check_version, 0, 9).status == 400


@pytest.mark.parametrize(
    "method,raw,path,query,host",
    [
        ("GET", "/a/b?c=d", "/a/b", "c=d", None),
        ("GET", "///x", "///x", "", None),
        ("GET", "/a?", "/a", "", None),
        ("GET", "http://h.example/p?q=1", "/p", "q=1", "h.example"),
        ("GET", "HTTPS://h.example:8443", "/", "", "h.example:8443"),
        ("GET", "http://h.example?q", "/", "q", "h.example"),
        ("OPTIONS", "*", "*", "", None),
        ("GET", "/a%2Fb?x=%2F", None, None, None),
    ],
)
def test_targets(method, raw, path, query, host):
    if path is None:
        assert refused(parse_target, method, raw).status == 400
        assert parse_target(method, raw, True).path == "/a%2Fb"  # allow_encoded_slashes
        return
    target = parse_target(method, raw)
    assert (target.path, target.query, target.host) == (path, query, host)


@pytest.mark.parametrize(
    "raw", ["*", "foo/bar", "example.com:443", "ftp://h/x", "http:///x", "http://u@h/x", "/a#b"]
)
def test_refused_targets(raw):
    assert refused(parse_target, "GET", raw).status == 400


def head(*fields: str, version: str = "HTTP/1.1"):
    return check_head(version, [tuple(f.split(": ", 1)) for f in fields])


def test_framing_of_a_head():
    framing = head("Host: h", "Content-Length: 12")
    assert (framing.chunked, framing.length, framing.expect_continue, framing.close) == (
        False,
        12,
        False,
        False,
    )
    framing = head("Host: h", "Transfer-Encoding: chunked", "Connection: keep-alive, close")
    assert framing.chunked and framing.length is None and framing.close
    assert head("Host: h", "Expect: 100-Continue").expect_continue
    assert not head("Expect: 100-continue", version="HTTP/1.0").expect_continue
    assert head(version="HTTP/1.0").close
    assert not head("Connection: Keep-Alive", version="HTTP/1.0").close


@pytest.mark.parametrize(
    "fields,status",
    [
        (["X: 1"], 400),  # no Host in HTTP/1.1
        (["Host: a", "Host: a"], 400),
        (["Host: a b"], 400),
        (["Host: h", "Content-Type: a", "content-type: b"], 400),
        (["Host: h", "Transfer-Encoding: gzip, chunked"], 501),
        (["Host: h", "Transfer-Encoding: chunked, gzip"], 400),
        (["Host: h", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], 400),
        (["Host: h", "Content_Length: 3"], 400),
        (["Host: h", "Expect: 200-ok"], 417),
        (["Host: h", "Expect: 200-ok", "Expect: 100-continue"], 417),  # every one counts
        (["Host: h", "Expect: 100-continue, 200-ok"], 417),
    ],
)
def test_refused_heads(fields, status):
    assert refused(head, *fields).status == status


def test_transfer_encoding_is_not_http_1_0():
    fields = [("Transfer-Encoding", "chunked")]
    assert refused(check_head, "HTTP/1.0", fields).status == 400


@pytest.mark.parametrize("name", ["Content-Length", "host", "Transfer-Encoding", "Authorization"])
def test_forbidden_trailers(name):
    assert refused(check_trailer, name).status == 400


def test_allowed_trailers():
    check_trailer("X-Checksum")
    check_trailer("Server-Timing")


def test_tokens_and_field_values():
    assert is_token("X-Auth-Token") and is_token("a!#$%&'*+.^_`|~")
    assert not is_token("a b") and not is_token("a:b") and not is_token("")
    assert is_field_value("text\twith tab \u00e9") and is_field_value("")
    assert (
        not is_field_value("a\r\nb")
        and not is_field_value("a\x00")
        and not is_field_value("\u0100")
    )


def test_wants_close():
    assert wants_close("HTTP/1.1", ",close")
    assert not wants_close("HTTP/1.1", "")
    assert wants_close("HTTP/1.0", "")


@pytest.mark.parametrize(
    "path,query,problem",
    [
        ("/a", "", None),
        ("/caf\u00c3\u00a9", "x=%C3%A9", None),
        ("/%ff".replace("%ff", "\u00ff"), "", "The URL is not valid UTF-8."),
        ("/a", "x=%ff", "The URL is not valid UTF-8."),
        ("/a\x00b", "", "The URL contains control characters."),
        ("/a", "x=%00", "The URL contains control characters."),
        ("/a/../b", "", "The URL must not contain '.' or '..' segments."),
        ("/a/./b", "", "The URL must not contain '.' or '..' segments."),
        ("/a..b/.c", "", None),
    ],
)
def test_url_problems(path, query, problem):
    assert url_problem({"PATH_INFO": path, "QUERY_STRING": query}) == problem
